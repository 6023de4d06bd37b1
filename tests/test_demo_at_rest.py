"""Issue 21's measure: after ``make run``'s demo on a new SQLite database, a search of the raw bytes of the database
file, its WAL and every uploaded file finds no applicant's full ID number, phone number or assessment conclusion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from certflow.cli import main
from certflow.demo import lushan
from certflow.engine import models

# The conclusions the demo's hospitals write all begin so (certflow.demo.lushan, ``_Story.assess``).
CONCLUSION = "经评定"


def demo_secrets() -> dict[str, str]:
    """Each demo applicant's (and guardian's) full ID number and phone number, and the conclusions' words."""
    found = {"conclusion": CONCLUSION}
    for applicant in vars(lushan).values():
        if isinstance(applicant, lushan._Applicant):
            found[f"{applicant.name} ID"] = lushan._resident_id(applicant.birth, applicant.sequence, applicant.area)
            found[f"{applicant.name} phone"] = applicant.phone
            if applicant.guardian:
                _name, _relation, birth, sequence, phone = applicant.guardian
                found[f"{applicant.name} guardian ID"] = lushan._resident_id(birth, sequence, "360483")
                found[f"{applicant.name} guardian phone"] = phone
    return found


def forms(value: str) -> list[bytes]:
    """How ``value`` could lie in the bytes: as UTF-8, and as JSON writes it with its non-ASCII escaped."""
    return [value.encode(), json.dumps(value)[1:-1].encode()]


def run_demo(tmp_path: Path) -> list[Path]:
    """``certflow init-db`` and ``certflow demo`` on a new SQLite database; the files to search."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'certflow.db'}", "CERTFLOW_UPLOAD_DIR": str(tmp_path / "uploads")}
    for command in ("init-db", "demo"):
        result = CliRunner().invoke(main, [command], env=env)
        assert result.exit_code == 0, result.output
    searched = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert tmp_path / "certflow.db" in searched  # and the WAL and any upload there are
    return searched


def leaks(files: list[Path]) -> list[str]:
    """What of the demo's secrets is found in the raw bytes of ``files``, and where."""
    contents = {path.name: path.read_bytes() for path in files}
    return [f"{what} in {name}" for what, value in demo_secrets().items() for name, content in contents.items()
            if any(form in content for form in forms(value))]


def test_no_id_number_phone_or_conclusion_in_the_database_its_wal_or_the_uploads(tmp_path: Path) -> None:
    assert len(demo_secrets()) > 10
    assert leaks(run_demo(tmp_path)) == []


def test_the_search_finds_them_where_the_state_and_history_are_not_sealed(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The search above can fail: with the JSON columns written in clear, it finds every applicant."""
    monkeypatch.setattr(models.SealedJSON, "to_bytes", lambda _self, value: json.dumps(value).encode())
    monkeypatch.setattr(models.SealedJSON, "process_bind_param",
                        lambda self, value, _dialect: None if value is None else self.to_bytes(value))
    monkeypatch.setattr(models.SealedJSON, "process_result_value",
                        lambda _self, value, _dialect: None if value is None else json.loads(value))
    found = leaks(run_demo(tmp_path))
    assert "conclusion in certflow.db" in found or "conclusion in certflow.db-wal" in found
    assert any(" ID in certflow.db" in leak for leak in found)
