"""A case's history, its replay at step N and its verification through the REST API: the same rules as the pages,
and answers that match the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from lushan import ADULT_ID
from sqlalchemy import select, update
from test_api import refused
from webkit import conforms
from werkzeug.test import TestResponse

from certflow.engine.models import Case, Event

API = "/api/v1"
PASS = {"decision": "pass"}


@pytest.fixture
def api(app: Flask, accounts) -> Callable[[str, str], TestResponse]:  # type: ignore[no-untyped-def]
    """``api("auditor", "/cases/…/history")``: a GET with that person's token."""
    tokens: dict[str, str] = {}

    def get(username: str, path: str) -> TestResponse:
        if username not in tokens:
            tokens[username] = accounts.issue_token(accounts.by_username(username).id, "t")
        return app.test_client().get(API + path, headers={"Authorization": f"Bearer {tokens[username]}"})
    return get


@pytest.fixture
def reviewed(start) -> Any:  # type: ignore[no-untyped-def]
    """A 肢体 case the window passed, now at 人民医院."""
    case = start()
    case.complete("pre_review", PASS, user="window")
    return case


def ok(response: TestResponse, schema: str) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    conforms(body, schema)
    return body


def test_the_history_has_every_event_with_its_hash_and_masked_id_numbers(api, reviewed):
    history = reviewed.runtime.history(reviewed.number)
    response = api("renmin", f"/cases/{reviewed.number}/history")  # it has a task in the case
    assert response.status_code == 200
    body = response.get_json()
    assert body["case"] == reviewed.number
    for event in body["events"]:
        conforms(event, "Event")
    assert [(e["seq"], e["kind"], e["hash"]) for e in body["events"]] == [(e["seq"], e["kind"], e["hash"])
                                                                        for e in history]
    assert body["events"][0]["data"]["data"]["id_number"] == "360483********123X"
    assert ADULT_ID not in response.get_data(as_text=True)
    refused(api("anding", f"/cases/{reviewed.number}/history"), 404, "not_found")
    refused(api("window", "/cases/LS-2026-999999/history"), 404, "not_found")


def test_the_export_is_the_chain_and_records_the_view(api, reviewed):
    runtime, number = reviewed.runtime, reviewed.number
    export = ok(api("auditor", f"/cases/{number}/history/export"), "HistoryExport")
    assert export == runtime.history_export(number)
    last = export["events"][-1]["body"]
    assert (last["kind"], last["actor"], last["data"]) == ("personal_data_viewed", "auditor", {"what": "导出完整历史"})
    assert export["events"][0]["body"]["data"]["data"]["id_number"] == ADULT_ID
    refused(api("renmin", f"/cases/{number}/history/export"), 403, "forbidden")
    refused(api("anding", f"/cases/{number}/history/export"), 404, "not_found")
    assert [e["actor"] for e in runtime.history(number) if e["kind"] == "personal_data_viewed"] == ["auditor"]


def test_replay_at_step_n(api, reviewed):
    runtime, number = reviewed.runtime, reviewed.number
    review = next(e["seq"] for e in runtime.history(number) if e["kind"] == "task_completed")
    view = ok(api("county", f"/cases/{number}/replay/{review}"), "Replay")
    assert (view["seq"], view["step"], view["error"]) == (review, review, None)
    assert [t["name"] for t in view["open_tasks"]] == ["register_appointment"]
    assert view["passed"]["pre_review"] == 1 and len(view["events"]) == review
    assert ADULT_ID not in json.dumps(view, ensure_ascii=False)
    assert [t["name"] for t in ok(api("renmin", f"/cases/{number}/replay/1"), "Replay")["open_tasks"]] == [
        "pre_review"]
    refused(api("county", f"/cases/{number}/replay/999"), 404, "not_found")
    refused(api("anding", f"/cases/{number}/replay/1"), 404, "not_found")


def test_verify(api, reviewed):
    runtime, number = reviewed.runtime, reviewed.number
    result = ok(api("auditor", f"/cases/{number}/verify"), "Verification")
    assert result == {"case": number, "ok": True, "events": len(runtime.history(number)), "steps": 2,
                      "unsigned_events": 0, "erased": "", "finding": None}
    refused(api("window", f"/cases/{number}/verify"), 403, "forbidden")
    refused(api("anding", f"/cases/{number}/verify"), 404, "not_found")

    with runtime.sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        session.execute(update(Event).where(Event.case_id == case_id, Event.seq == 2).values(actor="someone"))
    found = ok(api("admin", f"/cases/{number}/verify"), "Verification")
    assert not found["ok"] and (found["finding"]["seq"], found["finding"]["kind"]) == (2, "content")
