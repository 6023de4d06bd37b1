import pytest

from handlers import fees

FIRST = {"item": "首次鉴定费", "payer": "federation_budget", "payer_label": "市残疾人就业保障金"}
POSTAGE = {"item": "残疾人证邮寄费", "payer": "federation_budget", "payer_label": "市残疾人就业保障金"}


def test_posted_certificate() -> None:
    assert fees.charges("first_application", "post") == {"items": [FIRST, POSTAGE]}


def test_delivered_in_person() -> None:
    assert fees.charges("first_application", "in_person") == {"items": [FIRST]}


def test_applicant_pays_nothing() -> None:
    for delivery in ("post", "in_person"):
        items = fees.charges("first_application", delivery)["items"]
        assert all(item["payer"] == "federation_budget" for item in items)


def test_unknown_kind_is_named_with_the_kinds_there_are() -> None:
    with pytest.raises(ValueError) as refused:
        fees.charges("renewal", "post")
    assert str(refused.value) == ("办理类型“renewal”不对，"
                                  "应为首次申请（first_application）、异议复核（objection_review）")


def test_unknown_delivery_is_named_with_the_deliveries_there_are() -> None:
    with pytest.raises(ValueError) as refused:
        fees.charges("first_application", "courier")
    assert str(refused.value) == "送达方式“courier”不对，应为邮寄（post）、直接送达（in_person）"


def test_re_examination_on_objection_is_borne_by_the_applicant() -> None:
    assert fees.charges("objection_review", "in_person") == {
        "items": [{"item": "复核鉴定费", "payer": "applicant", "payer_label": "申请人承担"}],
    }
