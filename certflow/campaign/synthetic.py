"""A synthetic roster of certificate holders for a county's exchange campaign, for tests and benchmarks.

By default it has the figures of Shizong's plan (师宗县第三代残疾人证核发工作实施方案, 2022-03-15):
11,058 holders, 3,482 assessed by a hospital (非目测) and 7,576 by eye (目测), and beside them the 55 new
applicants (新评定对象) who cannot travel and are assessed at home for their first certificate. The plan
counts no holders who cannot travel to the clinic ("有部分"): the roster gives ``HOLDER_HOME_VISITS`` of the
most severe 目测 holders a home visit. Every category and grade occurs. A smaller roster keeps the proportions.
Names are drawn from common surnames and given-name characters, phone numbers are all 1380000xxxx; the places
are the county file's real townships and villages, and ID numbers are valid on the county's real code,
so one may by chance be a real person's number: a synthetic roster is for tests and demos only.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from certflow.campaign.county import County
from certflow.campaign.roster import COLUMNS

PLAN_HOLDERS = 11058
PLAN_HOSPITAL_ASSESSED = 3482  # 非目测; the other 7,576 were assessed by eye (目测)
PLAN_NEW_APPLICANTS = 55  # 新评定对象, rows of their own: no certificate, no grade
HOLDER_HOME_VISITS = 20  # 目测 holders visited at home: the plan gives no figure, this one is chosen
REFERENCE_DAY = date(2022, 3, 15)  # the plan's count
ADULT_BORN_BY = REFERENCE_DAY.replace(year=REFERENCE_DAY.year - 18)  # born later: a minor, with a guardian

CATEGORY_WEIGHTS = {"视力": 13, "听力": 11, "言语": 2, "肢体": 48, "智力": 8, "精神": 9, "多重": 9}
GRADE_WEIGHTS = {"一级": 14, "二级": 24, "三级": 30, "四级": 32}
AGE_WEIGHTS = {(1, 17): 6, (18, 44): 20, (45, 59): 28, (60, 79): 36, (80, 95): 10}
GUARDED = {"智力", "精神"}  # and every minor
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢钟陆"
GIVEN = "明华建国平志强伟芳秀英丽敏静军杰涛斌超兰红梅云霞玉珍凤琴海林波德福贵春发荣亮成文光辉永顺燕萍娟"
HOUSE_NUMBERS = range(1, 200)


def generate_roster(county: County, holders: int = PLAN_HOLDERS, seed: int = 2022) -> list[dict[str, str]]:
    """Rows keyed by the roster's column headers (``campaign.COLUMNS``), the same for the same arguments:
    ``holders`` holders, then the new applicants in proportion."""
    if holders < len(CATEGORY_WEIGHTS):
        raise ValueError(f"名册至少要有 {len(CATEGORY_WEIGHTS)} 名持证人，每类残疾才都有人")
    rng = random.Random(seed)
    hospital_assessed = round(holders * PLAN_HOSPITAL_ASSESSED / PLAN_HOLDERS)
    home_visits = round(holders * HOLDER_HOME_VISITS / PLAN_HOLDERS)
    new_applicants = round(holders * PLAN_NEW_APPLICANTS / PLAN_HOLDERS)
    categories = _covering(rng, CATEGORY_WEIGHTS, holders) + rng.choices(
        list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=new_applicants)
    grades = _covering(rng, GRADE_WEIGHTS, holders)
    visual = rng.sample(range(holders), holders - hospital_assessed)
    # Those who cannot travel are among the most severely disabled of the re-assessed.
    severe = [i for i in visual if grades[i] in ("一级", "二级")]
    visits = set(rng.sample(severe if len(severe) >= home_visits else visual, home_visits))
    visual_set = set(visual)
    # Holders spread evenly over the villages: the dataset of divisions has no population figures.
    townships = rng.choices(county.townships, weights=[len(t.villages) for t in county.townships],
                            k=holders + new_applicants)
    taken: set[str] = set()
    rows = []
    for i in range(holders + new_applicants):
        first = i >= holders  # a new applicant
        township = townships[i]
        village = rng.choice(township.villages)
        birth = _birth_date(rng)
        id_number = _id_number(rng, county.code, birth, taken)
        surname = rng.choice(SURNAMES)
        row = {
            "姓名": surname + _given(rng), "身份证号码": id_number, "联系电话": f"1380000{rng.randrange(10000):04d}",
            "监护人姓名": "", "监护人电话": "", "监护人关系": "", "监护人身份证号码": "",
            "乡镇(街道)": township.name, "村(社区)": village.name,
            "住址": f"{county.name}{township.name}{village.name}{rng.choice(HOUSE_NUMBERS)}号",
            "残疾类别": categories[i], "残疾等级": "" if first else grades[i],
            "评定方式": "新评定" if first else "目测" if i in visual_set else "非目测",
            "上门服务": "是" if first or i in visits else "否",
        }
        if categories[i] in GUARDED or birth > ADULT_BORN_BY:
            row.update(_guardian(rng, county.code, surname, birth, taken))
        rows.append(row)
    return rows


def _covering(rng: random.Random, weights: dict[str, int], n: int) -> list[str]:
    """``n`` values drawn by weight, each value at least once."""
    values = list(weights) + rng.choices(list(weights), weights=list(weights.values()), k=n - len(weights))
    rng.shuffle(values)
    return values


def _birth_date(rng: random.Random) -> date:
    low, high = rng.choices(list(AGE_WEIGHTS), weights=list(AGE_WEIGHTS.values()))[0]
    age_days = rng.randrange(low * 365, (high + 1) * 365)
    return REFERENCE_DAY - timedelta(days=age_days)


def _id_number(rng: random.Random, code: str, birth: date, taken: set[str]) -> str:
    while True:
        body = f"{code}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")  # it expects the check character's place
        if number not in taken:
            taken.add(number)
            return number


def _guardian(rng: random.Random, code: str, surname: str, born: date, taken: set[str]) -> dict[str, str]:
    """An invented guardian: a parent for a minor, else a spouse, child or sibling; always an adult."""
    if born > ADULT_BORN_BY:
        relation, birth = "父母", born.replace(year=born.year - rng.randrange(22, 41), day=min(born.day, 28))
    else:
        relation = rng.choice(("配偶", "子女", "兄、姐"))
        birth = min(ADULT_BORN_BY, born + timedelta(days=rng.randrange(-3650, 3650) if relation != "子女"
                                                    else rng.randrange(7300, 12000)))
    return {"监护人姓名": surname + _given(rng), "监护人电话": f"1380000{rng.randrange(10000):04d}",
            "监护人关系": relation, "监护人身份证号码": _id_number(rng, code, birth, taken)}


def _given(rng: random.Random) -> str:
    return "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def write_roster(rows: list[dict[str, str]], path: Path) -> None:
    """Write rows as CSV (UTF-8 with BOM, as Excel opens it) or XLSX, by the file's suffix; every cell text."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".xlsx":
        from openpyxl import Workbook  # only XLSX needs it

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("换证台账")
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([row[name] for name in COLUMNS])
        workbook.save(path)
    else:
        raise ValueError(f"{path.name}：名册只能写成 .csv 或 .xlsx 文件")
