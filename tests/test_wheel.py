"""The package installs: a wheel carries the pages, their scripts and styles, bpmn-js and the migrations, and serves
them from a virtualenv outside the checkout, started in a folder that is not the checkout either."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "certflow" / "web" / "templates"
VENDOR = ROOT / "certflow" / "web" / "vendor"
PASSWORD = "wheel-test-Kq7#pV2x"
# Per package copied from node_modules (`make vendor`): the route serving it, the folder of its builds, and the
# licence files shipped beside them.
VENDORED = {
    "bpmn-js": ("bpmn_js", "dist", {"LICENSE"}),
    "echarts": ("echarts", "dist", {"LICENSE", "NOTICE", "licenses/LICENSE-d3"}),
}


def vendor_files_the_pages_load(package: str) -> set[str]:
    endpoint = VENDORED[package][0]
    found: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        found |= set(re.findall(rf"url_for\('{endpoint}', name='([^']+)'\)", template.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("package", VENDORED)
def test_the_package_holds_the_vendored_files_the_pages_load_and_no_others(package: str) -> None:
    loaded = vendor_files_the_pages_load(package)
    assert loaded, "the pattern no longer finds what the templates name"
    shipped = {path.relative_to(VENDOR / package).as_posix() for path in (VENDOR / package).rglob("*")
               if path.is_file()}
    assert shipped == loaded | VENDORED[package][2]


@pytest.mark.parametrize("package", VENDORED)
def test_the_vendored_copy_is_the_locked_release(package: str) -> None:
    installed = ROOT / "node_modules" / package
    if not installed.is_dir():
        pytest.skip(f"{package} is not installed: run `npm ci` (make install does)")
    _, builds, licences = VENDORED[package]
    for name in vendor_files_the_pages_load(package):
        assert (VENDOR / package / name).read_bytes() == (installed / builds / name).read_bytes(), (
            f"{name} differs from package-lock.json's {package}: run `make vendor`")
    for name in licences:
        assert (VENDOR / package / name).read_bytes() == (installed / name).read_bytes()


class Browser:
    """Requests with the cookies a browser keeps, against the server at ``url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str, bytes, str]:
        """Status, content type, body and the address it ended at (after redirects)."""
        with self.opener.open(urljoin(self.url, path), timeout=30) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read(), answer.url

    def post(self, path: str, form: dict[str, str]) -> int:
        with self.opener.open(urljoin(self.url, path), data=urlencode(form).encode(), timeout=30) as answer:
            return int(answer.status)


def assets_of(page: str) -> list[str]:
    """The scripts and style sheets a page loads."""
    found = re.findall(r'<script[^>]* src="([^"]+)"', page) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    return [html.unescape(address) for address in found]


def run(command: list[str | Path], cwd: Path, env: dict[str, str], given: str | None = None) -> str:
    # A session of its own: no terminal, so the password prompt reads what is given instead of the tty.
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, input=given, capture_output=True,
                          text=True, timeout=120, start_new_session=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A virtualenv holding the wheel built from the checkout, its folder, and the environment to start it in."""
    work = tmp_path_factory.mktemp("installed")
    # Built from a copy, so that the build leaves nothing in the checkout; by this virtualenv's locked setuptools,
    # without build isolation, so without the network.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "instance", "test-artifacts", "build", "*.egg-info", "__pycache__",
        ".*_cache"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", work, source],
        work, dict(os.environ))
    wheel = next(work.glob("certflow-*.whl"))

    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], work, dict(os.environ))
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
        work, dict(os.environ))
    # The locked dependencies come from this virtualenv's site-packages instead of the network. A folder named in a
    # .pth file goes after the new virtualenv's own site-packages, and the .pth files inside it (the editable
    # install of the checkout) are not run: certflow is the wheel's.
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work,
                    dict(os.environ)).strip())
    (site / "locked-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    here = work / "deployment"
    here.mkdir()
    # A release folder as docs/deploy.md lays it out: the deployment's content beside the installed package.
    for name in ("groups.json", "shizong.json"):
        shutil.copy(ROOT / name, here / name)
    for name in ("processes", "forms", "handlers"):
        shutil.copytree(ROOT / name, here / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CERTFLOW_", "PYTHON")) and key not in ("DATABASE_URL", "VIRTUAL_ENV")}
    env |= {"DATABASE_URL": f"sqlite:///{here / 'certflow.db'}", "CERTFLOW_UPLOAD_DIR": str(here / "uploads"),
            "CERTFLOW_GROUPS": str(here / "groups.json"), "CERTFLOW_COUNTY": str(here / "shizong.json")}
    return venv, here, env


@pytest.fixture(scope="module")
def server(installed: tuple[Path, Path, dict[str, str]]) -> Iterator[str]:
    """gunicorn from the installed wheel on a free port, started in the deployment's folder; its address."""
    venv, here, env = installed
    bin_ = venv / "bin"
    run([bin_ / "certflow", "init-db"], here, env)
    run([bin_ / "certflow", "deploy", "processes", "forms", "--author", "release"], here, env)
    run([bin_ / "certflow", "user", "add", "fang", "--name", "方敏", "--role", "analyst"], here, env,
        given=f"{PASSWORD}\n{PASSWORD}\n")
    run([bin_ / "certflow", "user", "add", "sheng", "--name", "邓文清", "--role", "province", "--province-wide"], here,
        env, given=f"{PASSWORD}\n{PASSWORD}\n")
    log = here / "gunicorn.log"
    with log.open("w") as output:
        # As `python -m`: the dependencies' own scripts are not in the new virtualenv, only their modules.
        process = subprocess.Popen([bin_ / "python", "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1",
                                    "certflow.web:create_app()"], cwd=here, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while not (listening := re.search(r"Listening at: (http://\S+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield listening.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_the_installed_code_is_the_wheels(installed: tuple[Path, Path, dict[str, str]]) -> None:
    venv, here, env = installed
    found = run([venv / "bin" / "python", "-c", "import certflow; print(certflow.__file__)"], here, env)
    assert Path(found.strip()).is_relative_to(venv)


@pytest.mark.slow
def test_the_installed_app_serves_its_pages_with_their_scripts(server: str) -> None:
    browser = Browser(server)
    status, kind, body, _ = browser.get("/login")
    login = body.decode()
    assert (status, kind) == (200, "text/html") and "工作人员登录" in login
    for address in assets_of(login):
        assert browser.get(address)[0] == 200, address

    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token is not None
    browser.post("/login", {"csrf_token": token.group(1), "username": "fang", "password": PASSWORD})
    status, kind, body, address = browser.get("/modeling/new/bpmn?name=trial")
    modeler = body.decode()
    assert (status, kind, address) == (200, "text/html", f"{server}/modeling/drafts/trial.bpmn")
    assert "trial.bpmn" in modeler and "保存" in modeler
    loaded = assets_of(modeler)
    assert "/vendor/bpmn-js/bpmn-modeler.production.min.js" in loaded
    for asset in loaded:
        status, kind, body, _ = browser.get(asset)
        assert status == 200 and body, asset
        assert kind == ("text/javascript" if asset.endswith(".js") else "text/css"), asset


def test_the_installed_app_serves_the_provinces_charts(server: str) -> None:
    browser = Browser(server)
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login")[2].decode())
    assert token is not None
    browser.post("/login", {"csrf_token": token.group(1), "username": "sheng", "password": PASSWORD})
    status, _, body, address = browser.get("/")
    assert (status, address) == (200, f"{server}/province")
    loaded = assets_of(body.decode())
    assert "/vendor/echarts/echarts.min.js" in loaded
    for asset in loaded:
        assert browser.get(asset)[:2] == (200, "text/javascript" if asset.endswith(".js") else "text/css"), asset


@pytest.mark.slow
def test_the_installed_app_runs_the_deployment_in_its_folder(server: str) -> None:
    # The application form lists the materials of the handlers folder beside the release (CERTFLOW_HANDLERS).
    status, kind, body, _ = Browser(server).get("/apply")
    assert (status, kind) == (200, "text/html")
    assert "就诊病历材料" in body.decode()
