"""The groups in the database, and the groups file that seeds a new one (on start and by ``certflow init-db``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete

from certflow.cli import main
from certflow.engine.errors import ValidationFailed
from certflow.engine.runtime import Runtime
from certflow.people.directory import Directory, GroupsFile
from certflow.people.models import Group

LUSHAN = "360483"  # 庐山市, the deployment's own county


def groups_file(tmp_path: Path, *groups: dict[str, str]) -> Path:
    path = tmp_path / "groups.json"
    path.write_text(json.dumps({"groups": list(groups)}, ensure_ascii=False), encoding="utf-8")
    return path


WINDOW = {"id": "window", "role": "window_clerk", "name": "综合窗口"}


@pytest.fixture(autouse=True)
def no_groups_yet(runtime: Runtime) -> None:
    """A database before its first start: the shared fixture has seeded the project's groups."""
    with runtime.sessions.begin() as session:
        session.execute(delete(Group))


def test_the_seed_fills_an_empty_table_only(runtime: Runtime, tmp_path: Path) -> None:
    directory = Directory(runtime.sessions)
    village = {"id": "village-360483101209", "role": "village", "name": "白鹿镇玉京村"}
    assert directory.seed(groups_file(tmp_path, WINDOW, village), LUSHAN) == 2
    assert directory.seed(groups_file(tmp_path, WINDOW, {**village, "name": "改过的名字"}), LUSHAN) == 0
    assert directory.names() == {"window": "综合窗口", "village-360483101209": "白鹿镇玉京村"}
    assert [g.id for g in directory.of_role("village")] == ["village-360483101209"]


def test_a_full_table_does_not_need_the_file(runtime: Runtime, tmp_path: Path) -> None:
    directory = Directory(runtime.sessions)
    directory.add("county", "county", "县残联", LUSHAN)
    assert directory.seed(tmp_path / "missing.json", LUSHAN) == 0


@pytest.mark.parametrize(("content", "says"), [
    ("{not json", "不是有效的 JSON：第 1 行第 2 列有误"),
    (json.dumps({"groups": [{"id": "window", "role": "window_clerk"}]}), "缺少 name"),
    (json.dumps({"groups": [{**WINDOW, "role": "cashier"}]}), "window：未知的角色：cashier"),
    (json.dumps({"groups": [{"id": "village-1", "role": "village", "name": "某村"}]}), "village-1：村(社区)的编号"),
    (json.dumps({"groups": [WINDOW, WINDOW]}), "window：写了两次"),
], ids=["not JSON", "no name", "unknown role", "village id", "twice"])
def test_a_broken_file_stops_the_start_naming_the_file(runtime: Runtime, tmp_path: Path, content: str,
                                                       says: str) -> None:
    path = tmp_path / "groups.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        Directory(runtime.sessions).seed(path, LUSHAN)
    assert str(stopped.value).startswith(f"组织机构文件 {path} 有误：") and says in str(stopped.value)
    assert Directory(runtime.sessions).all() == []


def test_the_project_groups_file_is_valid() -> None:
    assert len(GroupsFile.load(Path(__file__).resolve().parent.parent / "groups.json").groups) == 10


def test_deactivated_groups_are_kept_but_not_offered(runtime: Runtime) -> None:
    directory = Directory(runtime.sessions)
    directory.add("village-360483101209", "village", "白鹿镇玉京村", LUSHAN)
    directory.update("village-360483101209", name="白鹿镇玉京村", active=False)
    assert directory.of_role("village") == []
    assert directory.name("village-360483101209") == "白鹿镇玉京村"
    with pytest.raises(ValidationFailed):
        directory.add("village-360483101209", "village", "又一个玉京村", LUSHAN)


def test_init_db_seeds_a_new_database_once(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTFLOW_GROUPS", str(groups_file(tmp_path, WINDOW)))
    first = CliRunner().invoke(main, ["init-db"], obj=runtime)
    assert (first.exit_code, first.stdout) == (0, "数据库已是最新；按配置建了县（市）庐山市（360483）；"
                                                  "从组织机构文件建了 1 个组织机构\n")
    again = CliRunner().invoke(main, ["init-db"], obj=runtime)
    assert (again.exit_code, again.stdout) == (0, "数据库已是最新\n")
    assert Directory(runtime.sessions).names() == {"window": "综合窗口"}


def test_a_second_deployments_groups_are_added_beside_the_first(runtime: Runtime, tmp_path: Path) -> None:
    directory = Directory(runtime.sessions)
    directory.seed(groups_file(tmp_path, WINDOW), LUSHAN)
    directory.update("window", name="改过的名字", active=False)
    township = ("township-530323102", "township", "雄壁镇残联")
    assert directory.add_missing([("window", "window_clerk", "综合窗口"), township], "530323") == 1
    assert directory.add_missing([township], "530323") == 0
    assert (directory.get("window").name, directory.get("window").active) == ("改过的名字", False)
    assert directory.name("township-530323102") == "雄壁镇残联"
    with pytest.raises(ValidationFailed, match="village-1：村"):
        directory.add_missing([("village-1", "village", "某村")], "530323")
