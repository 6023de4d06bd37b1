"""Security headers: every HTML page forbids inline scripts and framing by other sites; no answer may be
sniffed into a page; production pins HTTPS and keeps the sign-in cookie off plain HTTP."""

from __future__ import annotations

import secrets

import lxml.html
import pytest
from exchange import COUNTY, TOWNSHIP
from flask import Flask
from flask.testing import FlaskClient
from webkit import PASSWORD, login

from certflow.config import Config
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.web import create_app

SKIPPED = ("/static", "/vendor", "/api/")
WHO = [None, "admin", "xiongbi"]  # the administrator sees every page but the township's


@pytest.fixture(autouse=True)
def township_clerk(app: Flask, accounts: Accounts) -> None:
    """The exchange campaign's pages (desk, register, ledger, schedule) are a township's."""
    accounts.create("xiongbi", PASSWORD, display_name="雄壁镇 经办", roles=["township"], groups=[TOWNSHIP],
                    county=COUNTY.code)


def directives(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    policy = response.headers.get("Content-Security-Policy", "")
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def html_pages(app: Flask, client: FlaskClient) -> dict[str, object]:
    """Every page without parameters in its address, as ``client`` sees it (some refuse: their error page)."""
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIPPED):
            response = client.get(rule.rule)
            if response.mimetype == "text/html":
                pages[rule.rule] = response
    return pages


@pytest.mark.parametrize("who", WHO)
def test_every_page_carries_the_security_headers(app, who):
    client = login(app.test_client(), who) if who else app.test_client()
    pages = html_pages(app, client)
    assert {"/login", "/apply", "/status"} <= set(pages) and len(pages) > 10
    for path, response in pages.items():
        policy = directives(response)
        assert policy.get("script-src") == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy.get("object-src") == ["'none'"] and policy.get("base-uri") == ["'none'"], path
        assert policy.get("frame-ancestors") == ["'none'"], path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert "Strict-Transport-Security" not in response.headers, path  # development runs on plain HTTP


def test_error_pages_and_json_carry_them_too(app, client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and directives(missing)["frame-ancestors"] == ["'none'"]
    api = client.get("/api/v1/openapi.json")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("who", WHO)
def test_no_page_has_a_script_the_policy_would_block(app, who):
    """Every script is a file of this site: inline code would not run under the policy, so a page with
    some would be broken in the browser."""
    client = login(app.test_client(), who) if who else app.test_client()
    for path, response in html_pages(app, client).items():
        tree = lxml.html.fromstring(response.get_data(as_text=True))
        inline = [s for s in tree.iter("script") if not s.get("src") and s.get("type") != "application/json"]
        handlers = [f"{e.tag} {a}" for e in tree.iter() if isinstance(e.tag, str) for a in e.attrib
                    if a.startswith("on")]
        links = [e.get("href") for e in tree.iter("a") if (e.get("href") or "").startswith("javascript:")]
        assert (inline, handlers, links) == ([], [], []), path


def test_production_pins_https_and_sends_the_cookie_over_https_only(runtime: Runtime, accounts: Accounts, app):
    config = Config.from_env({"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": secrets.token_hex(32)})
    client = create_app(config, runtime=runtime, accounts=accounts).test_client()
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    signed_in = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                            data={"username": "window", "password": PASSWORD, "csrf_token": token(page)})
    assert signed_in.status_code == 302
    cookie = signed_in.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_cookies_work_on_plain_http(app):
    cookie = login(app.test_client(), "window").get_cookie("session")
    assert cookie is not None and not cookie.secure


def token(page) -> str:  # type: ignore[no-untyped-def]
    [meta] = lxml.html.fromstring(page.get_data(as_text=True)).cssselect('meta[name="csrf-token"]')
    return meta.get("content")
