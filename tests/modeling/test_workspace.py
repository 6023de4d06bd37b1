"""What a draft is laid over: each file as the latest versions have it; and decision tables read and written back."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from certflow.engine.runtime import Runtime
from certflow.engine.specs import SourceFile, read_paths
from certflow.modeling.decisiontables import posted_table, read_table, write_table
from certflow.modeling.workspace import current_files, source_files

ROOT = Path(__file__).resolve().parents[2]
ROUTING = (ROOT / "processes" / "hospital_routing.dmn").read_text(encoding="utf-8")


def test_each_diagram_comes_from_the_latest_version_of_its_own_process(runtime: Runtime) -> None:
    original = current_files(runtime)
    assert original["assessment.bpmn"] == (ROOT / "processes" / "assessment.bpmn").read_text(encoding="utf-8")
    changed = original["assessment.bpmn"].replace('name="鉴定并审核"', 'name="残疾鉴定并审核"')
    assert changed != original["assessment.bpmn"]
    runtime.deploy(source_files({**original, "assessment.bpmn": changed}), author="tests")
    # The online process goes back to v1, which carries the assessment as it was then.
    runtime.rollback("application_online", 1, author="tests")

    now = current_files(runtime)
    assert now["assessment.bpmn"] == changed
    assert now["application_online.bpmn"] == original["application_online.bpmn"]
    assert set(now) == set(original)


def test_files_are_named_as_certflow_deploy_names_them(runtime: Runtime) -> None:
    # Diagrams and tables keep their names; forms are known by their file name alone (forms/shizong/x.json is x.json).
    files = source_files(current_files(runtime))
    deployed = read_paths([ROOT / "processes", ROOT / "forms"])

    def names(found: list[SourceFile]) -> list[str]:
        return sorted(f.name if f.kind != "form" else PurePosixPath(f.name).name for f in found)

    assert names(files) == names(deployed)
    assert all(not r.created for r in runtime.deploy(files, author="tests"))  # same content: no new version


def test_a_decision_table_written_back_unchanged_is_the_same_file() -> None:
    assert write_table(ROUTING, read_table(ROUTING, "hospital_routing")) == ROUTING


def test_posted_rows_drop_empty_ones_and_keep_column_expressions() -> None:
    table = read_table(ROUTING, "hospital_routing")
    posted = {
        "rule_id": ["rule_limb", ""], "description": ["", ""], "in_0": ['"肢体" in ?', ""],
        "out_0": ['"庐山市人民医院"', ""], "out_1": ['"hospital-renmin"', ""], "out_2": ['"肢体"', ""],
        "input_label": ["类别"], "input_text": [""], "output_label": ["医院", "组", "类别"],
        "output_text": ["hospital", "hospital_group", "part"],
    }
    edited = posted_table(table, lambda name: posted.get(name, []))
    assert [r.id for r in edited.rows] == ["rule_limb"]
    assert (edited.inputs[0].label, edited.inputs[0].text) == ("类别", "parts")
    written = read_table(write_table(ROUTING, edited), "hospital_routing")
    assert [(r.id, r.description) for r in written.rows] == [("rule_limb", "")]
