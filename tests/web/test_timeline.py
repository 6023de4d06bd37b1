"""The history in words without Flask: what each form changed, and stepping through a replay's steps."""

from __future__ import annotations

from typing import Any

from certflow.engine.privacy import mask_personal
from certflow.web.present import waiting_text
from certflow.web.timeline import Detail, Place, Sources, actor_roles, changed_fields, people, place_of, rows
from handlers.registry import REGISTRY


def event(seq: int, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"seq": seq, "kind": kind, "data": {"data": data} if data is not None else {}}


def test_a_form_changes_the_fields_it_submits_with_another_value():
    events = [
        event(1, "case_started", {"delivery": "post", "materials": ["photos"]}),
        event(2, "service_called"),
        event(3, "task_completed", {"decision": "missing", "missing_note": "请补交病历"}),
        event(4, "message_received", {"materials": ["medical_records"]}),  # kept apart by the process: no form
        event(5, "task_completed", {"decision": "pass"}),
        event(6, "task_completed", {"delivery": "post", "issued_on": "2026-09-20"}),
        event(7, "task_completed", {"delivery": "in_person", "decision": "pass"}),
    ]
    assert changed_fields(events) == {
        1: {},
        3: {},  # submitted for the first time
        5: {"decision": "missing"},
        6: {},  # the same delivery as applied for
        7: {"delivery": "post"},  # the decision is the one submitted last
    }


def test_a_change_reads_old_to_new():
    assert str(Detail("审核结论", "通过", "材料不全")) == "审核结论：材料不全 → 通过"
    assert str(Detail("审核结论", "通过")) == "审核结论：通过"


def test_actors_that_are_no_accounts_are_named_and_accounts_by_their_roles():
    assert actor_roles("system", None) == "系统"
    assert actor_roles("applicant", None) == "申请人"
    assert actor_roles("window", {"window_clerk", "county"}) == "县残联、残联综合窗口"
    assert actor_roles("gone", None) == ""


def test_stepping_back_and_forth():
    steps = [{"seq": 1}, {"seq": 5}, {"seq": 8}]
    assert place_of(steps, 1) == Place(0, None, 5)
    assert place_of(steps, 5) == Place(1, 1, 8)
    assert place_of(steps, 8) == Place(2, 5, None)


def test_id_numbers_are_masked_wherever_they_stand_but_digests_stay():
    digest = "3" * 20 + "a" * 44
    masked = mask_personal({
        "id_number": "36048319800101123X", "certificate": {"number": "36048319800101123X43"},
        "texts": ["身份证 360483198001011230 已核验"], "state": digest, "phone": "13800000001", "age": 46,
    })
    assert masked == {
        "id_number": "360483********123X", "certificate": {"number": "360483********123X43"},
        "texts": ["身份证 360483********1230 已核验"], "state": digest, "phone": "13800000001", "age": 46,
    }


def test_a_migration_reads_as_a_change_of_version_and_its_handlers_belong_to_it():
    def recorded(seq: int, kind: str, data: dict[str, Any], actor: str = "admin") -> dict[str, Any]:
        return {"seq": seq, "kind": kind, "at": "2026-09-01T01:00:00+00:00", "actor": actor, "task_id": None,
                "task_name": None, "data": data, "prev_hash": "0" * 64, "hash": "1" * 64}

    events = [
        recorded(1, "case_started", {"process": "application_online", "version": 1, "data": {}}, "applicant"),
        recorded(2, "case_migrated", {"from_version": 1, "to_version": 2}),
        recorded(3, "service_called", {"operator": "fees", "params": {"kind": "first_application"},
                                       "result": {"total": 0}}),
    ]
    sources = Sources(forms={}, start_form=None, task_forms={}, outbox=[], roles={"admin": {"admin"}})
    started, migrated, fees = rows(events, sources)
    assert (started.actor_name, started.roles, started.starts_step) == ("申请人", "", True)
    assert (migrated.label, migrated.roles, migrated.starts_step) == ("迁移到新版本", "系统管理员", True)
    assert [str(d) for d in migrated.details] == ["流程版本：第 1 版 → 第 2 版"]
    assert (fees.step, fees.starts_step) == ("迁移到新版本", False)
    assert [str(d) for d in fees.details] == ["处理：fees", "参数：kind：first_application", "total：0"]

    # The deployment's glossary names the handler, its parameters and their values; the process has its name.
    glossary = REGISTRY.glossary
    named = Sources(forms={}, start_form=None, task_forms={}, outbox=[], roles={"admin": {"admin"}},
                    names={"admin": "谢晓东"}, glossary=glossary.fields, operators=glossary.operators,
                    process_name="残疾人证申请（网上）")
    started, migrated, fees = rows(events, named)
    assert [str(d) for d in started.details] == ["流程：残疾人证申请（网上）（第 1 版）"]
    assert migrated.actor_name == "谢晓东"
    assert [str(d) for d in fees.details] == ["处理：计算费用", "参数：办理类型：首次申请", "total：0"]


def test_a_wait_reads_as_the_diagram_names_it_with_a_timers_due_moment():
    timer = {"event": "TimeDateEventDefinition", "name": "公示期满", "value": "2026-09-07T16:00:00+00:00",
             "label": "公示期满"}
    message = {"event": "MessageEventDefinition", "name": "materials_supplied", "value": {"applicant_ref": None},
               "label": "等待补齐材料"}
    assert waiting_text(timer) == "公示期满（2026-09-08 00:00 到期）"
    assert waiting_text(message) == "等待补齐材料"


def test_the_people_named_are_those_who_acted_and_those_a_task_was_reassigned_to():
    events = [event(1, "case_started"), event(2, "task_reassigned")]
    events[0]["actor"], events[1]["actor"] = "applicant", "admin"
    events[1]["data"] = {"from": None, "to": "window"}
    assert people(events) == {"admin", "window"}
