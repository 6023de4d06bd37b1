"""Demo data: one person per role and group (password ``demo``) and cases in every state.

For trying certflow out only: the password is public and the applicants are invented. The demo goes
into a database without users, so running it again, or on a system in use, adds nothing.

The cases happen over the past six weeks on a clock of the demo's own, so that finished cases
passed their publicity long ago, a few open tasks are overdue, and nothing is dated in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from certflow.engine.calendar import CHINA_TZ
from certflow.engine.clock import FixedClock
from certflow.engine.guardians import ADULT_AGE, age_on
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.registry import Materials

DEMO_PASSWORD = "demo"
ONLINE, OFFLINE = "application_online", "application_offline"
# The groups of groups.json the demo uses.
RENMIN, ANDING = "hospital-renmin", "hospital-anding"
YUJING, XIUFENG, WENQUAN, HUALIN, XIHU = (
    "village-360483101209", "village-360483101207", "village-360483102208", "village-360483104203",
    "village-360483100010")


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    group: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("window", "周敏", "window_clerk", "window"),
    DemoUser("renmin", "刘建国", "hospital", RENMIN),
    DemoUser("anding", "陈静", "hospital", ANDING),
    DemoUser("yujing", "胡海涛", "village", YUJING),
    DemoUser("xiufeng", "李春梅", "village", XIUFENG),
    DemoUser("wenquan", "王德胜", "village", WENQUAN),
    DemoUser("hualin", "徐丽华", "village", HUALIN),
    DemoUser("xihu", "邹文杰", "village", XIHU),
    DemoUser("expert", "蔡明远", "expert_committee", "expert-committee"),
    DemoUser("county", "熊卫东", "county", "county"),
    DemoUser("auditor", "江雪", "auditor"),
    DemoUser("analyst", "彭涛", "analyst"),
    DemoUser("admin", "谢晓东", "admin"),
    DemoUser("province", "邓文清", "province"),  # the province's federation: every county's figures, no case
)

_BY_GROUP = {u.group: u.username for u in DEMO_USERS if u.group}
_PLACES = {RENMIN: "庐山市人民医院门诊楼三楼残疾评定室", ANDING: "庐山安定医院门诊二楼评定室"}
_GRADES = "一二三四"


def _resident_id(birth: str, sequence: str, area: str = "360483") -> str:
    """A well-formed, invented resident ID: the sequence is odd for men, even for women."""
    body = f"{area}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")  # it expects the check-character slot


@dataclass(frozen=True)
class _Applicant:
    name: str
    birth: str  # YYYYMMDD
    sequence: str
    phone: str
    village: str
    address: str
    category: str
    parts: tuple[str, ...] = ()
    delivery: str = "post"
    guardian: tuple[str, str, str, str, str] | None = None  # name, relation, birth date, sequence, phone
    area: str = "360483"

    def application(self, channel: str, today: date, rules: Materials, missing: tuple[str, ...] = ()) -> dict[str, Any]:
        """The application with every material the deployment's ``rules`` ask for, except ``missing``."""
        minor = age_on(datetime.strptime(self.birth, "%Y%m%d").date(), today) < ADULT_AGE
        parts = list(self.parts or [self.category])
        materials = [m for m in rules.required(channel, parts, minor) if m not in missing]
        data: dict[str, Any] = {
            "applicant_name": self.name, "id_number": _resident_id(self.birth, self.sequence, self.area),
            "phone": self.phone, "address": self.address, "village": self.village, "category": self.category,
            "parts": list(self.parts), "materials": materials, "delivery": self.delivery,
        }
        if self.guardian:
            name, relation, birth, sequence, phone = self.guardian
            data.update(guardian_name=name, guardian_relation=relation, guardian_phone=phone,
                        guardian_id_number=_resident_id(birth, sequence, "360483"))
        return data


class _Story:
    """Cases moved by the people in them, ``day`` working days ago (0 is today)."""

    def __init__(self, sessions: sessionmaker[Session], runtime: Runtime, materials: Materials) -> None:
        self.materials = materials
        self.now = runtime.clock.now()
        self.today = self.now.astimezone(CHINA_TZ).date()
        self.calendar = runtime.settings.calendar
        self.clock = FixedClock(self.now)
        # The same database through a runtime on the demo's clock; the caller's runtime is left alone.
        self.runtime = Runtime(sessions, runtime.handlers, runtime.settings, self.clock, runtime.files)
        self.cases: list[str] = []
        self._review_step: dict[str, str] = {}

    def date(self, day: int) -> date:
        """The working day ``day`` working days before today; a negative ``day`` is after today."""
        if day < 0:
            return self.calendar.add_working_days(self.today, -day)
        found = self.today
        while day > 0:
            found -= timedelta(days=1)
            day -= self.calendar.is_working_day(found)
        return found

    def _on(self, day: int) -> None:
        """Move the clock to that day: 09:00, then a quarter of an hour per step, never past now."""
        start = datetime.combine(self.date(day), time(9), CHINA_TZ)
        current = self.clock.now().astimezone(CHINA_TZ)
        moment = current + timedelta(minutes=15) if current.date() == start.date() and current >= start else start
        self.clock.set(min(moment, self.now))

    def _task_id(self, number: str, name: str, group: str) -> str:
        [task] = [t for t in self.runtime.tasks(case=number) if t["name"] == name and t["group"] == group]
        return task["id"]

    def start(self, process: str, applicant: _Applicant, *, day: int, missing: tuple[str, ...] = ()) -> str:
        self._on(day)
        channel = "online" if process == ONLINE else "offline"
        actor = "applicant" if channel == "online" else _BY_GROUP["window"]
        application = applicant.application(channel, self.today, self.materials, missing)
        number = self.runtime.start_case(process, application, actor=actor)
        self.cases.append(number)
        self._review_step[number] = "pre_review" if channel == "online" else "window_review"
        return number

    def complete(self, number: str, name: str, data: dict[str, Any], *, day: int, group: str = "window") -> None:
        self._on(day)
        self.runtime.complete_task(self._task_id(number, name, group), data, actor=_BY_GROUP[group])

    def claim(self, number: str, name: str, *, day: int, group: str = "window") -> None:
        """Taken on by the group's person: it shows in their own queue (我的待办)."""
        self._on(day)
        self.runtime.claim(self._task_id(number, name, group), actor=_BY_GROUP[group])

    def review(self, number: str, decision: str, *, day: int, **details: str) -> None:
        """The window's review: the pre-review online, the review of the papers at the window offline."""
        self.complete(number, self._review_step[number], {"decision": decision, **details}, day=day)

    def register(self, number: str, group: str, *, day: int) -> None:
        """Registered, with the appointment on the next working day."""
        at = datetime.combine(self.date(day - 1), time(8, 30), CHINA_TZ)
        self.complete(number, "register_appointment", {
            "appointment_at": at.isoformat(), "appointment_place": _PLACES[group],
            "bring_items": ["居民身份证", "两寸近期免冠白底彩照", "既往病历"],
        }, day=day, group=group)

    def assess(self, number: str, group: str, part: str, grade: int | None, *, day: int) -> None:
        """Registered on ``day`` and assessed the next working day; ``grade`` None: the standard is not met."""
        self.register(number, group, day=day)
        result: dict[str, Any] = {"meets_standard": grade is not None}
        if grade is None:
            result["conclusion"] = f"经评定，{part}功能障碍程度未达到残疾标准"
        else:
            result.update(grade=grade, conclusion=f"经评定，符合{part}残疾{_GRADES[grade - 1]}级标准")
        self.complete(number, "assess", result, day=day - 1, group=group)

    def post_publicity(self, number: str, village: str, *, day: int) -> None:
        self.complete(number, "post_publicity", {"posted_on": self.date(day).isoformat(),
                                                 "posting_place": "村(居)委会公示栏"}, day=day, group=village)

    def publicity_over(self, *, day: int) -> None:
        """The timer worker's round on that day: the publicity periods that ended move on."""
        self._on(day)
        self.runtime.tick()

    def issue(self, number: str, delivery: str, *, day: int) -> None:
        data = {"delivery": delivery, "issued_on": self.date(day).isoformat()}
        if delivery == "post":
            data["tracking_no"] = f"EMS98{number[-6:]}36"
        self.complete(number, "issue_certificate", data, day=day)

    def objection(self, number: str, village: str, reason: str, by: str, *, day: int) -> None:
        """An objection the village reports during the publicity."""
        self._on(day)
        self.runtime.send_message(number, "objection", {"reason": reason, "by": by}, actor=_BY_GROUP[village])

    def assessed(self, process: str, applicant: _Applicant, hospital: str, grade: int | None, *, day: int) -> str:
        """Applied and passed the review ``day`` working days ago, then registered and assessed over two days."""
        number = self.start(process, applicant, day=day)
        self.review(number, "pass", day=day)
        self.assess(number, hospital, applicant.category, grade, day=day - 1)
        return number


# Invented applicants, all registered in 庐山市 but one.
_CHEN = _Applicant("陈国华", "19620315", "131", "13800001001", YUJING, "庐山市白鹿镇玉京村三组18号", "肢体")
_LIN = _Applicant("林秀英", "19750802", "242", "13800001002", XIUFENG, "庐山市白鹿镇秀峰村五组6号", "精神",
                  delivery="in_person", guardian=("林建军", "其他近亲属", "19720310", "113", "13800001102"))
_ZHAO = _Applicant("赵立新", "19801120", "153", "13800001003", WENQUAN, "庐山市温泉镇温泉村二组9号", "肢体",
                   area="360429")  # first issued in 湖口县; his 户口簿 shows he is still registered there
_SUN = _Applicant("孙桂兰", "19580509", "264", "13800001004", HUALIN, "庐山市华林镇华林村一组21号", "听力",
                  delivery="in_person", area="360427")  # issued by 星子县, the county 庐山市 replaced in 2016
_WU = _Applicant("吴志强", "19691201", "175", "13800001005", WENQUAN, "庐山市温泉镇温泉村四组3号", "视力")
_HUANG = _Applicant("黄丽", "19880417", "286", "13800001006", HUALIN, "庐山市华林镇华林村三组12号", "肢体")
_DENG = _Applicant("邓文", "19910723", "197", "13800001007", XIHU, "庐山市南康镇西湖社区星湖路15号", "言语")
_AT_THE_VILLAGE = (  # assessed, the publicity not yet posted: (process, applicant, hospital, grade, day)
    (OFFLINE, _Applicant("曹小燕", "19830211", "208", "13800001008", YUJING, "庐山市白鹿镇玉京村一组7号", "肢体"),
     RENMIN, 2, 3),
    (ONLINE, _Applicant("程建", "19770930", "219", "13800001009", XIUFENG, "庐山市白鹿镇秀峰村二组15号", "精神",
                        guardian=("程芳", "其他近亲属", "19790505", "124", "13800001109")), ANDING, 3, 4),
    (ONLINE, _Applicant("段小军", "19840522", "411", "13800001019", WENQUAN, "庐山市温泉镇温泉村五组10号", "肢体"),
     RENMIN, 4, 3),
    (OFFLINE, _Applicant("龚美玲", "19700914", "422", "13800001020", HUALIN, "庐山市华林镇华林村二组27号", "视力",
                         delivery="in_person"), RENMIN, 1, 5),
    (ONLINE, _Applicant("万强", "19890101", "433", "13800001021", XIHU, "庐山市南康镇西湖社区东门路12号", "听力"),
     RENMIN, 3, 4),
)
_YANG = _Applicant("杨帆", "19950606", "231", "13800001010", YUJING, "庐山市白鹿镇玉京村六组2号", "肢体")
_XU = _Applicant("许静", "20141008", "322", "13800001011", WENQUAN, "庐山市温泉镇温泉村一组30号", "智力",
                 delivery="in_person", guardian=("许志刚", "父母", "19850712", "135", "13800001111"))
_TIAN = _Applicant("田伟", "19720125", "333", "13800001012", HUALIN, "庐山市华林镇华林村五组4号", "多重",
                   parts=("肢体", "智力"), guardian=("田秀珍", "父母", "19480920", "146", "13800001112"))
_QIAN = _Applicant("钱伟", "19860303", "345", "13800001013", YUJING, "庐山市白鹿镇玉京村二组11号", "精神",
                   guardian=("钱淑芬", "父母", "19600202", "158", "13800001113"))
_FENG = _Applicant("冯秀兰", "19651212", "356", "13800001014", XIHU, "庐山市南康镇西湖社区桃花源路8号", "肢体")
_HE = _Applicant("何明", "19900818", "367", "13800001015", XIUFENG, "庐山市白鹿镇秀峰村一组19号", "听力")
_ZHENG = _Applicant("郑小红", "20160404", "378", "13800001016", XIHU, "庐山市南康镇西湖社区金星路3号", "智力",
                    guardian=("郑伟", "父母", "19880808", "171", "13800001116"))
_MA = _Applicant("马建华", "19791010", "389", "13800001017", HUALIN, "庐山市华林镇华林村四组16号", "言语")
_LUO = _Applicant("罗长春", "19660616", "391", "13800001018", WENQUAN, "庐山市温泉镇温泉村三组5号", "肢体")


def _finished(s: _Story) -> None:
    """Weeks ago: issued by post and in person, rejected, and not meeting the standard."""
    case = s.assessed(ONLINE, _CHEN, RENMIN, 3, day=30)
    s.post_publicity(case, YUJING, day=26)
    s.publicity_over(day=18)
    s.issue(case, "post", day=17)

    case = s.assessed(OFFLINE, _LIN, ANDING, 2, day=29)
    s.post_publicity(case, XIUFENG, day=25)
    s.publicity_over(day=17)
    s.issue(case, "in_person", day=16)

    case = s.start(ONLINE, _ZHAO, day=24)
    s.review(case, "reject", day=23, reason="户口簿显示户籍在湖口县，不在庐山市，请向户籍所在地县级残联申请")

    s.assessed(OFFLINE, _SUN, RENMIN, None, day=22)


def _after_the_hospital(s: _Story) -> None:
    """At issue, before the expert committee, in the publicity period, and waiting for each village."""
    case = s.assessed(ONLINE, _WU, RENMIN, 4, day=16)
    s.post_publicity(case, WENQUAN, day=12)
    s.publicity_over(day=4)
    s.claim(case, "issue_certificate", day=3)

    case = s.assessed(ONLINE, _HUANG, RENMIN, 3, day=10)
    s.post_publicity(case, HUALIN, day=6)
    s.objection(case, HUALIN, "申请人日常下地劳动未见明显障碍，对评定等级有异议", "村民吴某", day=5)
    s.claim(case, "reexamine", day=4, group="expert-committee")

    case = s.assessed(ONLINE, _DENG, RENMIN, 3, day=8)
    s.post_publicity(case, XIHU, day=1)  # the period runs into next week

    for process, applicant, hospital, grade, day in _AT_THE_VILLAGE:
        case = s.assessed(process, applicant, hospital, grade, day=day)
        s.claim(case, "post_publicity", day=0, group=applicant.village)


def _before_the_hospital(s: _Story) -> None:
    """At the hospitals (a multiple disability at both), waiting for materials, and new at the window."""
    case = s.start(ONLINE, _YANG, day=3)
    s.review(case, "pass", day=2)
    s.claim(case, "register_appointment", day=1, group=RENMIN)

    case = s.start(OFFLINE, _XU, day=4)
    s.review(case, "pass", day=4)
    s.register(case, ANDING, day=3)
    s.claim(case, "assess", day=1, group=ANDING)

    case = s.start(ONLINE, _TIAN, day=3)
    s.review(case, "pass", day=2)
    s.register(case, RENMIN, day=1)

    case = s.start(ONLINE, _QIAN, day=4, missing=("medical_records",))
    s.review(case, "missing", day=3, missing_note="请上传近一年的精神科就诊病历")

    case = s.start(OFFLINE, _FENG, day=2, missing=("household_register",))
    s.review(case, "missing", day=2, missing_note="请携带户口本原件")

    case = s.start(ONLINE, _LUO, day=5)  # overdue at the window
    s.claim(case, "pre_review", day=2)
    s.start(ONLINE, _HE, day=1)
    s.start(ONLINE, _ZHENG, day=0)
    s.start(OFFLINE, _MA, day=0)


def load_demo(sessions: sessionmaker[Session], runtime: Runtime, accounts: Accounts,
              materials: Materials) -> list[str] | None:
    """Create the demo people and cases in the database of ``sessions``, the one ``runtime`` works on; returns the
    case numbers, or None (nothing done) if anyone has an account.

    The processes must be deployed; the applicants hand in what the deployment's ``materials`` rule asks for.
    """
    if accounts.all():
        return None
    for user in DEMO_USERS:
        accounts.create(user.username, DEMO_PASSWORD, display_name=user.display_name, roles=[user.role],
                        groups=[user.group] if user.group else [], county=runtime.settings.county,
                        province_wide=user.role in ("admin", "province"), demo=True)
    story = _Story(sessions, runtime, materials)
    for chapter in (_finished, _after_the_hospital, _before_the_hospital):
        chapter(story)
    return story.cases
