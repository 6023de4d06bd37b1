"""Whatever a case waits on shows on the web: a correlated message on the case page and in the API (as plain
data); a manual or plain task in its lane's inbox, with its instructions and a button to go on."""

from __future__ import annotations

from pathlib import Path

from webkit import conforms, post

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
    # People read the element's name in the diagram; the message and its correlation are the API's.
    html = page.get_data(as_text=True)
    assert '<section class="card" id="waiting"><h2>正在等待</h2><ul>\n  <li>等待补交</li>' in html
    assert "supplement" not in html

    token = accounts.issue_token(accounts.by_username("county").id, "t")
    answer = client.get(f"/api/v1/cases/{number}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    case = answer.get_json()
    conforms(case, "Case")
    assert case["waiting"] == [
        {"event": "MessageEventDefinition", "name": "supplement", "value": {"applicant_ref": None},
         "label": "等待补交"},
    ]


def test_a_manual_task_is_in_its_lanes_inbox_and_completes_with_its_button(runtime: Runtime, as_user) -> None:  # type: ignore[no-untyped-def]
    runtime.deploy(read_paths([WAITS / "manual_steps.bpmn"]), author="tests")
    number = runtime.start_case("manual_steps", {}, actor="applicant")
    window = as_user("window")
    [task] = runtime.tasks(case=number)
    assert f"/tasks/{task['id']}" in window.get("/inbox?queue=group").get_data(as_text=True)

    page = window.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "<p>请核对&lt;b&gt;身份证原件&lt;/b&gt;与复印件一致。<br>核对后点击继续。</p>" in page
    assert "完成，继续" in page and "保存草稿" not in page

    response = post(window, f"/tasks/{task['id']}", {"action": "complete"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [filing] = runtime.tasks(case=number)
    assert filing["name"] == "file_away"
    assert "把材料放入档案袋。" in window.get(f"/tasks/{filing['id']}").get_data(as_text=True)
    post(window, f"/tasks/{filing['id']}", {"action": "complete"})
    assert runtime.case(number)["status"] == "completed"
