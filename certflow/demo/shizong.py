"""Demo data for the exchange campaign: a township, the county and a hospital clerk (password ``demo``) and an
invented roster imported, scheduled and partly worked, so the campaign's pages have something to show.

The campaign happens in the county file's own time (Shizong's plan: from 16 March 2022), on a clock of its
own; the caller's runtime is left alone. Like ``certflow.demo.lushan``, for trying certflow out only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.county import County
from certflow.campaign.reassessment.listings import ListQuery
from certflow.campaign.reassessment.notices import Receipt, receipt_page, record_receipts
from certflow.campaign.reassessment.scheduling import schedule
from certflow.campaign.roster import import_roster
from certflow.campaign.synthetic import generate_roster, write_roster
from certflow.demo.lushan import DEMO_PASSWORD, DemoUser
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts

HOLDERS = 300  # and, in the plan's proportion, one new applicant (新评定对象)
TOWNSHIP = "township-530323102"  # 雄壁镇: its clerk has exchanged cards and collected receipts
HOSPITAL = "hospital-sz-tcm"  # 师宗县中医医院, which assesses 肢体
CAMPAIGN_USERS: tuple[DemoUser, ...] = (
    DemoUser("xiongbi", "杨丽", "township", TOWNSHIP),
    DemoUser("shizong", "陆松", "county", "county-530323"),
    DemoUser("zhongyi", "何明", "hospital", HOSPITAL),
)
IMPORTED_ON = date(2022, 3, 16)  # the day the townships collected the pre-made cards (the plan's 3.1)
EXCHANGE_DAYS = (date(2022, 3, 17), date(2022, 3, 18), date(2022, 3, 21), date(2022, 3, 22))
RECEIPTS_ON = date(2022, 3, 23)
ASSESSED_ON = date(2022, 3, 28)  # a holder found to meet no standard any more (康复脱残)
POSTED_ON = date(2022, 4, 13)  # the township posts that result, the 10 working days to object being over
WITHDRAWN_DUE = date(2022, 4, 21)  # the publicity's 5 working days over: the certificate is to be taken back


def load_campaign_demo(sessions: sessionmaker[Session], runtime: Runtime, accounts: Accounts,
                       county: County) -> list[str]:
    """Create the campaign's demo people and holders in the database of ``sessions``, the one ``runtime`` works on;
    returns the case numbers started.

    The county's process must be deployed. Of 雄壁镇's holders assessed by a hospital, three in four have
    exchanged their card (one lost the old certificate, one did not match the register); half of those to be
    re-assessed have returned their notice's receipt, so the hospital's clerk has assessments waiting; one of
    them no longer meets any standard and waits for the township to take the certificate back.
    """
    for user in CAMPAIGN_USERS:
        accounts.create(user.username, DEMO_PASSWORD, display_name=user.display_name, roles=[user.role],
                        groups=[user.group] if user.group else [], county=county.code, demo=True)
    clock = FixedClock(_at(IMPORTED_ON))
    campaign = Runtime(sessions, runtime.handlers, runtime.settings, clock, runtime.files)
    with TemporaryDirectory() as folder:
        roster = Path(folder) / "roster.csv"
        write_roster(generate_roster(county, HOLDERS), roster)
        started = import_roster(sessions, campaign, roster, actor="shizong", county=county).started
    schedule(sessions, campaign, county, actor="shizong")

    exchanges = [t for t in campaign.tasks(group=TOWNSHIP, status="open") if t["name"] == "exchange"]
    for i, task in enumerate(exchanges[: len(exchanges) * 3 // 4]):
        day = EXCHANGE_DAYS[i % len(EXCHANGE_DAYS)]
        clock.set(_at(day, minutes=10 * i))
        campaign.complete_task(task["id"], _exchange_form(i, day), actor="xiongbi")

    clock.set(_at(RECEIPTS_ON))
    notices = receipt_page(sessions, county.campaign, ListQuery(TOWNSHIP, None, 1))
    returned = [Receipt(line["number"], RECEIPTS_ON.isoformat(), line["attendance"])
                for line in notices.lines[: len(notices.lines) // 2]]
    clerk = accounts.by_username("xiongbi")
    assert clerk is not None  # created above
    record_receipts(sessions, campaign, clerk, county.campaign, TOWNSHIP, returned)
    _rehabilitated(campaign, clock)
    return started


def _rehabilitated(campaign: Runtime, clock: FixedClock) -> None:
    """One re-assessed holder of the township meets no standard: publicised by the township, the certificate to be
    taken back."""
    # Only this township's receipts are back: the institution's open re-assessments are all of its holders.
    [task, *_] = [t for t in campaign.tasks(group=HOSPITAL) if t["name"] == "reassess"]
    clock.set(_at(ASSESSED_ON))
    result = {"meets_standard": False, "doctor": "何明", "assessed_on": ASSESSED_ON.isoformat(),
              "conclusion": "肢体功能已恢复，不符合残疾标准"}
    campaign.complete_task(task["id"], result, actor="zhongyi")
    clock.set(_at(POSTED_ON))
    campaign.tick()
    [post] = [t for t in campaign.tasks(group=TOWNSHIP, status="open") if t["name"] == "post_publicity_township"]
    campaign.complete_task(post["id"], {"posted_on": POSTED_ON.isoformat(), "posting_place": "雄壁镇人民政府公示栏"},
                           actor="xiongbi")
    clock.set(_at(WITHDRAWN_DUE))
    campaign.tick()


def _exchange_form(i: int, day: date) -> dict[str, object]:
    """What the township's clerk records: mostly a matching holder handing in the old certificate."""
    if i == 2:
        return {"verification": "person_mismatch", "verification_note": "照片与本人不符，报县残联核实"}
    form: dict[str, object] = {"verification": "match", "old_certificate": "collected", "issued_on": day.isoformat()}
    if i == 4:
        form.update(old_certificate="lost", statement_signed=True)
    return form


def _at(day: date, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(9), CHINA_TZ) + timedelta(minutes=minutes)
