"""An auditor checks a finished case in a real browser: its history, the case step by step, the exported chain
(checked outside certflow), and verification. A screenshot of each page goes to test-artifacts/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from browserkit import LiveServer, Screens, sign_in

CHECKER = Path(__file__).resolve().parents[2] / "scripts" / "check_history_export.py"


def finished_case(live: LiveServer) -> str:
    """The first demo case that ended with a certificate issued."""
    return next(n for n in live.runtime.case_numbers() if live.runtime.case(n)["outcome"] == "issued")


def passed_markers(page) -> int:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#diagram[data-ready=true]")
    return page.locator("#diagram .djs-element.cf-passed").count()


def test_an_auditor_steps_through_exports_and_verifies_a_finished_case(browser, live: LiveServer, screens: Screens,
                                                                        tmp_path):
    number = finished_case(live)
    auditor = sign_in(browser, live, "auditor")
    auditor.goto(f"{live.url}/cases/{number}")
    auditor.wait_for_selector("#diagram[data-ready=true]")
    assert "已办结" in auditor.inner_text("#case-summary")
    assert auditor.locator("#comment").count() == 0  # auditors change nothing
    screens.shot(auditor, "case")

    # The history, then only the forms submitted.
    auditor.get_by_role("link", name="办理历史", exact=True).click()
    auditor.wait_for_selector("#history")
    events = len(live.runtime.history(number))
    assert auditor.locator("#history tbody tr").count() == events
    screens.shot(auditor, "history")
    auditor.check("input[name=kind][value=task_completed]")
    auditor.click("#history-filters button[type=submit]")
    auditor.wait_for_url(re.compile(r"kind=task_completed"))
    kinds = auditor.locator("#history tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert kinds and set(kinds) == {"task_completed"}
    screens.shot(auditor, "history-forms-only")

    # Both exports: the filtered CSV, and the whole chain as JSON, which checks outside certflow.
    with auditor.expect_download() as csv_download:
        auditor.click("#export-csv")
    assert len(csv_download.value.path().read_text(encoding="utf-8-sig").splitlines()) == len(kinds) + 1
    with auditor.expect_download() as json_download:
        auditor.click("#export-json")
    exported = tmp_path / json_download.value.suggested_filename
    json_download.value.save_as(exported)
    assert exported.name == f"{number}-history.json"
    assert len(json.loads(exported.read_text(encoding="utf-8"))["events"]) == events + 1  # its own record
    checked = subprocess.run([sys.executable, str(CHECKER), str(exported)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.startswith(f"OK {number}")

    # Step by step: forward twice, back once, then straight to the last step.
    auditor.get_by_role("link", name="逐步重放", exact=True).click()
    first = passed_markers(auditor)
    steps = auditor.locator("#steps li").count()
    assert "第 1 / " in auditor.inner_text("#stepper") and auditor.locator("#previous").count() == 0
    assert "预审" in auditor.inner_text("#open-tasks")
    screens.shot(auditor, "replay-first-step")
    auditor.click("#next")
    auditor.wait_for_selector("text=第 2 / ")
    second = passed_markers(auditor)
    assert second > first and "登记并预约鉴定" in auditor.inner_text("#open-tasks")
    auditor.click("#next")
    auditor.wait_for_selector("text=第 3 / ")
    third = passed_markers(auditor)  # the hospital's steps run inside the call activity: the same path here
    assert third == second and "鉴定并审核" in auditor.inner_text("#open-tasks")
    screens.shot(auditor, "replay-third-step")
    auditor.click("#previous")
    auditor.wait_for_selector("text=第 2 / ")
    assert passed_markers(auditor) == second and "登记并预约鉴定" in auditor.inner_text("#open-tasks")
    auditor.locator("#steps li a").last.click()
    auditor.wait_for_selector(f"text=第 {steps} / {steps} 步")
    assert passed_markers(auditor) > third and auditor.locator("#next").count() == 0
    assert "没有待办环节" in auditor.inner_text("#open-tasks")
    screens.shot(auditor, "replay-last-step")

    # Verification from the case page.
    auditor.goto(f"{live.url}/cases/{number}")
    auditor.click("#verify")
    auditor.wait_for_selector("#verification")
    assert auditor.inner_text("#verification").startswith(f"核验通过：{events + 1} 条事件")
    screens.shot(auditor, "verified")
