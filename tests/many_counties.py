"""Many counties of one province on one database, as tests/test_province.py and bench/province.py set them up.

Each county is a real one of the divisions dataset (certflow/divisions.py): the counties of 曲靖市, which holds
师宗县, then those of 昆明市. Its county file is derived from the dataset (every township and village, with their
codes), its roster is the synthetic one (certflow/campaign/synthetic.py) on its own code, and it has its own clerks:
the township federations' clerk, the assessment desk, the county federation's clerk and its window clerk.

No institution is invented. 师宗县 keeps its own file (shizong.json) and its three assessment institutions; every
other county's holders are re-assessed at the county's own federation (县残联), the desk its county file names for
every category. The Lushan-style online applications are started by each county's window clerk and go as far as
needs no institution: the window's pre-review, which rejects some (their cases end) and passes the others on to the
assessment, where they wait, since the hospital the province's routing names is Lushan's.

The clerks drive every case over HTTP (the REST API of gunicorn's workers) as far as it can go today: the
hospital-assessed holders exchange their card at the township (a few, whose card carries a wrong grade, have it
voided and made anew by the county), the re-assessed are served their notice and re-assessed with their grade
unchanged, and then wait for their 10 working days to object, as the new applicants do after their home visit.
``certflow worker`` processes send the texts every step queues.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from certflow import divisions
from certflow.bootstrap import Services, build_services
from certflow.campaign.county import County
from certflow.campaign.models import CampaignHolder
from certflow.campaign.roster import import_roster, read_roster, validate_roster
from certflow.campaign.synthetic import generate_roster, write_roster
from certflow.config import Config
from certflow.engine.calendar import china_today
from certflow.engine.clock import SystemClock
from certflow.engine.db import upgrade
from certflow.engine.disability import CATEGORY_CODES
from certflow.engine.models import Case, Notification, Task
from certflow.engine.specs import read_paths
from certflow.people.accounts import Accounts
from certflow.people.counties import Counties

ROOT = Path(__file__).resolve().parent.parent
PREFECTURES = ("5303", "5301")  # 曲靖市, which holds 师宗县, then 昆明市: 23 counties
SHIZONG = "530323"
HISTORY_KEYS = f"province:{secrets.token_hex(32)}"  # production refuses the demo keys
DATA_KEYS = f"province:{secrets.token_hex(32)}"
PASSWORD = "correct-horse-1"
REMADE = 0.05  # of the hospital-assessed: the card's grade is wrong; the county voids it and makes it anew
APPLICATIONS_REJECTED = 1  # of each county's online applications, the first are rejected at the pre-review
CASE_NUMBER = re.compile(r"\b[A-Z]{1,6}-\d{4}-\d{6}\b")
# Not a case shown: the number typed in, repeated in the search box and the links, and the search box's example.
ECHOED = re.compile(r'(value="|q=|number=|placeholder="如 )[A-Z]{1,6}-\d{4}-\d{6}')
# The clerks of a county, in the order they go through their queues in a round: (who, their account's role, the
# name their pages show after the county's).
CLERKS = (("window", "window_clerk", "综合窗口"), ("township", "township", "乡镇残联"),
          ("desk", "hospital", "评残窗口"), ("county", "county", "县残联"))


def county_codes(count: int) -> list[str]:
    """The first ``count`` counties of ``PREFECTURES``, in the dataset's order."""
    found = [c.code for prefecture in PREFECTURES for c in divisions.prefecture_counties(prefecture)]
    if count > len(found):
        raise ValueError(f"the dataset's {'、'.join(PREFECTURES)} have {len(found)} counties, not {count}")
    return found[:count]


def county_file(code: str, folder: Path) -> County:
    """The county's file, written to ``folder`` from the dataset (Shizong's is its own), and loaded."""
    if code == SHIZONG:
        return County.load(ROOT / "shizong.json")
    area = divisions.county(code)
    if area is None:
        raise ValueError(f"no county {code} in the dataset")
    federation = f"{area.name}残联"
    venues = {t.name: federation for t in divisions.townships(code)}  # no clinic named: the federation's office
    raw = {
        "county": {"name": area.name, "code": code, "federation": federation, "process": "card_exchange",
                   "campaign": f"card-exchange-{code}",
                   "county_group": {"id": f"county-{code}", "name": federation},
                   "expert_group": {"id": f"expert-committee-{code}", "name": f"{area.name}评残专家委员会"}},
        "institutions": [{"id": f"federation-{code}", "name": federation, "categories": list(CATEGORY_CODES)}],
        "townships": divisions.county_townships(code, venues),
    }
    path = folder / f"county-{code}.json"
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2), encoding="utf-8")
    return County.load(path)


def add_county(sessions: sessionmaker[Session], county: County) -> None:
    """The county's row, as a province administrator adds it; its cases' prefix is its code spelt in letters
    (530323: FDADCD), which no other county has."""
    Counties(sessions, SystemClock()).add(county.code, case_prefix=prefix_of(county.code),
                                          sms_signature=county.federation, name=county.name,
                                          federation=county.federation)


def prefix_of(code: str) -> str:
    return "".join(chr(ord("A") + int(digit)) for digit in code)


# -- the counties' people and cases ------------------------------------------------------------------

@dataclass(frozen=True)
class Holder:
    """A holder's case and what its clerks will find."""

    category: str
    basis: str  # hospital, visual or new
    home_visit: bool
    remade: bool  # hospital-assessed, the card's grade wrong: voided and made anew
    assessed: int  # the grade the (re-)assessment finds; a remade card's grade

    @property
    def state(self) -> str:
        """Where the case is once its clerks have done all they can today."""
        if self.basis != "hospital":
            return "card_exchange running"  # its 10 working days to object
        return f"card_exchange completed {'new_card' if self.remade else 'exchanged'}"


@dataclass
class Setup:
    """One county set up: its file, holders by case number, clerks' usernames and tokens by role."""

    county: County
    holders: dict[str, Holder]
    tokens: dict[str, str]
    usernames: dict[str, str]
    applications: dict[str, bool] = field(default_factory=dict)  # case number → passed the pre-review

    @property
    def numbers(self) -> set[str]:
        return set(self.holders) | set(self.applications)

    def expected(self) -> Counter[str]:
        """The counts ``counts`` must find once the clerks have driven every case."""
        found = Counter(holder.state for holder in self.holders.values())
        found["holders"] = sum(1 for h in self.holders.values() if h.basis != "new")
        found["new applicants"] = sum(1 for h in self.holders.values() if h.basis == "new")
        passed = sum(self.applications.values())
        found["application_online completed rejected"] = len(self.applications) - passed
        found["application_online running"] = passed
        found["open register_appointment"] = passed  # waiting for the hospital
        return +found


@contextmanager
def services_on(url: str) -> Iterator[Services]:
    """certflow's services on a migrated database at ``url``, with the keys the web and worker processes get."""
    config = Config.from_env({"DATABASE_URL": url, "CERTFLOW_HANDLERS": str(ROOT / "handlers"),
                              "CERTFLOW_HISTORY_KEYS": HISTORY_KEYS, "CERTFLOW_DATA_KEYS": DATA_KEYS})
    services = build_services(config)
    try:
        upgrade(services.database)
        yield services
    finally:
        services.database.dispose()


def deploy(services: Services) -> None:
    services.runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="province")


def import_county(services: Services, county: County, holders: int, folder: Path) -> Setup:
    """The county's row, its roster of ``holders`` imported (a case each) and its clerks with tokens."""
    add_county(services.sessions, county)
    roster = folder / f"roster-{county.code}.csv"
    write_roster(generate_roster(county, holders, seed=int(county.code)), roster)
    report = import_roster(services.sessions, services.runtime, roster, actor=f"county-{county.code}", county=county)
    if report.rejected:
        raise RuntimeError(f"{county.name}'s roster was not imported whole: {report.rejected[:3]}")
    rows = validate_roster(read_roster(roster), county, china_today(services.runtime.clock))[0]
    rng = random.Random(county.code)
    plans = {number: _plan(data, rng) for number, (_, data) in zip(report.started, rows, strict=True)}
    return Setup(county, plans, *_clerks(services.sessions, county))


def _plan(data: dict[str, Any], rng: random.Random) -> Holder:
    grade = data.get("grade")
    if grade is None:  # a new applicant: the home visit finds a grade
        return Holder(data["category"], "new", True, False, rng.choice((1, 2, 3, 4)))
    remade = data["basis"] == "hospital" and rng.random() < REMADE
    assessed = rng.choice([g for g in (grade - 1, grade + 1) if 1 <= g <= 4]) if remade else grade
    return Holder(data["category"], data["basis"], data["home_visit"], remade, assessed)


def _clerks(sessions: sessionmaker[Session], county: County) -> tuple[dict[str, str], dict[str, str]]:
    groups = {"window": ["window"], "township": [t.group for t in county.townships],
              "desk": [i.group for i in county.institutions], "county": [county.county_group[0]]}
    accounts = Accounts(sessions, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    tokens, usernames = {}, {}
    for role, account_role, title in CLERKS:
        person = accounts.create(f"{role}-{county.code}", PASSWORD, display_name=f"{county.name}{title}",
                                 roles=[account_role], groups=groups[role], county=county.code)
        usernames[role], tokens[role] = person.username, accounts.issue_token(person.id, "province")
    return tokens, usernames


# -- gunicorn and the workers ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(url: str, folder: Path, *, web: int = 2, workers: int = 2) -> Iterator[int]:
    """gunicorn with ``web`` workers and ``workers`` ``certflow worker`` processes on ``url``, as production runs
    them (docs/deploy.md); yields gunicorn's port once ``/readyz`` answers. Raises if one stops uncleanly."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "CERTFLOW_ENV": "production",
           "CERTFLOW_SECRET_KEY": secrets.token_hex(32), "CERTFLOW_HISTORY_KEYS": HISTORY_KEYS,
           "CERTFLOW_DATA_KEYS": DATA_KEYS, "CERTFLOW_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(web),
           "CERTFLOW_UPLOAD_DIR": str(folder / "uploads")}
    commands = [("web", [sys.executable, "-m", "gunicorn", "server:app"])] + [
        (f"worker{n}", [str(Path(sys.executable).parent / "certflow"), "worker", "--interval", "1"])
        for n in range(workers)]
    with ExitStack() as stack:
        started = []
        for name, command in commands:
            log = stack.enter_context((folder / f"{name}.log").open("wb"))
            started.append((name, subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)))
        try:
            deadline = time.monotonic() + 60
            while Api(port).call("GET", "/readyz")[0] != 200:
                if time.monotonic() > deadline or started[0][1].poll() is not None:
                    raise RuntimeError(f"gunicorn did not get ready: {(folder / 'web.log').read_text()[-2000:]}")
                time.sleep(0.2)
            yield port
        finally:
            for _, process in started:
                process.terminate()
            codes = {name: process.wait(timeout=60) for name, process in started}
        if any(codes.values()):
            raise RuntimeError(f"stopped uncleanly: {codes}; {(folder / 'web.log').read_text()[-2000:]}")


class Api:
    """One clerk's connection; ``call`` answers (status, JSON or page text)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.requests = 0

    def call(self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = dict(self.headers)
        payload: str | None = json.dumps(body) if body is not None else None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            payload = "&".join(f"{key}={quote_plus(value)}" for key, value in form.items())
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # opened again by the next request
            return 0, None
        self.requests += 1
        self._keep_cookie(response)
        text = raw.decode("utf-8", "replace")
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(text) if is_json and text else text

    def _keep_cookie(self, response: http.client.HTTPResponse) -> None:
        # The session cookie is Secure in production: a cookie jar would not send it back over plain HTTP.
        for header in response.headers.get_all("Set-Cookie") or []:
            self.headers["Cookie"] = header.split(";", 1)[0]

    def login(self, username: str) -> None:
        """Sign in on the pages as a person does: the form's CSRF token, then the session cookie."""
        page = self.call("GET", "/login")[1]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("the sign-in page has no CSRF token")
        status, _ = self.call("POST", "/login", form={"csrf_token": token[1], "username": username,
                                                      "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"{username} could not sign in: {status}")


# -- the clerks at work ------------------------------------------------------------------------------

def drive_county(port: int, setup: Setup, applications: int) -> Counter[str]:
    """The county's clerks start its online applications, then go through their queues, round after round, until
    none has a task left; every task completed must answer 200. Returns completions and requests made."""
    clerks = {role: Api(port, token) for role, token in setup.tokens.items()}
    today = china_today(SystemClock()).isoformat()  # the server's dates are China's, whatever the machine's zone
    township = next(t for t in setup.county.townships if t.villages)
    for n in range(applications):
        data = _application(setup.county, township.name, township.villages[n % len(township.villages)].group, n)
        status, answer = clerks["window"].call("POST", "/api/v1/cases", {"process": "application_online", "data": data})
        if status != 201:
            raise RuntimeError(f"{setup.county.name}: an application was refused: {status} {answer}")
        setup.applications[answer["number"]] = n >= APPLICATIONS_REJECTED
    done: Counter[str] = Counter()
    while True:
        before = done["completions"]
        for role, _, _ in CLERKS:
            while tasks := _queue(clerks[role]):
                for task in tasks:
                    status, answer = clerks[role].call("POST", f"/api/v1/tasks/{task['id']}/complete",
                                                       {"data": _form(setup, task, today)})
                    if status != 200:
                        raise RuntimeError(f"{setup.county.name}: {task['name']} of {task['case']}: {status} {answer}")
                    done["completions"] += 1
        if done["completions"] == before:
            done["requests"] = sum(clerk.requests for clerk in clerks.values())
            return done


def _queue(clerk: Api) -> list[dict[str, Any]]:
    status, answer = clerk.call("GET", "/api/v1/tasks?queue=group")
    if status != 200:
        raise RuntimeError(f"the queue answered {status}: {answer}")
    tasks: list[dict[str, Any]] = answer["tasks"]
    return tasks


def _application(county: County, township: str, village: str, n: int) -> dict[str, Any]:
    """A Lushan-style online application for a physical (肢体) disability, from a village of the county."""
    body = f"{county.code}1985{n % 12 + 1:02d}15{900 + n:03d}"
    return {"applicant_name": f"申请人{n + 1}", "id_number": body + ric.calc_check_digit(body + "0"),
            "phone": f"1390000{n:04d}", "address": f"{county.name}{township}{n + 1}号", "village": village,
            "category": "肢体", "parts": [], "materials": ["photos"], "delivery": "post"}


def _form(setup: Setup, task: dict[str, Any], today: str) -> dict[str, Any]:
    """What the clerk enters in the task's form."""
    name, number = task["name"], task["case"]
    if name == "pre_review":
        return {"decision": "pass"} if setup.applications[number] else {"decision": "reject",
                                                                        "reason": "户籍不在本辖区"}
    holder = setup.holders[number]
    if name == "exchange":
        if holder.remade:
            return {"verification": "record_error", "verification_note": "证载等级与档案不符"}
        return {"verification": "match", "old_certificate": "collected", "issued_on": today}
    if name == "verify_record":
        return {"card_category": holder.category, "card_grade": holder.assessed, "verify_opinion": "已核对档案"}
    if name == "make_card":
        return {"made_on": today}
    if name == "issue_new_card":
        return {"old_certificate": "collected", "issued_on": today}
    if name == "serve_notice":
        return {"served_on": today, "receipt_returned": True,
                "attendance": "home_visit" if holder.home_visit else "local"}
    if name in ("reassess", "home_visit_assess"):
        return {"meets_standard": True, "doctor": "评残医生", "assessed_on": today,
                "assessed_category": holder.category, "assessed_grade": holder.assessed,
                "conclusion": f"{holder.category}残疾{holder.assessed}级"}
    raise RuntimeError(f"no clerk of the test works {name}")


# -- the checks ----------------------------------------------------------------------------------------

def counts(sessions: sessionmaker[Session], code: str) -> Counter[str]:
    """What the county's dashboard would count: holders, cases by process, status and outcome, open tasks."""
    with sessions() as session:
        holders = Counter(dict(session.execute(select(CampaignHolder.basis, func.count())
                                               .where(CampaignHolder.county == code)
                                               .group_by(CampaignHolder.basis)).all()))
        cases = session.execute(select(Case.process_key, Case.status, Case.outcome, func.count())
                                .where(Case.county == code).group_by(Case.process_key, Case.status, Case.outcome))
        tasks = session.execute(select(Task.name, func.count()).where(Task.county == code, Task.status == "open")
                                .group_by(Task.name))
        found = Counter({"holders": holders["hospital"] + holders["visual"], "new applicants": holders["new"]})
        found.update({" ".join(filter(None, (process, status, outcome))): n for process, status, outcome, n in cases})
        found.update({f"open {name}": n for name, n in tasks})
        return +found


def texts_waiting(sessions: sessionmaker[Session]) -> int:
    """Texts the workers have not sent yet."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Notification).where(Notification.status != "sent")) or 0


def wait_for_texts(sessions: sessionmaker[Session], timeout: float = 120) -> int:
    """Wait until the workers have sent every text, ``timeout`` seconds at most; returns those still waiting."""
    deadline = time.monotonic() + timeout
    while (waiting := texts_waiting(sessions)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return waiting


def cross_county_reads(port: int, setups: list[Setup], sessions: sessionmaker[Session]) -> list[str]:
    """What a county's clerks could read of the next county's cases through the pages and the API: nothing, if
    the list is empty. Each page must also show some of the county's own cases, or it would prove nothing.
    Run while the townships have tasks open."""
    found: list[str] = []
    for setup, other in zip(setups, setups[1:] + setups[:1], strict=True):
        name, theirs = setup.county.name, sorted(other.numbers)
        with sessions() as session:
            their_task = session.scalar(select(Task.id).where(Task.county == other.county.code,
                                                              Task.status == "open").limit(1))
        township, county, api = Api(port), Api(port), Api(port, setup.tokens["county"])
        township.login(setup.usernames["township"])
        county.login(setup.usernames["county"])
        pages = {"inbox": township.call("GET", "/inbox?queue=group"),
                 "inbox searched": township.call("GET", f"/inbox?queue=group&q={theirs[0]}"),
                 "case search": county.call("GET", "/audit/cases"),
                 "case search searched": county.call("GET", f"/audit/cases?number={theirs[0]}")}
        for page, (status, text) in pages.items():
            shown = set(CASE_NUMBER.findall(ECHOED.sub("", text))) if status == 200 else set()
            if status != 200 or (not shown and "searched" not in page):
                found.append(f"{name}'s {page} page answered {status} with none of its cases")
            found += [f"{name}'s {page} page shows {n} of {other.county.name}" for n in sorted(shown - setup.numbers)]
        reads = {"case page": county.call("GET", f"/cases/{theirs[0]}"),
                 "case (API)": api.call("GET", f"/api/v1/cases/{theirs[0]}"),
                 "case history (API)": api.call("GET", f"/api/v1/cases/{theirs[0]}/history"),
                 "task (API)": api.call("GET", f"/api/v1/tasks/{their_task}"),
                 "task completed (API)": api.call("POST", f"/api/v1/tasks/{their_task}/complete", {"data": {}})}
        found += [f"{name}'s {what} of {other.county.name} answered {status}, not 404"
                  for what, (status, _) in reads.items() if status != 404]
        if county.call("GET", f"/cases/{min(setup.numbers)}")[0] != 200:
            found.append(f"{name}'s own case page is not shown")
        status, answer = api.call("GET", "/api/v1/cases")
        listed = {row["county"] for row in answer["cases"]} if status == 200 else set()
        if listed != {setup.county.code}:
            found.append(f"{name}'s case search (API) answered {status} with the counties {sorted(listed)}")
    return found


def failing_cases(services: Services) -> list[str]:
    """The cases whose history does not replay to their state (the project's verify)."""
    runtime = services.runtime
    return [number for number in runtime.case_numbers() if not runtime.verify(number).ok]
