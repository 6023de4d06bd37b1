"""A step over its budget, as people see it: the clerk's task page, the analyst's test run and deployment."""

from __future__ import annotations

import dataclasses
import re

import lxml.html
import pytest
from test_modeling import ONLINE, ROOT, deploy, page, save_diagram
from webkit import post

from certflow.engine.budget import Limits
from certflow.engine.runtime import Runtime
from certflow.engine.specs import SourceFile, read_paths

LOOP = "while True:\n    pass"


@pytest.fixture
def tight(runtime: Runtime) -> Runtime:
    """Small budgets, so a runaway step stops quickly."""
    runtime.settings = dataclasses.replace(runtime.settings, limits=Limits(
        script_cpu_seconds=0.2, step_cpu_seconds=0.5, step_seconds=5, max_cardinality=20))
    return runtime


def test_the_clerk_sees_which_step_ran_over_and_keeps_the_input(tight: Runtime, start, as_user) -> None:  # type: ignore[no-untyped-def]
    files = read_paths([ROOT / "processes", ROOT / "forms"])
    changed = ONLINE.replace('<bpmn:script>outcome = "rejected"</bpmn:script>', f"<bpmn:script>{LOOP}</bpmn:script>")
    tight.deploy([SourceFile(f.name, changed.encode()) if f.name == "processes/application_online.bpmn" else f
                  for f in files], author="analyst")
    case = start()
    task = case.task("pre_review")

    response = post(as_user("window"), f"/tasks/{task['id']}",
                    {"action": "complete", "decision": "reject", "reason": "不符合申请条件"})

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "本次提交未保存" in html and re.search("“办结：驳回”超出运行限额：(脚本占用 CPU|本步)", html)
    assert lxml.html.fromstring(html).cssselect("#f-reason")[0].text.strip() == "不符合申请条件"  # kept as typed
    assert case.task("pre_review")["status"] == "open"


def test_the_analysts_test_run_lists_the_step_that_ran_over(tight: Runtime, as_user) -> None:  # type: ignore[no-untyped-def]
    analyst = as_user("analyst")
    looping = ONLINE.replace('<bpmn:script>channel = "online"', f"<bpmn:script>{LOOP}\nchannel = \"online\"")
    assert looping != ONLINE
    save_diagram(analyst, "application_online.bpmn", looping)
    html = page(analyst.get("/modeling/drafts/application_online.bpmn"))
    form = {"draft": "application_online.bpmn", "process": "application_online",
            "start_data": html.cssselect("#trial-start")[0].text, "steps": "[]"}

    answer = page(post(analyst, "/modeling/test-run", form, page="/modeling"))

    [entry] = answer.cssselect("#test-run-result ol.trace > li")
    assert entry.get("class") == "refused"
    assert "“登记申请渠道”超出运行限额" in entry.text_content()
    assert tight.case_numbers() == []


def test_a_deployment_with_a_count_over_the_cap_is_refused_at_its_line(tight: Runtime, as_user) -> None:  # type: ignore[no-untyped-def]
    analyst = as_user("analyst")
    loop = ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>100000</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics>")
    opening = ONLINE.index('<bpmn:userTask id="pre_review"')
    closing = ONLINE.index("</bpmn:userTask>", opening)
    counted = ONLINE[:closing] + loop + ONLINE[closing:]
    save_diagram(analyst, "application_online.bpmn", counted)

    html = page(deploy(analyst, "application_online.bpmn"), 422)

    rows = [[td.text_content().strip() for td in tr.cssselect("td")]
            for tr in html.cssselect("#deploy-result tr.problem")]
    line = ONLINE[:opening].count("\n") + 1
    assert rows == [["processes/application_online.bpmn", str(line), "pre_review（预审）",
                     "多实例数量（loopCardinality） 100000 超过上限 20；请改小，"
                     "或请管理员调高上限（设置 CERTFLOW_MAX_CARDINALITY）"]]
    assert [v["version"] for v in tight.versions("application_online")] == [1]
