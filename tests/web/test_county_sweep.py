"""Every page, export, report and API answer, asked by each of one county's staff for another county's cases:
nothing of the other county comes back. Every GET route of the app is tried, with Shizong's case numbers, task
ids, file ids, people and groups filled in, by Lushan's people of every role.

On SQLite this is the application's scoping alone; on PostgreSQL the app connects as a role that row-level
security holds (migration 0021), as production's does, so both layers answer.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from exchange import HOLDER_ID
from flask import Flask
from flask.testing import FlaskClient
from twocounties import PASSWORD, PEOPLE, SHIZONG, TwoCounties
from webkit import PEOPLE as LUSHAN_PEOPLE
from webkit import login, post
from werkzeug.routing import Rule

from certflow.people.accounts import Accounts

# Lushan's staff of every role; "admin" is the province's, who reaches every county by design.
SWEEPERS = sorted({*LUSHAN_PEOPLE} - {"admin"} | {"ls-admin"})
# Files of the deployment, not of a county: the routes serve them alike to everyone.
NOT_COUNTY_DATA = {"static", "bpmn_js", "echarts", "healthz", "readyz", "api.document", "modeling.decision",
                   "modeling.diagram", "modeling.form", "modeling.new_file",
                   "admin.security"}  # lists the sweep's own refused addresses: its own test below
# Arguments that name one of Shizong's rows: such a route must refuse (403) or not find (404) it.
AIMED = {"number", "task_id", "attachment_id", "username", "group_id", "township", "code"}


def shizong_paths(rule: Rule, both: TwoCounties, values: dict[str, list[Any]] | None = None) -> list[str]:
    """The route's paths with Shizong's rows filled in (``values`` adds to or replaces the arguments' values)."""
    shizong = both.shizong
    known: dict[str, list[Any]] = {
        "number": list(shizong.numbers), "task_id": list(shizong.task_ids), "seq": [1],
        "attachment_id": [shizong.attachment_id], "username": ["sz-county", "sz-admin"],
        "group_id": ["county-530323"], "township": ["530323102"], "token": ["x" * 43],
        "key": ["card_exchange"], "version": [1], "code": [SHIZONG], **(values or {}),
    }
    paths: list[dict[str, Any]] = [{}]
    for name in sorted(rule.arguments):
        paths = [{**path, name: value} for path in paths for value in known[name]]
    if "attachment_id" in rule.arguments:  # Shizong's file under Lushan's own case
        paths.append({"number": both.lushan.numbers[0], "attachment_id": shizong.attachment_id})
    return [_path(rule, path) for path in paths]


def addresses(rule: Rule, both: TwoCounties) -> list[tuple[str, dict[str, str]]]:
    """The route's paths with Shizong's rows filled in, each with the query strings that search for them."""
    shizong = both.shizong
    searches: list[dict[str, str]] = [{}]
    if rule.rule.startswith("/api/"):
        searches += [{"number": shizong.numbers[0]}, {"applicant": shizong.names[0]}] \
            if rule.endpoint == "api.search_cases" else []
        searches += [{"q": shizong.names[0], "queue": "group"}] if rule.endpoint == "api.tasks" else []
    elif not rule.arguments:  # a search box shows what was asked: by number, the name would show; by name, the number
        searches += [{"number": shizong.numbers[0], "case": shizong.numbers[0], "status": "all"},
                     {"applicant": shizong.names[0], "q": shizong.names[0], "queue": "group"}]
    return [(path, search) for path in shizong_paths(rule, both) for search in searches]


def _path(rule: Rule, values: dict[str, Any]) -> str:
    path = rule.rule
    for name, value in values.items():
        for converter in ("", "int:", "path:"):
            path = path.replace(f"<{converter}{name}>", str(value))
    return path


def readable(body: bytes, content_type: str) -> str:
    """What a person would read in the answer: JSON with its characters unescaped, a spreadsheet's cells."""
    if body[:2] == b"PK":  # an .xlsx (its sheets and shared strings) or a zip: every file in it
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "".join(readable(archive.read(name), "json" if name.endswith(".json") else "")
                           for name in archive.namelist())
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type:
        return json.dumps(json.loads(text), ensure_ascii=False)
    return text


def sweep(app: Flask, client: FlaskClient, both: TwoCounties, headers: dict[str, str]) -> list[str]:
    """Every GET route asked for Shizong's rows (with a token: the API's); what came back that should not have.
    The API refuses a request without its token (401), a page one without a sign-in (a redirect to it)."""
    people = [username for username, (county, _r, _g) in PEOPLE.items() if county == SHIZONG]
    secrets = [*both.secrets_of_shizong(), *people]
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_COUNTY_DATA or \
                (headers and not rule.rule.startswith("/api/")):
            continue
        refusals = (401, 403, 404) if rule.rule.startswith("/api/") else (403, 404)
        for path, search in addresses(rule, both):
            answer = client.get(path, query_string=search, headers=headers)
            shown = readable(answer.get_data(), answer.content_type or "")
            asked = path + "".join(search.values())  # echoed, as a search box or an address shows it
            leaked = [secret for secret in secrets if secret in shown and secret not in asked]
            if leaked:
                found.append(f"{path}?{search} ({answer.status_code}) shows {leaked}")
            aimed = AIMED & set(rule.arguments)
            if aimed and answer.status_code not in refusals and not rule.endpoint.startswith("portal."):
                found.append(f"{path} answers {answer.status_code}")
    return found


@pytest.mark.parametrize("username", SWEEPERS)
def test_no_route_shows_another_countys_rows_to_a_countys_staff(swept_app: Flask, filled: TwoCounties,
                                                                username: str) -> None:
    client = login(swept_app.test_client(), username)
    found = sweep(swept_app, client, filled, {})
    assert not found, "\n".join(found)


def test_no_api_route_shows_another_countys_rows_to_a_countys_token(swept_app: Flask, filled: TwoCounties,
                                                                    accounts: Accounts) -> None:
    person = accounts.by_username("ls-admin")
    assert person is not None
    headers = {"Authorization": f"Bearer {accounts.issue_token(person.id, 'sweep')}"}
    found = sweep(swept_app, swept_app.test_client(), filled, headers)
    assert not found, "\n".join(found)


def test_the_sweep_finds_the_rows_where_they_may_be_read(swept_app: Flask, filled: TwoCounties) -> None:
    """Shizong's own administrator reads what the sweep asks for: the filled-in rows are real ones, and what the
    sweep looks for would show, were it there."""
    client = login(swept_app.test_client(), "sz-admin", PASSWORD)
    shizong = filled.shizong
    for path in (f"/cases/{shizong.numbers[0]}", f"/cases/{shizong.numbers[0]}/history",
                 f"/cases/{shizong.numbers[0]}/files/{shizong.attachment_id}", f"/tasks/{shizong.task_ids[0]}",
                 "/audit/cases.csv"):
        assert client.get(path).status_code == 200, path
    desk = login(swept_app.test_client(), "sz-county", PASSWORD)  # the campaign's pages are its county staff's
    assert shizong.names[0] in desk.get("/campaign/desk").get_data(as_text=True)
    assert shizong.numbers[0] in client.get("/audit/cases.csv").get_data(as_text=True)
    assert sweep(swept_app, client, filled, {}) != []  # the same sweep, by the county it is about: it shows


def test_the_security_log_shows_a_county_its_own_people(swept_app: Flask) -> None:
    login(swept_app.test_client(), "sz-county", PASSWORD)  # a sign-in of Shizong's
    login(swept_app.test_client(), "county", PASSWORD)  # and one of Lushan's
    lushan = login(swept_app.test_client(), "ls-admin").get("/admin/security").get_data(as_text=True)
    assert ">county<" in lushan and "sz-county" not in lushan
    province = login(swept_app.test_client(), "admin").get("/admin/security").get_data(as_text=True)
    assert "sz-county" in province and ">county<" in province


def test_a_persons_data_exported_by_a_countys_administrator_is_their_countys(swept_app: Flask,
                                                                             filled: TwoCounties) -> None:
    def exported(username: str) -> str:
        client = login(swept_app.test_client(), username, PASSWORD)
        answer = post(client, "/admin/personal-data", {"id_number": HOLDER_ID}, page="/admin/personal-data")
        assert answer.status_code == 200
        return readable(answer.get_data(), "")

    assert filled.shizong.numbers[0] in exported("sz-admin")
    lushan = exported("ls-admin")
    assert all(secret not in lushan for secret in filled.secrets_of_shizong())


def test_the_province_reads_every_countys_figures_and_no_case(swept_app: Flask, filled: TwoCounties,
                                                              accounts: Accounts) -> None:
    """Under the database's rules too, the province's staff count every county's holders (a scope of one county,
    or none, would count nothing) and open none of their cases."""
    accounts.create("sheng", PASSWORD, display_name="省残联 统计", roles=["province"], province_wide=True)
    sheng = login(swept_app.test_client(), "sheng", PASSWORD)
    exported = csv.reader(io.StringIO(sheng.get("/province.csv").get_data(as_text=True).lstrip("\ufeff")))
    holders = {row[0]: row[1] for row in exported}
    assert holders["师宗县"] == "2"  # both holders of Shizong's roster
    assert sheng.get(f"/cases/{filled.shizong.numbers[0]}").status_code == 404
