"""Every route that changes something, aimed at another county's rows by each of one county's staff and by its API
token: refused, and nothing of the other county changed. The counterpart of ``test_county_sweep`` (which asks
every GET route): every rule of the app with a writing method is sent, with Shizong's case numbers, task ids, file
ids, people, groups, tokens and county code filled in, and the form a real user would post, by Lushan's people of
every role (with the page's CSRF token, so that a refusal is for the county, not for a forged form).

A snapshot of every row of Shizong's (every table with a county, or belonging to a case, task, person or holder
of one) is taken before and after the whole sweep: the answers say what was refused, the snapshot that nothing
acted. On SQLite this is the application's scoping alone; on PostgreSQL the app connects as the app's role, held
by row-level security, as production's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exchange import COUNTY_GROUP, HOLDER_ID
from flask import Flask
from flask.testing import FlaskClient
from lushan import application
from sqlalchemy import Table, select
from test_county_sweep import SWEEPERS, readable, shizong_paths
from twocounties import PASSWORD, SHIZONG, TwoCounties
from webkit import csrf_token, login
from werkzeug.routing import Rule

from certflow.engine.models import Base
from certflow.engine.runtime import Runtime
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.people.accounts import Accounts

WRITING = {"POST", "PUT", "PATCH", "DELETE"}
# Writing routes left out of the sweep, each with why.
NOT_SWEPT = {"auth.login": "signing in is nobody's county's", "auth.logout": "ends the sweeping person's session",
             "admin.remove_lane": "the lane mappings are the installation's, no county's rows (docs/web.md)"}
# Routes that name one of Shizong's rows in their body rather than their address: they must refuse it too.
# (A county's administrator is not asked a new group's county: theirs is taken, whatever the form says.)
AIMED_BY_BODY = {"admin.create", "admin.create_lane", "admin.update_lane", "counties.add", "modeling.rollback",
                 "modeling.give_up", "modeling.migration", "modeling.copy", "modeling.deploy", "modeling.trial",
                 "api.deploy", "api.give_up", "reassessment.move", "reassessment.make_schedule"}
# Routes that refuse, besides with 403 or 404, with their form's answer to a wrong input: the status and the reason
# the page shows (a county's administrator is offered no other county).
REFUSED_AS_INPUT = {"admin.create": (422, "未知的县（市）"), "admin.update": (422, "未知的县（市）"),
                    "admin.create_lane": (422, "没有编号为 township-530323102 的组织机构"),
                    "admin.update_lane": (422, "没有编号为 township-530323102 的组织机构")}
# The query strings of routes that name their row there: the installation's lane mapping made for the sweep.
QUERIES = {"admin.update_lane": {"lane": "审批人"}}
# Addresses of Lushan's own rows that the form would move into Shizong: Lushan's clerk made one of Shizong's.
OWN_MOVED = {"admin.update": ["/admin/users/county"]}
AIMED = {"number", "task_id", "attachment_id", "username", "group_id", "township", "code", "token_id"}
TODAY = "2026-09-01"  # the tests' clock's day
# One form for every task of both counties' first steps: the fields of Shizong's exchange and notice and of
# Lushan's pre-review; each form reads its own fields and ignores the rest.
TASK_FORM = {"verification": "match", "old_certificate": "collected", "issued_on": TODAY, "served_on": TODAY,
             "receipt_returned": "true", "attendance": "local", "decision": "pass"}
# The API refuses fields its task's form has not: the notice's step (Shizong's second task), as JSON.
TASK_DATA = {"served_on": TODAY, "receipt_returned": True, "attendance": "local"}


def bodies(both: TwoCounties) -> dict[str, Any]:
    """The form a real user posts to each route (or the forms: a list), naming Shizong where the form names a county
    or a case."""
    number = both.shizong.numbers[0]
    return {
        "tasks.submit": [{**TASK_FORM, "action": "draft"}, TASK_FORM],  # saving a draft; completing the task
        "inbox.claim": {"then": "open"}, "inbox.reassign": {"assignee": "sz-admin"},
        "tasks.comment": {"comment": "已电话联系申请人"},
        "tasks.register_request": {"reason": "对评定结论不服", "by": "本人", "received_on": TODAY},
        "operations.fix": {"changes": '{"village": "530323102201"}'}, "operations.cancel": {"reason": "申请人撤回申请"},
        "admin.create": {"username": "sz-new", "display_name": "师宗 新人", "password": "a-long-password-1",
                         "roles": "auditor", "county": SHIZONG},
        "admin.update": {"display_name": "改了名", "active": "true", "roles": "admin", "county": SHIZONG,
                         "password": "a-long-password-2"},
        "admin.issue_token": {"label": "对接"},
        "admin.create_group": {"id": "township-530323999", "role": "township", "name": "师宗县某乡",
                               "county": SHIZONG},
        "admin.update_group": {"name": "改了名", "active": "false"},
        "admin.export_personal_data": {"id_number": HOLDER_ID},
        "counties.add": {"code": SHIZONG, "case_prefix": "SZ", "sms_signature": "师宗县残联"},
        "counties.update": {"case_prefix": "XX", "sms_signature": "改了名", "active": "false"},
        "reassessment.make_schedule": {"start": "2026-10-08"},
        "reassessment.move": {"day": "2022-04-01", "venue": "县残联", "to": "2026-10-09", "reason": "场地维修",
                              "case": number},
        "reassessment.receipts": {"case": number, f"served_on-{number}": TODAY, f"attendance-{number}": "local"},
        "modeling.rollback": {"county": SHIZONG, "note": "回到旧版"},
        "modeling.give_up": {"county": SHIZONG, "confirm": "yes", "note": "跟随全省"},
        "modeling.migration": {"county": SHIZONG, "case": number},
        "modeling.copy": {"county": SHIZONG}, "modeling.deploy": {"county": SHIZONG, "draft": "publicity.bpmn"},
        "modeling.trial": {"county": SHIZONG, "draft": "publicity.bpmn", "start_data": "{}", "steps": "[]"},
        "api.complete": {"data": TASK_DATA}, "api.give_up": {"county": SHIZONG},
        "api.deploy": {"county": SHIZONG, "files": [{"name": "publicity.bpmn", "content": "<definitions/>"}]},
        "api.start_case": {"process": "application_online", "data": application()},  # a case of the token's county
        "admin.create_lane": {"lane": "师宗审批人", "role": "township", "group": "township-530323102"},
        "admin.update_lane": {"role": "township", "group": "township-530323102"},
        "modeling.discard": {"draft": "publicity.bpmn"}, "modeling.from_province": {"draft": "publicity.bpmn"},
        "modeling.save_diagram": {"content": "<definitions/>"}, "modeling.form": {"schema": '{"type": "object"}'},
        "portal.supply": {"id_number": "360483199001011234"}, "portal.review": {"id_number": "360483199001011234"},
    }


def writing_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if WRITING & set(rule.methods or ())
            and rule.endpoint not in NOT_SWEPT]


def snapshot(runtime: Runtime, county: str = SHIZONG) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the county's (Shizong's unless named), whole: those of a table with a county column, and those
    belonging to one of its cases, tasks, people or campaign holders. A table added later is in it by the same
    columns."""
    tables = Base.metadata.tables
    owners = {"case_id": tables["cases"], "task_id": tables["tasks"], "user_id": tables["users"],
              "holder_id": tables["campaign_holders"]}
    found: dict[str, list[tuple[Any, ...]]] = {}
    with county_scope(PROVINCE_WIDE), runtime.sessions() as session:
        for name, table in tables.items():
            query = _of_county(table, owners, county)
            if query is not None:
                found[name] = sorted(tuple(map(repr, row)) for row in session.execute(query))
    return found


def _of_county(table: Table, owners: dict[str, Table], county: str) -> Any:
    columns = table.columns
    if "county" in columns:
        return select(table).where(columns["county"] == county)
    if table.name == "counties":
        return select(table).where(columns["code"] == county)
    for column, owner in owners.items():
        if column in columns:
            key = owner.columns["id"]
            return select(table).where(columns[column].in_(select(key).where(owner.columns["county"] == county)))
    return None


def send(app: Flask, client: FlaskClient, both: TwoCounties, api: dict[str, str] | None,
         extra: dict[str, list[Any]]) -> list[str]:
    """Every writing route aimed at Shizong's rows; what answered as though it had acted, or failed."""
    found, forms = [], bodies(both)
    token = None if api else csrf_token(client, "/inbox")
    for rule in writing_rules(app):
        is_api = rule.rule.startswith("/api/")
        if api is not None and not is_api:
            continue
        sent = forms.get(rule.endpoint, {})
        aimed = bool(AIMED & set(rule.arguments)) or rule.endpoint in AIMED_BY_BODY
        refusals = (401, 403, 404) if is_api and api is None else (403, 404)
        paths = [*shizong_paths(rule, both, extra), *OWN_MOVED.get(rule.endpoint, [])]
        for path, body in [(path, body) for path in paths for body in (sent if isinstance(sent, list) else [sent])]:
            if api is not None:
                answer = client.post(path, json=body, headers=api)
            else:
                answer = client.post(path, query_string=QUERIES.get(rule.endpoint), data={**body, "csrf_token": token})
            shown = readable(answer.get_data(), answer.content_type or "")
            leaked = [secret for secret in both.secrets_of_shizong() if secret in shown and secret not in path
                      and secret not in str(body)]
            if leaked:
                found.append(f"POST {path} ({answer.status_code}) shows {leaked}")
            status, reason = REFUSED_AS_INPUT.get(rule.endpoint, (None, ""))
            if status is not None and answer.status_code not in refusals and \
                    not (answer.status_code == status and reason in shown):
                found.append(f"POST {path} {body} answers {answer.status_code}, not {status} {reason}")
            elif answer.status_code >= 500 or (status is None and aimed and answer.status_code not in refusals
                                               and not rule.endpoint.startswith("portal.")):
                found.append(f"POST {path} {body} answers {answer.status_code}")
    return found


def shizong_token(accounts: Accounts) -> int:
    """The id of a Shizong clerk's API token, for the route that revokes one."""
    return accounts.tokens(_person(accounts, "sz-county"))[0].id


def test_no_writing_route_changes_another_countys_rows(swept_app: Flask, filled: TwoCounties, runtime: Runtime,
                                                       accounts: Accounts) -> None:
    """One app and one fill for the whole sweep: every Lushan role in turn, then Lushan's API token."""
    swept_app.extensions["certflow"].lanes.save("审批人", "county", None, actor="admin")
    before, found = snapshot(runtime), []
    # ``name``: a request's (an objection), and a draft's of each kind the modeling pages save.
    extra = {"token_id": [shizong_token(accounts)], "key": ["publicity"],
             "name": ["objection", "publicity.bpmn", "hospital_routing.dmn", "review.json"]}
    for username in SWEEPERS:
        client = login(swept_app.test_client(), username)
        found += [f"{username}: {problem}" for problem in send(swept_app, client, filled, None, extra)]
    api = {"Authorization": f"Bearer {accounts.issue_token(_person(accounts, 'ls-admin'), 'sweep')}"}
    found += [f"token: {problem}" for problem in send(swept_app, swept_app.test_client(), filled, api, extra)]
    after = snapshot(runtime)
    changed = [f"{table}: {rows} → {after[table]}" for table, rows in before.items() if rows != after[table]]
    assert not found and not changed, "\n".join(found + changed)


def changed(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> set[str]:
    return {table for table, rows in before.items() if rows != after[table]}


def test_the_same_posts_act_for_the_rows_own_county(swept_app: Flask, filled: TwoCounties, runtime: Runtime,
                                                    accounts: Accounts) -> None:
    """The sweep's forms are ones the routes accept: sent by a county's own staff to its own rows they act, so the
    sweep's refusals are for the county. Lushan's administrator sends them to Lushan's case and task; Shizong's
    sends the very requests of the sweep (the same addresses and bodies) and its token those of the API."""
    forms, lushan, shizong = bodies(filled), filled.lushan, filled.shizong
    mine = login(swept_app.test_client(), "ls-admin")
    own = [("tasks.comment", f"/cases/{lushan.numbers[1]}/comments", {"events"}),
           ("inbox.claim", f"/tasks/{lushan.task_ids[1]}/claim", {"tasks"}),
           ("inbox.unclaim", f"/tasks/{lushan.task_ids[1]}/unclaim", {"tasks"}),
           ("inbox.reassign", f"/tasks/{lushan.task_ids[1]}/reassign", {"tasks"}),
           ("tasks.submit", f"/tasks/{lushan.task_ids[1]}", {"drafts"}),  # saving a draft
           ("tasks.submit", f"/tasks/{lushan.task_ids[1]}", {"tasks", "events", "cases"}),
           ("operations.cancel", f"/admin/incidents/{lushan.numbers[0]}/cancel", {"cases", "incidents"})]
    forms["inbox.reassign"] = {"assignee": "ls-admin"}  # the one form that names a person of the county's own
    token, sent = csrf_token(mine, "/inbox"), form_sender(forms)
    for endpoint, path, tables in own:
        before = snapshot(runtime, lushan.code)
        answer = mine.post(path, data={**sent(endpoint), "csrf_token": token})
        assert answer.status_code < 400 and tables <= changed(before, snapshot(runtime, lushan.code)), path
    forms = bodies(filled)
    sent = form_sender(forms)
    api = {"Authorization": f"Bearer {accounts.issue_token(_person(accounts, 'sz-admin'), 'own')}"}
    task = shizong.task_ids[1]
    for endpoint, path, tables in (("api.claim", f"/api/v1/tasks/{task}/claim", {"tasks"}),
                                   ("api.unclaim", f"/api/v1/tasks/{task}/unclaim", {"tasks"}),
                                   ("api.complete", f"/api/v1/tasks/{task}/complete", {"tasks", "events"})):
        before = snapshot(runtime)
        answer = swept_app.test_client().post(path, json=sent(endpoint), headers=api)
        assert answer.status_code < 400 and tables <= changed(before, snapshot(runtime)), (path, answer.get_json())
    theirs = login(swept_app.test_client(), "sz-admin", PASSWORD)
    sz_token = accounts.tokens(_person(accounts, "sz-county"))[0].id
    token = csrf_token(theirs, "/inbox")
    sweep_paths = [("tasks.comment", f"/cases/{shizong.numbers[0]}/comments", {"events"}),
                   ("inbox.claim", f"/tasks/{shizong.task_ids[0]}/claim", {"tasks"}),
                   ("inbox.unclaim", f"/tasks/{shizong.task_ids[0]}/unclaim", {"tasks"}),
                   ("inbox.reassign", f"/tasks/{shizong.task_ids[0]}/reassign", {"tasks"}),
                   ("tasks.submit", f"/tasks/{shizong.task_ids[0]}", {"drafts"}),
                   ("tasks.submit", f"/tasks/{shizong.task_ids[0]}", {"tasks", "events"}),
                   ("operations.cancel", f"/admin/incidents/{shizong.numbers[1]}/cancel", {"cases"}),
                   ("admin.update", "/admin/users/sz-county", {"users"}),
                   ("admin.issue_token", "/admin/users/sz-county/tokens", {"api_tokens"}),
                   ("admin.revoke_token", f"/admin/users/sz-county/tokens/{sz_token}/revoke", {"api_tokens"}),
                   ("admin.update_group", f"/admin/groups/{COUNTY_GROUP}", {"groups"})]
    for endpoint, path, tables in sweep_paths:
        before = snapshot(runtime)
        answer = theirs.post(path, data={**sent(endpoint), "csrf_token": token})
        assert answer.status_code < 400 and tables <= changed(before, snapshot(runtime)), path


def form_sender(forms: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    """Each route's form in turn: a route with several gets the next one each time (a task's draft is saved
    before the task is completed)."""
    left = {endpoint: list(reversed(sent)) for endpoint, sent in forms.items() if isinstance(sent, list)}

    def next_form(endpoint: str) -> dict[str, Any]:
        if endpoint in left:
            return left[endpoint].pop()
        return forms.get(endpoint, {})
    return next_form


def _person(accounts: Accounts, username: str) -> int:
    person = accounts.by_username(username)
    assert person is not None
    return person.id
