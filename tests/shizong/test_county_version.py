"""The roster import starts Shizong's cases on Shizong's own version of the exchange process while it has one, as
every start chooses; a case of another county stays on the province's."""

from __future__ import annotations

from pathlib import Path

from exchange import COUNTY, holder

from certflow.campaign.roster import import_roster
from certflow.campaign.synthetic import generate_roster, write_roster
from certflow.engine.runtime import Runtime
from certflow.engine.specs import SourceFile, read_paths

ROOT = Path(__file__).resolve().parents[2]
SERVE, OWN = 'id="serve_notice" name="送达重评告知书"', 'id="serve_notice" name="送达师宗重评告知书"'


def shizong_own() -> list[SourceFile]:
    """The project's files with the notice step of the exchange renamed: what Shizong deploys as its own."""
    return [SourceFile(f.name, f.content.replace(SERVE.encode(), OWN.encode())) if f.name.endswith("card_exchange.bpmn")
            else f for f in read_paths([ROOT / "processes", ROOT / "forms"])]


def test_the_roster_import_starts_cases_on_the_countys_own_version(runtime: Runtime, tmp_path: Path) -> None:
    [own] = [r for r in runtime.deploy(shizong_own(), author="shizong", county=COUNTY.code) if r.created]
    assert (own.process_key, own.version, own.county) == ("card_exchange", 2, COUNTY.code)
    roster = tmp_path / "roster.csv"
    write_roster(generate_roster(COUNTY, 12), roster)

    report = import_roster(runtime.sessions, runtime, roster, actor="county", county=COUNTY)

    assert report.started and {runtime.case(number)["version"] for number in report.started} == {2}
    assert "送达师宗重评告知书" in {t["title"] for t in runtime.tasks(limit=100)}
    elsewhere = runtime.start_case("card_exchange", holder(), actor="campaign-import", county="360483")
    assert runtime.case(elsewhere)["version"] == 1
