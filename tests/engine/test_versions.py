"""Versions of the Lushan processes: pinning, the list, comparing two versions, rolling back."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from drafts import ROOT, add_user_task, lushan, rename
from enginekit import CONTENT

from certflow.cli import main
from certflow.engine.compare import compare
from certflow.engine.runtime import DeployedVersion, Runtime
from certflow.engine.specs import read_paths

ONLINE = "application_online"
RENAMED = "预审（复核）"


def online(runtime: Runtime) -> dict[int, dict]:
    return {v["version"]: v for v in runtime.versions(ONLINE)}


def deploy_renamed(runtime: Runtime, tmp_path: Path) -> None:
    files = lushan(tmp_path, application_online=rename("pre_review", RENAMED))
    assert DeployedVersion(ONLINE, 2, True) in runtime.deploy(files, author="analyst", note="预审改名")


def test_running_cases_stay_on_their_version_and_new_cases_take_the_latest(runtime, start, tmp_path):
    old = start()
    deploy_renamed(runtime, tmp_path)
    new = start(applicant_name="王芳")

    assert (old.view["version"], new.view["version"]) == (1, 2)
    assert old.task("pre_review")["title"] == "预审"
    assert new.task("pre_review")["title"] == RENAMED
    old.complete("pre_review", {"decision": "pass"})  # the old case goes on with v1
    assert old.view["version"] == 1 and old.task("register_appointment")
    assert runtime.verify(old.number).ok and runtime.verify(new.number).ok


def test_versions_list_who_deployed_what_and_the_cases_on_each(runtime, start, tmp_path):
    start()
    deploy_renamed(runtime, tmp_path)
    start()
    start()
    v2, v1 = runtime.versions(ONLINE)  # newest first

    assert (v2["version"], v2["author"], v2["note"]) == (2, "analyst", "预审改名")
    assert (v1["version"], v1["author"], v1["note"]) == (1, "tests", "")
    assert v1["content_hash"] != v2["content_hash"]
    assert (v1["running_cases"], v1["total_cases"], v2["running_cases"], v2["total_cases"]) == (1, 1, 2, 2)
    assert "processes/application_online.bpmn" in v2["files"] and "forms/review.json" in v2["files"]
    assert v2["deployed_at"].startswith("2026-09-30")
    assert {v["key"] for v in runtime.versions()} == {ONLINE, "application_offline", "assessment", "publicity",
                                                     "card_exchange"}

    # The same content again makes no version.
    runtime.deploy(lushan(tmp_path, application_online=rename("pre_review", RENAMED)), author="someone")
    assert [v["version"] for v in runtime.versions(ONLINE)] == [2, 1]


def test_version_files_are_what_the_version_was_built_from(runtime, tmp_path):
    deploy_renamed(runtime, tmp_path)
    v1, v2 = runtime.version_files(ONLINE, 1), runtime.version_files(ONLINE, 2)
    assert set(v1) == set(v2) == set(online(runtime)[1]["files"])
    assert v1["forms/review.json"] == (ROOT / "forms" / "review.json").read_text(encoding="utf-8")
    assert RENAMED not in v1["processes/application_online.bpmn"]
    assert RENAMED in v2["processes/application_online.bpmn"]


def test_compare_lists_changed_and_added_elements(runtime, tmp_path):
    files = lushan(tmp_path, application_online=lambda root: (
        rename("pre_review", RENAMED)(root), add_user_task("pre_review", "second_review", "复核", "review.json")(root)))
    runtime.deploy(files, author="analyst")

    result = runtime.compare(ONLINE, 1, 2)

    changed = {e["id"]: e for e in result["changed"]}
    assert (changed["pre_review"]["type"], changed["pre_review"]["name"]) == ("userTask", RENAMED)
    # The flow after the renamed step now leads to the new one, and the gateway is reached from there.
    assert {k: e["what"] for k, e in changed.items()} == {
        "pre_review": ["name"], "flow_review_decision": ["flows"], "review_decision": ["flows"],
    }
    added = {e["id"]: e for e in result["added"]}
    assert set(added) == {"second_review", "flow_second_review"}
    assert (added["second_review"]["type"], added["second_review"]["name"]) == ("userTask", "复核")
    assert result["removed"] == [] and result["forms"] == [] and result["decisions"] == []
    assert "second_review" not in result["old_xml"] and 'id="second_review"' in result["new_xml"]
    assert (result["old_version"], result["new_version"]) == (1, 2)
    unchanged = runtime.compare(ONLINE, 1, 1)
    assert unchanged["added"] == unchanged["removed"] == unchanged["changed"] == []


def test_compare_says_what_changed_in_words():
    files = {f.name: f.content.decode("utf-8") for f in read_paths([CONTENT])}
    smoke = files["content/smoke.bpmn"]
    edited = dict(files)
    edited["content/smoke.bpmn"] = (
        smoke.replace("<bpmn:timeDate>deadline</bpmn:timeDate>", "<bpmn:timeDate>deadline2</bpmn:timeDate>")
        .replace('greeting = "你好，"', 'greeting = "您好，"')
        .replace('name="dueInWorkingDays" value="2"', 'name="dueInWorkingDays" value="3"')
        .replace('<bpmn:sequenceFlow id="f4" sourceRef="wait_poke" targetRef="done"/>', "")
    )
    form = files["content/smoke_approve.json"]
    edited["content/smoke_approve.json"] = form.replace('"maxLength": 20', '"maxLength": 5')

    result = compare(files, edited, "smoke")

    what = {e["id"]: e["what"] for e in result["changed"]}
    assert what == {"late": ["timer"], "greet": ["script"], "approve": ["due"]}
    assert [(e["id"], e["type"]) for e in result["removed"]] == [("f4", "sequenceFlow")]
    assert result["forms"] == [{"file": "smoke_approve.json", "change": "changed"}]


def test_rollback_deploys_an_earlier_version_again(runtime, start, tmp_path):
    deploy_renamed(runtime, tmp_path)
    on_v2 = start()

    assert runtime.rollback(ONLINE, 1, author="admin") == DeployedVersion(ONLINE, 3, True)

    versions = online(runtime)
    assert versions[3]["content_hash"] == versions[1]["content_hash"] != versions[2]["content_hash"]
    assert (versions[3]["author"], versions[3]["note"]) == ("admin", "rollback to v1")
    assert runtime.version_files(ONLINE, 3) == runtime.version_files(ONLINE, 1)
    assert [v["version"] for v in runtime.versions("assessment")] == [1]  # only the process rolled back
    new = start()
    assert new.view["version"] == 3 and new.task("pre_review")["title"] == "预审"
    assert on_v2.view["version"] == 2 and on_v2.task("pre_review")["title"] == RENAMED
    # Rolling back to the content the latest version already has changes nothing.
    assert runtime.rollback(ONLINE, 1, author="admin", note="again") == DeployedVersion(ONLINE, 3, False)


def test_versions_compare_and_rollback_on_the_command_line(runtime, tmp_path):
    deploy_renamed(runtime, tmp_path)
    cli = CliRunner()

    listed = cli.invoke(main, ["versions", ONLINE], obj=runtime)
    assert listed.exit_code == 0
    shown = f"{runtime.versions(ONLINE)[0]['name']}（{ONLINE}）"
    assert [line.split()[:2] for line in listed.output.splitlines()] == [[shown, "v2"], [shown, "v1"]]
    assert "预审改名" in listed.output and "案件：办理中 0 个，共 0 个" in listed.output

    compared = cli.invoke(main, ["compare", ONLINE, "1", "2"], obj=runtime)
    assert compared.exit_code == 0
    assert compared.output == f"改动 {ONLINE}/pre_review  用户任务“{RENAMED}”，改了名称\n"

    rolled = cli.invoke(main, ["rollback", ONLINE, "1", "--author", "admin"], obj=runtime)
    assert (rolled.exit_code, rolled.output) == (0, f"{ONLINE} v3（新版本，内容同 v1）\n")
    missing = cli.invoke(main, ["rollback", ONLINE, "9"], obj=runtime)
    assert missing.exit_code == 1 and "没有第 9 版" in missing.output
