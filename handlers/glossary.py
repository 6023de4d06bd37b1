"""What the processes' scripts and these handlers keep in a case beside the forms' fields, named for people.

The history, the replay and the case page show a case's data with the titles and option labels of the forms;
what no form asks for (a handler's result, a script's variable) takes its title here. ``FIELDS`` is written as
JSON Schema properties: ``title``, the choices' labels (``oneOf`` of ``const`` and ``title``), the titles of
an object's keys (``properties``) and of a list's items (``items``). A key is looked up here at any depth, so
that a handler's parameters and results read alike; ``writeOnly`` (as in a form) leaves out a key that repeats
another in words. ``OPERATORS`` names what each service task's handler does, ``MESSAGES`` what each message a case
receives brings.
"""

from __future__ import annotations

from typing import Any

from certflow.engine.outcomes import OUTCOMES
from certflow.engine.roles import ROLES

from .cards import VOID_REASONS
from .fees import KIND_LABELS, PAYERS
from .materials import CHANNEL_LABELS, MATERIALS
from .notifications import TEMPLATE_LABELS


def _choices(labels: dict[str, str], title: str) -> dict[str, Any]:
    return {"title": title, "oneOf": [{"const": key, "title": label} for key, label in labels.items()]}


def _materials(title: str) -> dict[str, Any]:
    return {"title": title, "items": _choices(MATERIALS, "材料")}


_VERDICT = {"title": "评定结论", "properties": {"part": {"title": "残疾类别"}}}
_SITE = {"title": "评残机构",
         "properties": {"group": {"title": "评残机构用户组"}, "parts": {"title": "评定的残疾类别"}}}

FIELDS: dict[str, Any] = {
    # the case and how it came in
    "case_no": {"title": "案件编号"},
    "channel": _choices(CHANNEL_LABELS, "申请渠道"),
    "outcome": _choices(OUTCOMES, "办理结果"),
    "first_certificate": {"title": "首次办证"},
    "campaign": _choices({"shizong-2022-card-exchange": "师宗县2022年第三代残疾人证换发"}, "换证工作批次"),
    "county_group": {"title": "县残联用户组"},
    "expert_group": {"title": "评残专家委员会用户组"},
    "hospital_group": {"title": "评残机构用户组"},
    # what the handlers found
    "identity": {"title": "身份核验"},
    "valid": {"title": "身份证号码有效"},
    "age": {"title": "年龄"},
    "birth_date": {"title": "出生日期"},
    "minor": {"title": "未成年"},
    "in_jurisdiction": {"title": "属本辖区的地址码"},
    "issued_at": {"title": "身份证签发地"},
    "reason": _choices(VOID_REASONS, "原因"),
    "reason_text": {"title": "原因说明"},
    "materials_result": {"title": "材料核对"},
    "missing": _materials("缺少的材料"),
    "missing_text": {"title": "缺少材料说明"},
    "required": _materials("应交材料"),
    "materials": _materials("已提交的材料"),
    "missing_notice": {"title": "补正通知", "properties": {"text": {"title": "通知内容"}}},
    "guardian": {"title": "监护人核对结果"},
    "needed": {"title": "需要监护人"},
    "name": {"title": "姓名"},
    "relation": {"title": "与申请人的关系"},
    "id_masked": {"title": "身份证号码"},
    # assessment
    "assessed_part": {"title": "本次评定的残疾类别"},
    "assessment_result": {"title": "评定结果"},
    "assessment_changed": {"title": "评定结果有变化"},
    "assessments": {"title": "各评残机构的评定", "items": {"title": "评定"}},
    "category_code": {"title": "残疾类别代码"},
    "verdicts": {"title": "各类别的评定结论", "items": _VERDICT},
    "part_verdicts": {"title": "本机构的评定结论", "items": _VERDICT},
    "part": {"title": "残疾类别"},
    "hospital": {"title": "评残机构"},
    "site": _SITE,
    "sites": {"title": "评残机构", "items": _SITE},
    "site_parts": {"title": "本机构评定的残疾类别"},
    "rehabilitated": {"title": "康复脱残"},
    # publicity, objections and re-examination
    "posting": {"title": "公示张贴"},
    "posted_by": _choices({"village": "村(社区)", "township": "乡镇(街道)"}, "张贴单位"),
    "publicity_ends": {"title": "公示期满", "format": "date-time"},
    "publicity_outcome": _choices({"proceed": "公示无异议，继续办理", "reassess": "异议成立，重新评定"}, "公示结果"),
    "objection": {"title": "异议", "properties": {"by": {"title": "提出人"}, "reason": {"title": "理由"}}},
    "objection_received": {"title": "异议受理"},
    "by": {"title": "提出人"},
    "received_on": {"title": "收到日期"},
    "last_day": {"title": "期限最后一天"},
    "review_done": {"title": "已复核"},
    "review_ends": {"title": "复核申请期满", "format": "date-time"},
    "review_last_day": {"title": "申请复核的最后一天"},
    "review_opened_on": {"title": "复核申请期开始日期"},
    "opened_on": {"title": "开始日期"},
    "request": {"title": "复核申请", "properties": {"reason": {"title": "理由"}}},
    # the certificate, fees and texts
    "certificate": {"title": "残疾人证", "properties": {"number": {"title": "残疾人证号"}}},
    "number": {"title": "证号"},
    "card_no": {"title": "残疾人证号"},
    "card_remade": {"title": "补制新卡"},
    "old_certificate_valid": {"title": "第二代残疾人证有效"},
    "voided_on": {"title": "注销日期"},
    "register_entry": {"title": "发放登记"},
    "statement_signed": {"title": "已签情况说明"},
    "fees": {"title": "费用"},
    "kind": _choices(KIND_LABELS, "办理类型"),
    "items": {"title": "费用明细"},
    "item": {"title": "项目"},
    "payer": _choices(PAYERS, "支付方"),
    "payer_label": {"title": "支付方", "writeOnly": True},
    "last_notice": {"title": "最近一条短信"},
    "template": _choices(TEMPLATE_LABELS, "短信"),
    "text": {"title": "短信内容"},
    "recipient_role": _choices(ROLES, "接收角色"),
    "recipient_group": {"title": "接收用户组"},
    "recipient_phone": {"title": "接收手机号码"},
}

OPERATORS: dict[str, str] = {
    "identity_check": "身份证号码核验",
    "materials_check": "材料核对",
    "guardian_check": "监护人核对",
    "notify": "发送短信",
    "certificate_number": "生成残疾人证号",
    "void_card": "注销残疾人证",
    "fees": "计算费用",
    "posting_check": "核对公示张贴",
    "objection_check": "受理异议",
    "review_request_check": "受理复核申请",
}

MESSAGES: dict[str, str] = {
    "materials_supplied": "申请人补交材料",
    "objection": "公示期间的异议",
    "review_request": "申请复核",
    "assessment_objection": "对评定结果的异议",
    "appointment_moved": "改约评定时间",
}
