"""Text messages (短信) the processes send, and to whom.

A template is filled with ``str.format`` from the case's task data (``{site[group]}`` reaches into
nested data). A few fields are derived from the data (``DERIVED``) so that lists, codes and times
read naturally. ``notify`` in the registry queues the composed message in the outbox.

SMS is not a private channel: every resident identity number that would end up in a text is
masked, whichever field it came from (a certificate number starts with one).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from certflow.engine.calendar import moment_text
from certflow.engine.disability import GRADE_NAMES
from certflow.engine.privacy import mask_id_numbers

DEFAULT_SIGNATURE = "庐山市残联"

DELIVERY_LABELS: dict[str, str] = {"post": "邮寄", "in_person": "直接送达"}


@dataclass(frozen=True)
class Template:
    """One message: what it is for, who gets it, and its text.

    The recipient is a fixed candidate group (``group``), a group named by the task data
    (``group_field``, a format field such as ``site[group]``), or a phone number in the task data
    (``phone_field``).
    """

    label: str
    recipient_role: str
    text: str
    group: str | None = None
    group_field: str | None = None
    phone_field: str | None = None


TEMPLATES: dict[str, Template] = {
    "arrival": Template(
        label="新申请到达，提醒残联窗口预审",
        recipient_role="window_clerk",
        group="window",
        text="新的残疾人证申请待预审：案件号{case_no}，申请人{applicant_name}。",
    ),
    "routed": Template(
        label="申请已分派至定点医院",
        recipient_role="hospital",
        group_field="site[group]",
        text="有一件残疾评定业务已分派至贵院：案件号{case_no}，评定类别{site_parts}。请登录系统登记并预约评定。",
    ),
    "appointment": Template(
        label="告知申请人评定时间、地点和所需材料",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾评定已预约：时间{appointment_time}，地点{appointment_place}。"
            "请携带：{bring_items_text}。"
        ),
    ),
    "rejected": Template(
        label="预审驳回，告知申请人原因",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请（案件号{case_no}）预审未通过，原因：{reason}。"
            "如有疑问请咨询残联综合窗口。"
        ),
    ),
    # Process versions before the clerk could mark materials tell what the check found only.
    "missing_materials": Template(
        label="材料不全，一次性告知需补充的材料",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请（案件号{case_no}）材料不全。"
            "{materials_result[missing_text]}。补齐后即可继续办理。"
        ),
    ),
    "missing_listed": Template(
        label="材料不全，一次性告知核对出和窗口指出的全部材料",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾人证申请（案件号{case_no}）材料不全。"
            "{missing_notice[text]}。补齐后即可继续办理。"
        ),
    ),
    # Process versions before the 复核 path: the text promised a review the process did not offer.
    "not_met": Template(
        label="未达到残疾标准，告知申请人评定结论",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评定您未达到残疾标准，本次残疾人证申请（案件号{case_no}）不予办理。"
            "评定结论：{assessment_result[conclusion]}。"
            "如对评定结果有异议，可自收到本通知之日起10个工作日内向残联申请复核。"
        ),
    ),
    "not_met_review": Template(
        label="未达到残疾标准，告知评定结论和申请复核的期限",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评定您未达到残疾标准（案件号{case_no}），评定结论：{assessment_result[conclusion]}。"
            "如有异议，可在{review_last_day_text}前（含当日）通过网上办理进度查询页面或到残联综合窗口申请复核，"
            "由评残专家委员会复核；逾期未申请的，本次申请办结，不予办理残疾人证。"
        ),
    ),
    "not_met_final": Template(
        label="复核后重新评定仍未达到残疾标准，告知办结",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评残专家委员会复核后重新评定，您仍未达到残疾标准，"
            "本次残疾人证申请（案件号{case_no}）不予办理。评定结论：{assessment_result[conclusion]}。"
        ),
    ),
    "not_met_review_request": Template(
        label="申请人对未达标准的评定结论申请复核，提请专家委员会复核",
        recipient_role="expert_committee",
        group_field="expert_group",
        text="案件号{case_no}的申请人对“未达到残疾标准”的评定结论申请复核，请评残专家委员会组织复核。",
    ),
    "review_upheld": Template(
        label="复核维持未达标准的结论，告知申请人",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，评残专家委员会已复核您的申请（案件号{case_no}），维持未达到残疾标准的评定结论。"
            "复核意见：{opinion}。本次申请办结。"
        ),
    ),
    "review_reassess": Template(
        label="复核决定重新评定，告知申请人",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，评残专家委员会已复核您的申请（案件号{case_no}），决定由定点医院重新评定，"
            "评定时间和地点将另行短信通知。"
        ),
    ),
    "passed": Template(
        label="评定通过，告知申请人将进行公示",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾评定已通过（案件号{case_no}），将在您所在村（社区）公示5个工作日，"
            "公示期满无异议后发放残疾人证。"
        ),
    ),
    "publicity_request": Template(
        label="请村（社区）张贴公示",
        recipient_role="village",
        group_field="village",
        text=(
            "请在本村（社区）公示{applicant_name}的残疾人证申请（案件号{case_no}），公示期5个工作日。"
            "公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "objection_received": Template(
        label="公示期内收到异议，提请专家委员会复核",
        recipient_role="expert_committee",
        group_field="expert_group",
        text="案件号{case_no}在公示期内收到异议，请评残专家委员会组织复核。",
    ),
    "issued": Template(
        label="残疾人证已办结，告知证号和发放方式",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您的残疾人证已办结，证号{certificate_no}，将以{delivery_text}方式发放。",
    ),
    "assessment_overdue": Template(
        label="评定超过办理时限，催办定点医院",
        recipient_role="hospital",
        group_field="site[group]",
        text="催办：案件号{case_no}的残疾评定已超过10个工作日的办理时限，请尽快完成评定并上传结果。",
    ),
    # The exchange for the third-generation card (Shizong, processes/shizong/card_exchange.bpmn).
    "exchange_invite": Template(
        label="第三代残疾人证已制作，请持证人到乡镇换领",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的第三代残疾人证（智能化）已制作完成，请本人或监护人持第二代残疾人证"
            "到{township_name}残联换领。领取前第二代残疾人证继续有效。"
        ),
    ),
    "reassessment_notice": Template(
        label="告知重新评定的地点和机构",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，换发第三代残疾人证需重新进行残疾评定，请按乡镇(街道)通知的日程到{venue}"
            "参加评定（评定机构：{hospital_name}）。医学辅助检查和照片费用由个人自理，"
            "领取新证前第二代残疾人证继续有效。"
        ),
    ),
    "home_visit_notice": Template(
        label="告知评定医生将上门评定",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，换发第三代残疾人证需重新进行残疾评定，{hospital_name}的评定医生将上门为您评定，"
            "具体时间另行通知。医学辅助检查和照片费用由个人自理，领取新证前第二代残疾人证继续有效。"
        ),
    ),
    "away_review_request": Template(
        label="在外务工人员异地评定，请县残联收件审核",
        recipient_role="county",
        group_field="county_group",
        text=(
            "案件号{case_no}的持证人{applicant_name}在外务工，将在务工地评残机构评定，"
            "残疾人证申请表和残疾评定表原件邮寄至县残联，请收件后审核。"
        ),
    ),
    "away_rejected": Template(
        label="异地评定不予认可，告知原因和重新评定",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您在务工地的残疾评定未通过县残联审核，原因：{away_reason}。"
            "请到{venue}参加重新评定（评定机构：{hospital_name}）。"
        ),
    ),
    "reassessed": Template(
        label="告知重新评定结果和申请复核的权利",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的重新评定结果为{card_category}残疾{card_grade_text}（案件号{case_no}）。"
            "如有异议，可自收到本通知之日起10个工作日内向县残联申请复核，复核费用由申请人承担。"
        ),
    ),
    "objection_accepted": Template(
        label="复核申请已受理，告知费用",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的复核申请已受理（案件号{case_no}），将由评残专家委员会复核评定。"
            "费用：{review_fee_text}。"
        ),
    ),
    "review_request": Template(
        label="持证人对评定结果有异议，提请专家委员会复核",
        recipient_role="expert_committee",
        group_field="expert_group",
        text="案件号{case_no}的持证人对评定结果有异议并申请复核，请评残专家委员会组织复核评定。",
    ),
    "reassessment_publicity": Template(
        label="请村（社区）公示重新评定结果",
        recipient_role="village",
        group_field="village",
        text=(
            "请在本村（社区）公示{applicant_name}的残疾重新评定结果（{card_category}残疾{card_grade_text}，"
            "案件号{case_no}），公示期5个工作日。公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "township_publicity": Template(
        label="请乡镇(街道)在辖区内公示评定结果",
        recipient_role="township",
        group_field="township",
        text=(
            "请在本乡镇(街道)辖区内公示{village_name}{applicant_name}的残疾评定结果（{card_category}残疾"
            "{card_grade_text}，案件号{case_no}），公示期5个工作日，并通知本人或监护人。公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "township_publicity_not_met": Template(
        label="请乡镇(街道)在辖区内公示评定结果（不符合残疾标准）",
        recipient_role="township",
        group_field="township",
        text=(
            "请在本乡镇(街道)辖区内公示{village_name}{applicant_name}的残疾重新评定结果（不再符合残疾标准，"
            "案件号{case_no}），公示期5个工作日，并通知本人或监护人。公示期内如有异议，请在系统中登记上报。"
        ),
    ),
    "first_assessment_notice": Template(
        label="告知新评定对象评定医生将上门评定",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您申请办理残疾人证，{hospital_name}的评定医生将上门为您进行残疾评定，"
            "具体入户时间由{township_name}残联另行通知。医学辅助检查和照片费用由个人自理。"
        ),
    ),
    "first_assessed": Template(
        label="告知新评定对象评定结果和申请复核的权利",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，您的残疾评定结果为{card_category}残疾{card_grade_text}（案件号{case_no}）。"
            "如有异议，可自收到本通知之日起10个工作日内向县残联申请复核，复核费用由申请人承担；"
            "无异议的，经乡镇(街道)公示后为您制发第三代残疾人证。"
        ),
    ),
    "assessed_not_met": Template(
        label="告知评定结果为不符合残疾标准和申请复核的权利",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经评定，您目前不符合残疾标准（案件号{case_no}）。如有异议，可自收到本通知之日起"
            "10个工作日内向县残联申请复核，复核费用由申请人承担。"
        ),
    ),
    "first_not_met": Template(
        label="告知新评定对象不予办证",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，经评定您未达到残疾标准，本次不予办理残疾人证（案件号{case_no}）。",
    ),
    "certificate_withdrawn": Template(
        label="告知康复脱残，收回残疾人证",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，经重新评定并公示，您已不符合残疾标准（康复脱残），不再换发第三代残疾人证，"
            "原第二代残疾人证（证号{certificate_no}）由{township_name}残联收回注销。"
        ),
    ),
    "first_card_ready": Template(
        label="残疾人证已制作，将由乡镇发放",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您的第三代残疾人证已制作（证号{card_no}），将由{township_name}残联送达发放。",
    ),
    "first_card_issued": Template(
        label="残疾人证已发放",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您已领取第三代残疾人证（证号{card_no}），有效期10年。",
    ),
    "appointment_moved": Template(
        label="评定时间改期，告知新的时间和地点",
        recipient_role="applicant",
        phone_field="phone",
        text=(
            "{applicant_name}您好，因{appointment_move[reason]}，您的残疾评定时间改为{appointment_move[day_text]}，"
            "地点：{appointment_move[place]}（案件号{case_no}）。领取新证前第二代残疾人证继续有效。"
        ),
    ),
    "card_mismatch": Template(
        label="换证核验不符，报县残联核实并重新制卡",
        recipient_role="county",
        group_field="county_group",
        text="案件号{case_no}换证核验不符：{verification_note}。预制的第三代残疾人证须作废，请核实后重新制卡。",
    ),
    "new_card_ready": Template(
        label="新卡已制作，请持证人到乡镇领取",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您的第三代残疾人证已重新制作（证号{card_no}），请持第二代残疾人证到{township_name}残联领取。",
    ),
    "exchanged": Template(
        label="第三代残疾人证已领取",
        recipient_role="applicant",
        phone_field="phone",
        text="{applicant_name}您好，您已领取第三代残疾人证（证号{card_no}），第二代残疾人证自即日起停止使用。",
    ),
}


def _listing(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "、".join(str(item) for item in value)


def _grade(value: Any) -> str:
    try:
        return GRADE_NAMES[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown grade {value!r}; expected 1..4") from None


def _fee_items(items: Any) -> str:
    return "、".join(f"{item['item']}（{item['payer_label']}）" for item in items)


def _delivery(value: Any) -> str:
    try:
        return DELIVERY_LABELS[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown delivery {value!r}; expected one of {', '.join(DELIVERY_LABELS)}") from None


# Field a text may use -> (the task data field it is made from, how).
DERIVED: dict[str, tuple[str, Callable[[Any], str]]] = {
    "site_parts": ("site[parts]", _listing),
    "bring_items_text": ("bring_items", _listing),
    "appointment_time": ("appointment_at", moment_text),
    "review_last_day_text": ("review_last_day", moment_text),
    "delivery_text": ("delivery", _delivery),
    "card_grade_text": ("card_grade", _grade),
    "review_fee_text": ("review_fees[items]", _fee_items),
}

# Free text typed by clerks may already end a sentence; the templates supply the punctuation.
_TRAILING = "。．.；;，, \t\r\n"


class _MissingField(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class _Formatter(string.Formatter):
    def _lookup(self, field_name: str, data: Mapping[str, Any]) -> Any:
        try:
            value, _ = super().get_field(field_name, (), data)
        except (KeyError, IndexError, AttributeError, TypeError):
            raise _MissingField(field_name) from None
        if value is None or (isinstance(value, (str, list, tuple, dict)) and not value):
            raise _MissingField(field_name)
        return value

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        if field_name in DERIVED:
            source, derive = DERIVED[field_name]
            return derive(self._lookup(source, kwargs)), field_name
        return self._lookup(field_name, kwargs), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, str):
            value = value.strip().rstrip(_TRAILING)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def _render(name: str, pattern: str, data: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(pattern, (), data)
    except _MissingField as missing:
        raise ValueError(
            f"template {name!r} needs the field {missing.field!r}, missing or empty in the task data"
        ) from None


def compose(template: str, data: dict[str, Any], *, signature: str = DEFAULT_SIGNATURE) -> dict[str, Any]:
    """The message ``template`` makes from the task data, ready for the outbox."""
    spec = TEMPLATES.get(template)
    if spec is None:
        raise ValueError(f"unknown notification template {template!r}; known: {', '.join(TEMPLATES)}")
    group = spec.group
    if spec.group_field:
        group = _render(template, "{" + spec.group_field + "}", data)
    phone = _render(template, "{" + spec.phone_field + "}", data) if spec.phone_field else None
    addressee = ""
    if spec.recipient_role == "applicant" and (data.get("guardian") or {}).get("needed"):
        # A guardian acts for the applicant (certflow.engine.guardians): the applicant's texts go to them.
        phone = _render(template, "{guardian_phone}", data)
        addressee = _render(template, "致监护人{guardian_name}：", data)
    text = f"【{signature}】" + addressee + _render(template, spec.text, data)
    return {
        "template": template,
        "recipient_role": spec.recipient_role,
        "recipient_group": group,
        "recipient_phone": phone,
        "text": mask_id_numbers(text),
    }
