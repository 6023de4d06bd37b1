"""A case waiting on a correlated message shows on its page and in the API: what it waits on is plain data."""

from __future__ import annotations

from pathlib import Path

from webkit import conforms

from certflow.engine.runtime import Runtime
from certflow.engine.specs import read_paths

WAITS = Path(__file__).resolve().parent.parent / "engine" / "waits"


def test_a_case_waiting_on_a_correlated_message_shows_on_its_page_and_in_the_api(
    runtime: Runtime, accounts, as_user, client,  # type: ignore[no-untyped-def]
) -> None:
    runtime.deploy(read_paths([WAITS / "correlated_wait.bpmn"]), author="tests")
    number = runtime.start_case("correlated_wait", {}, actor="applicant")

    page = as_user("county").get(f"/cases/{number}")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert number in page.get_data(as_text=True)

    token = accounts.issue_token(accounts.by_username("county").id, "t")
    answer = client.get(f"/api/v1/cases/{number}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    case = answer.get_json()
    conforms(case, "Case")
    assert case["waiting"] == [
        {"event": "MessageEventDefinition", "name": "supplement", "value": {"applicant_ref": None}},
    ]
