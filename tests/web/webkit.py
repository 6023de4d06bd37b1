"""Signing in and posting forms the way a browser does, and API answers checked against the document."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from certflow.web import openapi

PASSWORD = "correct-horse-1"

# username: (roles, groups)
PEOPLE: dict[str, tuple[list[str], list[str]]] = {
    "window": (["window_clerk"], ["window"]),
    "renmin": (["hospital"], ["hospital-renmin"]),
    "anding": (["hospital"], ["hospital-anding"]),
    "yujing": (["village"], ["village-360483101209"]),
    "xiufeng": (["village"], ["village-360483101207"]),
    "expert": (["expert_committee"], ["expert-committee"]),
    "county": (["county"], ["county"]),
    "auditor": (["auditor"], []),
    "analyst": (["analyst"], []),
    "admin": (["admin"], []),
}

# A case's pages and posts, ``{n}`` its number: what a person who may not read the case is refused.
CASE_PAGES = ["/cases/{n}", "/cases/{n}/diagram.json", "/cases/{n}/history", "/cases/{n}/history.csv",
              "/cases/{n}/replay?seq=1"]
CASE_POSTS = ["/cases/{n}/history.json", "/cases/{n}/verify", "/cases/{n}/id-number", "/cases/{n}/comments"]


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> FlaskClient:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client: FlaskClient, path: str, data: dict | None = None, *, page: str = "/inbox", **kwargs):  # type: ignore[no-untyped-def]
    """A form post carrying the CSRF token of ``page``, as a browser would send it."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)}, **kwargs)


def field(html: str, name: str) -> lxml.html.HtmlElement:
    """The wrapper of form field ``name``: its input, its label and the errors beside it."""
    [wrapper] = lxml.html.fromstring(html).cssselect(f'[data-field="{name}"]')
    return wrapper


def conforms(instance: Any, schema_name: str) -> None:
    """An API answer matches the OpenAPI document's schema of that name."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": openapi.DOCUMENT["components"]}
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(instance)]
    assert problems == [], problems
