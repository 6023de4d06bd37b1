"""Which application materials a case needs, and the one notice listing all that are missing.

The window tells every missing item at once (一次性告知), so the applicant comes back at most once.
Online, identity and household are checked by the system, so only the photos and the conditional
items are uploaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from certflow.engine.disability import CATEGORIES
from certflow.engine.errors import InputRefused, allowed, quoted
from certflow.engine.guardians import GUARDIAN_CATEGORIES

MATERIALS: dict[str, str] = {
    "id_card": "居民身份证",
    "household_register": "户口本",
    "photos": "两寸近期免冠白底彩照(3张)",
    "application_form": "残疾人证申请表",
    "guardian_proof": "法定监护人证明材料",
    "medical_records": "就诊病历材料",
}

CHANNELS: dict[str, tuple[str, ...]] = {
    "offline": ("id_card", "household_register", "photos", "application_form"),
    "online": ("photos",),
}
CHANNEL_LABELS: dict[str, str] = {"online": "网上申请", "offline": "窗口申请"}

# Intellectual and mental disability: the diagnosis rests on the medical history.
_MEDICAL_RECORD_CATEGORIES = frozenset({"智力", "精神"})


def _unknown_materials(codes: list[str]) -> str:
    return f"材料{'、'.join(map(quoted, codes))}不在材料清单中，应为{allowed(MATERIALS)}"


def _check_parts(parts: Iterable[str]) -> list[str]:
    parts = list(parts)
    unknown = [p for p in parts if p not in CATEGORIES]
    if unknown:
        raise ValueError(f"残疾类别{'、'.join(map(quoted, unknown))}不对，应为{allowed(CATEGORIES)}之一")
    return parts


def required(channel: str, parts: list[str], minor: bool) -> list[str]:
    """Material codes the case needs, in the order of the list above."""
    if channel not in CHANNELS:
        raise ValueError(f"申请渠道{quoted(channel)}不对，应为{allowed(CHANNEL_LABELS)}")
    part_set = set(_check_parts(parts))
    codes = list(CHANNELS[channel])
    if minor or part_set & GUARDIAN_CATEGORIES:
        codes.append("guardian_proof")
    if part_set & _MEDICAL_RECORD_CATEGORIES:
        codes.append("medical_records")
    return codes


def missing_text(missing: list[str]) -> str:
    """One sentence naming every missing item; empty when nothing is missing."""
    if not missing:
        return ""
    return "请补充以下材料：" + "、".join(MATERIALS[code] for code in missing) + "。"


def check(channel: str, parts: list[str], minor: bool, provided: list[str] | None) -> dict[str, Any]:
    """Required, missing, and the notice for the applicant; nothing handed in yet may be ``None``."""
    provided = list(provided or ())
    unknown = [code for code in provided if code not in MATERIALS]
    if unknown:
        raise ValueError(_unknown_materials(unknown))
    needed = required(channel, parts, minor)
    have = set(provided)
    missing = [code for code in needed if code not in have]
    return {"required": needed, "missing": missing, "missing_text": missing_text(missing)}


def missing_notice(found: list[str], marked: list[str], note: str) -> dict[str, Any]:
    """Everything to hand in again, told at once: what the check found and what the clerk marked.

    The clerk may mark any material, also one handed in (a blurred photo), and explain in their own
    words. Nothing found and nothing marked is not a case of 材料不全: the clerk is asked to mark what is missing.
    """
    unknown = [code for code in [*found, *marked] if code not in MATERIALS]
    if unknown:
        raise ValueError(_unknown_materials(unknown))
    wanted = set(found) | set(marked)
    codes = [code for code in MATERIALS if code in wanted]
    if not codes:
        raise InputRefused("missing_materials", "选择“材料不全”时，请勾选缺少或需重新提交的材料")
    text = missing_text(codes)
    note = (note or "").strip().rstrip("。．.；;，, ")
    if note:
        text += f"窗口说明：{note}。"
    return {"missing": codes, "text": text}
