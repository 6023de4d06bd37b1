"""A county's own holidays and working days, over the national calendar, in its cases' working-day deadlines."""

from __future__ import annotations

from certflow.engine.runtime import Runtime
from certflow.people.counties import Counties

LUSHAN = "360483"  # 庐山市, the county of the tests' cases


def publicity_ends(start) -> list[str]:  # type: ignore[no-untyped-def]
    """When the five working days of a publicity posted on Wednesday 30 September 2026 end."""
    case = start()
    case.at("2026-09-24T09:00:00+08:00")
    case.complete("pre_review", {"decision": "pass"})
    case.at("2026-09-28T10:00:00+08:00")
    case.assess()
    case.at("2026-09-30T10:00:00+08:00")
    case.post_publicity("2026-09-30")
    return [w["value"] for w in case.view["waiting"] if w["event"] == "TimeDateEventDefinition"]


def test_a_county_holiday_moves_the_end_of_the_publicity_by_a_day(runtime: Runtime, start) -> None:  # type: ignore[no-untyped-def]
    # Nationally: 8, 9, 10 (a make-up Saturday), 12 and 13 October; the publicity ends as 14 October begins.
    counties = Counties(runtime.sessions, runtime.clock)
    counties.add(LUSHAN, case_prefix="LS", sms_signature="庐山市残联", holidays=["2026-10-12"])
    assert publicity_ends(start) == ["2026-10-15T00:00:00+08:00"]  # 12 October is Lushan's holiday


def test_a_county_working_day_shortens_it_and_another_county_keeps_the_national_days(runtime: Runtime, start) -> None:  # type: ignore[no-untyped-def]
    counties = Counties(runtime.sessions, runtime.clock)
    counties.add("530323", case_prefix="SZ", sms_signature="师宗县残联", holidays=["2026-10-12"])  # not Lushan's
    counties.add(LUSHAN, case_prefix="LS", sms_signature="庐山市残联", workdays=["2026-10-11"])  # a Sunday worked
    assert publicity_ends(start) == ["2026-10-13T00:00:00+08:00"]
