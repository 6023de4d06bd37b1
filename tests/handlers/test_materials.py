import pytest

from handlers import materials

OFFLINE_BASE = ["id_card", "household_register", "photos", "application_form"]


def test_labels_match_the_contract() -> None:
    assert materials.MATERIALS == {
        "id_card": "居民身份证",
        "household_register": "户口本",
        "photos": "两寸近期免冠白底彩照(3张)",
        "application_form": "残疾人证申请表",
        "guardian_proof": "法定监护人证明材料",
        "medical_records": "就诊病历材料",
    }


@pytest.mark.parametrize(
    ("channel", "parts", "minor", "expected"),
    [
        ("offline", ["肢体"], False, OFFLINE_BASE),
        ("offline", ["肢体"], True, [*OFFLINE_BASE, "guardian_proof"]),
        ("offline", ["智力"], False, [*OFFLINE_BASE, "guardian_proof", "medical_records"]),
        ("offline", ["精神"], True, [*OFFLINE_BASE, "guardian_proof", "medical_records"]),
        ("offline", ["视力", "精神"], False, [*OFFLINE_BASE, "guardian_proof", "medical_records"]),
        ("online", ["听力"], False, ["photos"]),
        ("online", ["言语"], True, ["photos", "guardian_proof"]),
        ("online", ["智力"], False, ["photos", "guardian_proof", "medical_records"]),
        ("online", ["肢体", "视力"], False, ["photos"]),
    ],
)
def test_required(channel: str, parts: list[str], minor: bool, expected: list[str]) -> None:
    assert materials.required(channel, parts, minor) == expected


def test_nothing_missing() -> None:
    result = materials.check("offline", ["肢体"], False, [*OFFLINE_BASE, "medical_records"])
    assert result == {"required": OFFLINE_BASE, "missing": [], "missing_text": ""}


def test_all_missing_items_told_at_once() -> None:
    result = materials.check("offline", ["精神"], False, OFFLINE_BASE)
    assert result["missing"] == ["guardian_proof", "medical_records"]
    assert result["missing_text"] == "请补充以下材料：法定监护人证明材料、就诊病历材料。"


def test_online_minor_missing_photos_and_guardian() -> None:
    result = materials.check("online", ["听力"], True, [])
    assert result["required"] == ["photos", "guardian_proof"]
    assert result["missing_text"] == "请补充以下材料：两寸近期免冠白底彩照(3张)、法定监护人证明材料。"


def test_offline_nothing_handed_in() -> None:
    result = materials.check("offline", ["肢体"], False, None)
    assert result["missing"] == OFFLINE_BASE
    assert result["missing_text"] == "请补充以下材料：居民身份证、户口本、两寸近期免冠白底彩照(3张)、残疾人证申请表。"


def test_unknown_channel() -> None:
    with pytest.raises(ValueError) as refused:
        materials.required("mail", ["肢体"], False)
    assert str(refused.value) == "申请渠道“mail”不对，应为网上申请（online）、窗口申请（offline）"


def test_unknown_category() -> None:
    with pytest.raises(ValueError) as refused:
        materials.check("online", ["肢体", "腿"], False, ["photos"])
    assert str(refused.value) == "残疾类别“腿”不对，应为视力、听力、言语、肢体、智力、精神、多重之一"


MATERIAL_LIST = ("居民身份证（id_card）、户口本（household_register）、两寸近期免冠白底彩照(3张)（photos）、"
                 "残疾人证申请表（application_form）、法定监护人证明材料（guardian_proof）、就诊病历材料（medical_records）")


def test_unknown_material_code() -> None:
    with pytest.raises(ValueError) as refused:
        materials.check("online", ["肢体"], False, ["passport"])
    assert str(refused.value) == f"材料“passport”不在材料清单中，应为{MATERIAL_LIST}"


def test_unknown_material_marked_for_the_notice() -> None:
    with pytest.raises(ValueError) as refused:
        materials.missing_notice(["photos"], ["visa", "passport"], "")
    assert str(refused.value) == f"材料“visa”、“passport”不在材料清单中，应为{MATERIAL_LIST}"


def test_the_notice_joins_what_the_check_found_and_what_the_clerk_marked_in_the_list_order() -> None:
    from handlers.materials import missing_notice

    notice = missing_notice(["medical_records"], ["photos", "medical_records"], "照片模糊。")
    assert notice == {
        "missing": ["photos", "medical_records"],
        "text": "请补充以下材料：两寸近期免冠白底彩照(3张)、就诊病历材料。窗口说明：照片模糊。",
    }


def test_a_notice_with_nothing_missing_is_refused_as_the_clerks_input() -> None:
    import pytest

    from certflow.engine.errors import InputRefused
    from handlers.materials import missing_notice

    with pytest.raises(InputRefused) as refused:
        missing_notice([], [], "请补充")
    assert [field for field, _ in refused.value.errors] == ["missing_materials"]
