"""The OpenAPI 3.1 document of the REST API, served at /api/v1/openapi.json.

It describes the routes of ``certflow.web.api``; tests check that both name the same paths and
methods and that real answers match the schemas here (JSON Schema 2020-12, as OpenAPI 3.1 uses).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from certflow.casework import search
from certflow.casework.inbox import DUE_FILTERS, MAX_PAGE, PAGE_SIZE, QUEUES, SORTS
from certflow.engine.errors import FieldError
from certflow.engine.outcomes import OUTCOMES
from certflow.web.progress import STATUSES

JSON = "application/json"

# Error answers: status → (component name, when it happens).
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Any request: text with the NUL character (U+0000) anywhere (path, query, body), JSON that "
                        "cannot be read or is nested deeper than 32 levels, a page number outside 1 to 100000. With a "
                        "body: it is not a JSON object, or `data`/`process` has the wrong type."),
    401: ("Unauthorized", "No bearer token, or an unknown or revoked one (`WWW-Authenticate: Bearer`)."),
    403: ("Forbidden", "The token's user may not do this; the attempt is recorded."),
    404: ("NotFound", "No such task, case or process, or the user may not see it."),
    409: ("Conflict", "The task was claimed or completed by someone else, or the case changed meanwhile."),
    422: ("Unprocessable", "The form data is not valid (`details` has one entry per field), or a deployment was "
                           "refused (`details` has one entry per problem, as `certflow deploy` lists them)."),
    500: ("StepFailed", "A script or handler of the process failed (code `step_failed`; `budget_exceeded` when it "
                        "ran over its time or memory budget); nothing was saved."),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **more}


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with exactly these properties, all required but ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _answer(description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}, **more}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _operation(summary: str, ok: tuple[int, dict[str, Any]], errors: tuple[int, ...], **more: Any) -> dict[str, Any]:
    """One operation: its success answer and the error answers it can give (any request may be a 400)."""
    status, answer = ok
    responses = {str(status): answer}
    responses.update({str(code): {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
                      for code in sorted({400, *errors})})
    return {"summary": summary, "responses": responses, **more}


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


TIME = {"type": "string", "format": "date-time"}
PAGE = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}
TASK_ID = _path_parameter("task_id", "The task's id.")
CASE_NUMBER = _path_parameter("number", "The case number, e.g. LS-2026-000001.")
SEQ = {"name": "seq", "in": "path", "required": True, "description": "An event's number in the case, from 1.",
       "schema": {"type": "integer", "minimum": 1}}
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
TASK_ANSWER = _answer("The task as it is now.", _object({"task": _ref("Task")}))
FORM_DATA = {"type": "object", "description": "Values for the form's JSON Schema; validated on the server."}
COUNTY = {"type": "string", "pattern": "^([0-9]{6})?$",
          "description": "The county whose own versions these are (its 6-digit area code); empty: the province's."}

SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "description": "e.g. unauthorized, forbidden, not_found, conflict, "
                                                  "validation_failed, bad_request"},
        "message": {"type": "string", "description": "What went wrong, in Chinese, fit to show a person."},
        "details": {"anyOf": [{"type": "array", "items": _ref("FieldError")},
                              {"type": "array", "items": _ref("Problem")}, {"type": "string"}, {"type": "null"}],
                    "description": "One entry per invalid field (or per problem of a refused deployment) for 422; "
                                   "otherwise the specific reason, if any."},
    })}),
    "FieldError": _object({
        "field": {"type": "string", "description": "Dotted path of the field, \"\" for the form as a whole."},
        "message": {"type": "string"},
    }),
    "Problem": _object({
        "file": _nullable("string", description="The file, as it was named in the deployment."),
        "line": _nullable("integer"),
        "element": _nullable("string", description="The BPMN or DMN id of the element."),
        "message": {"type": "string", "description": "What is wrong and how to fix it, in Chinese."},
        "name": _nullable("string", description="The element's name as the diagram shows it."),
    }),
    "DeployedVersion": _object({
        "process": {"type": "string", "description": "The process key."},
        "version": {"type": "integer"},
        "created": {"type": "boolean", "description": "false when the same content was deployed before."},
        "county": _nullable("string", description="The county whose own version it is; null: the province's."),
    }),
    "Process": _object({
        "key": {"type": "string"},
        "name": {"type": "string"},
        "version": {"type": "integer"},
        "deployed_at": TIME,
        "start_form": _nullable("string"),
        "start_schema": _nullable("object", description="The JSON Schema a case's start data must satisfy."),
    }),
    "Task": _object({
        "id": {"type": "string"},
        "case": {"type": "string", "description": "The case number."},
        "county": {"type": "string", "description": "The area code of the county the case belongs to."},
        "applicant_name": _nullable("string"),
        "id_masked": _nullable("string"),
        "process": {"type": "string"},
        "name": {"type": "string", "description": "The step, e.g. pre_review."},
        "title": {"type": "string"},
        "role": _nullable("string"),
        "group": _nullable("string"),
        "assignee": _nullable("string"),
        "form": _nullable("string"),
        "status": {"enum": ["open", "completed", "cancelled"]},
        "created_at": TIME,
        "due_at": _nullable("string", format="date-time"),
        "completed_at": _nullable("string", format="date-time"),
        "completed_by": _nullable("string"),
        "due_state": {"enum": ["overdue", "soon", None], "description": "In the task list only."},
    }, optional=("due_state",)),
    "TaskPage": _object({
        "tasks": {"type": "array", "items": _ref("Task")},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "pages": {"type": "integer"},
        "counts": _object({queue: {"type": "integer"} for queue in QUEUES}),
    }),
    "Case": _object({
        "number": {"type": "string"},
        "county": {"type": "string", "description": "The area code of the county the case belongs to."},
        "process": {"type": "string"},
        "version": {"type": "integer"},
        "start_form": _nullable("string"),
        "status": {"type": "string", "description": "running, completed, cancelled or error"},
        "outcome": _nullable("string", description="rejected, not_met or issued, once the case ends"),
        "current_step": _nullable("string"),
        "applicant_name": _nullable("string"),
        "id_masked": _nullable("string"),
        "started_at": TIME,
        "ended_at": _nullable("string", format="date-time"),
        "next_due_at": _nullable("string", format="date-time"),
        "open_tasks": {"type": "array", "items": _ref("Task")},
        "waiting": {"type": "array", "items": _object({"event": {"type": "string"}, "name": _nullable("string"),
                                                       "value": {}, "label": {"type": "string"}})},
        "data": {"type": "object", "description": "The case's data; the ID number masked."},
    }),
    "CaseRow": _object({
        "number": {"type": "string"},
        "county": {"type": "string", "description": "The area code of the county the case belongs to."},
        "applicant_name": _nullable("string"),
        "id_masked": _nullable("string"),
        "process": {"type": "string"},
        "process_name": {"type": "string"},
        "version": {"type": "integer"},
        "status": {"type": "string", "description": "running, completed, cancelled or error"},
        "outcome": _nullable("string", description="rejected, not_met or issued, once the case ends"),
        "current_step": _nullable("string"),
        "started_at": TIME,
        "ended_at": _nullable("string", format="date-time"),
        "handled": {"type": "array", "description": "The completed steps and who completed them, oldest first.",
                    "items": _object({"step": {"type": "string"}, "title": {"type": "string"},
                                      "by": _nullable("string"), "at": _nullable("string", format="date-time")})},
    }),
    "CasePage": _object({
        "cases": {"type": "array", "items": _ref("CaseRow")},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "pages": {"type": "integer"},
    }),
    "Event": _object({
        "seq": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "description": "case_started, task_completed, message_received, timer_fired, "
                                                  "case_migrated, service_called, task_claimed, task_unclaimed, "
                                                  "task_reassigned, comment_added, files_attached, "
                                                  "personal_data_viewed, case_ended"},
        "at": TIME,
        "actor": {"type": "string", "description": "A username, or system, or applicant."},
        "task_id": _nullable("string"),
        "task_name": _nullable("string"),
        "data": {"type": "object", "description": "What the event recorded (docs/engine.md, Events)."},
        "prev_hash": HASH,
        "hash": HASH,
    }),
    "HistoryExport": _object({
        "case": {"type": "string"},
        "process": {"type": "string"},
        "version": {"type": "integer"},
        "event_count": {"type": "integer", "description": "How many events the case row recorded."},
        "last_hash": _nullable("string", description="The case row's last hash."),
        "algorithm": {"type": "string"},
        "genesis": HASH,
        "signature": {"type": "string", "description": "How `mac` and `seal` are made; checking them needs the key."},
        "seal": _nullable("string", description="HMAC of the case, event count and last hash (docs/audit.md)."),
        "seal_key": _nullable("string", description="The id of the history key the seal was made with."),
        "events": {"type": "array", "items": _object({
            "body": _object({
                "case": {"type": "string"}, "seq": {"type": "integer"}, "kind": {"type": "string"}, "at": TIME,
                "actor": {"type": "string"}, "task_id": _nullable("string"), "task_name": _nullable("string"),
                "data": {"type": "object", "description": "As recorded: personal data in full."},
            }),
            "prev_hash": HASH,
            "hash": HASH,
            "key_id": _nullable("string", description="The history key that signed it; null in history version 1."),
            "mac": _nullable("string", description="HMAC-SM3 of the hash (HMAC-SHA-256 if signed before SM3); "
                                                   "null in history version 1."),
        })},
    }),
    "Replay": _object({
        "case": {"type": "string"},
        "seq": {"type": "integer", "description": "The event asked for."},
        "step": {"type": "integer", "description": "The event that began the step shown: the case is as it was "
                                                   "after that step."},
        "error": _nullable("string", description="Why the step could not be replayed; the state shown is the one "
                                                 "before it."),
        "version": {"type": "integer", "description": "The process version the case was on after that step."},
        "events": {"type": "array", "items": _ref("Event"), "description": "The events up to `seq`."},
        "steps": {"type": "array", "items": _object({
            "seq": {"type": "integer"}, "last_seq": {"type": "integer"}, "label": {"type": "string"}, "at": TIME,
            "actor": {"type": "string"},
        }), "description": "Every step of the case that could be replayed, in order."},
        "xml": _nullable("string", description="The BPMN of the case's main diagram."),
        "passed": {"type": "object", "additionalProperties": {"type": "integer"},
                   "description": "BPMN ids of the elements passed, with how often."},
        "current": {"type": "array", "items": {"type": "string"}},
        "open_tasks": {"type": "array", "items": _object({
            "id": {"type": "string"}, "name": {"type": "string"}, "title": {"type": "string"},
            "role": _nullable("string"),
        })},
        "data": {"type": "object", "description": "The case's data then."},
    }),
    "Verification": _object({
        "case": {"type": "string"},
        "ok": {"type": "boolean"},
        "events": {"type": "integer"},
        "steps": {"type": "integer", "description": "How many steps were replayed."},
        "unsigned_events": {"type": "integer", "description": "Events of history version 1 (before history keys), "
                                                             "covered by the case row's seal only."},
        "erased": {"type": "string", "description": "Which events' personal data was erased after the retention "
                                                   "period, and when (Chinese); empty when none was."},
        "finding": {"anyOf": [_object({
            "seq": {"type": "integer"},
            "kind": {"type": "string", "description": "missing, link, content, unsigned, key, signature, count, "
                                                      "seal, diverged, state, stored, status or tasks"},
            "message": {"type": "string"},
        }), {"type": "null"}], "description": "The first thing that does not check out, at the event where it shows."},
    }),
    "Message": _object({
        "id": {"type": "integer"},
        "template": {"type": "string"},
        "recipient_role": {"type": "string"},
        "recipient_group": _nullable("string"),
        "recipient_phone": _nullable("string"),
        "text": {"type": "string"},
        "status": {"type": "string", "description": "queued, sending, sent or failed"},
        "created_at": TIME,
    }),
}

PATHS: dict[str, Any] = {
    "/openapi.json": {"get": _operation(
        "This document.", (200, _answer("The OpenAPI document.", {"type": "object"})), (), security=[],
    )},
    "/processes": {"get": _operation(
        "Deployed processes (latest version of each) with their start forms.",
        (200, _answer("The processes.", _object({"processes": {"type": "array", "items": _ref("Process")}}))),
        (401,),
    )},
    "/deployments": {"post": _operation(
        "Check and deploy BPMN, DMN and form files, as `certflow deploy` does (analysts and administrators). The "
        "whole set is refused if any file has a problem; a process whose content is unchanged gets no new version. "
        "The versions are the token's county's own (its new cases take them), or the province's for a province-wide "
        "administrator; `county` names the county explicitly (empty: the province), which only a province-wide "
        "administrator may choose freely (403 otherwise).",
        (201, _answer("The processes of the deployment with their versions, new or unchanged.",
                      _object({"versions": {"type": "array", "items": _ref("DeployedVersion")}}))),
        (400, 401, 403, 422),
        requestBody={"required": True, "content": {
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"files": {"type": "array", "minItems": 1,
                                         "items": {"type": "string", "format": "binary"},
                                         "description": "The files, named by their file names (.bpmn, .dmn, .json)."},
                               "note": {"type": "string"}, "county": COUNTY},
                "required": ["files"],
            }},
            JSON: {"schema": _object({
                "files": {"type": "array", "minItems": 1,
                          "items": _object({"name": {"type": "string"}, "content": {"type": "string"}})},
                "note": {"type": "string"}, "county": COUNTY,
            }, optional=("note", "county"))},
        }},
    )},
    "/processes/{key}/give-up": {"post": _operation(
        "A county gives up its own versions of the process, as `certflow follow-province` does: its new cases start "
        "on the province's newest version again until it deploys one of its own anew; running cases keep theirs. "
        "`county` defaults to the token's county; only a province-wide administrator names another (403), and must "
        "name one (422). 409 when the county already runs the province's version.",
        (200, _answer("The province's version the county's new cases now start on.", _object({
            "process": {"type": "string"}, "county": {"type": "string"}, "version": {"type": "integer"}}))),
        (400, 401, 403, 404, 409, 422),
        parameters=[_path_parameter("key", "The process key.")],
        requestBody={"required": True, "content": {JSON: {"schema": _object({
            "county": {"type": "string", "pattern": "^[0-9]{6}$",
                       "description": "The county's 6-digit area code; not given: the token's county."},
            "note": {"type": "string", "description": "Why, kept with the record."},
        }, optional=("county", "note"))}}},
    )},
    "/cases": {"get": _operation(
        "Search the cases of the token's county, as the web's case search does (auditors, the county and "
        "administrators; a province-wide administrator searches every county's).",
        (200, _answer("One page of cases.", _ref("CasePage"))),
        (401, 403),
        parameters=[
            _query("applicant", "The applicant's whole name (names are kept encrypted, found by a keyed digest).",
                   {"type": "string"}),
            _query("number", "A case number.", {"type": "string"}),
            _query("status", "The case's status.", {"enum": list(STATUSES)}),
            _query("process", "A process key.", {"type": "string"}),
            _query("version", "The process version the case runs on.",
                   {"type": "integer", "minimum": 1, "maximum": 999_999_999}),
            _query("started_from", "Started on or after this date (China time).", {"type": "string", "format": "date"}),
            _query("started_to", "Started on or before this date (China time).", {"type": "string", "format": "date"}),
            _query("handled_by", "A username that completed one of the case's tasks.", {"type": "string"}),
            _query("outcome", "How the case ended.", {"enum": list(OUTCOMES)}),
            _query("sort", "Order of the cases.", {"enum": list(search.SORTS), "default": "-started"}),
            _query("page", f"Page number, {PAGE_SIZE} cases a page.", PAGE),
        ],
    ), "post": _operation(
        "Start a case as the token's user (window clerks and administrators).",
        (201, _answer(
            "The case was started.", _object({"number": {"type": "string"}, "case": _ref("Case")}),
            headers={"Location": {"description": "The case's URL.", "schema": {"type": "string"}}},
        )),
        (400, 401, 403, 404, 422, 500),
        requestBody=_body(_object({"process": {"type": "string", "description": "A process key."},
                                   "data": FORM_DATA})),
    )},
    "/cases/{number}": {"get": _operation(
        "A case: status, open tasks, what it waits for, its data.",
        (200, _answer("The case.", _ref("Case"))), (401, 404), parameters=[CASE_NUMBER],
    )},
    "/cases/{number}/messages": {"get": _operation(
        "The texts sent for a case.",
        (200, _answer("The texts, oldest first.", _object({"messages": {"type": "array", "items": _ref("Message")}}))),
        (401, 404), parameters=[CASE_NUMBER],
    )},
    "/cases/{number}/history": {"get": _operation(
        "The case's history: every event with its hash, ID numbers masked (the hashes cover the events as recorded: "
        "to check them, use the export).",
        (200, _answer("The events, oldest first.", _object({"case": {"type": "string"},
                                                            "events": {"type": "array", "items": _ref("Event")}}))),
        (401, 404), parameters=[CASE_NUMBER],
    )},
    "/cases/{number}/history/export": {"get": _operation(
        "The complete history with what each hash covers, to check outside certflow (docs/audit.md). It holds "
        "personal data in full: for the window, the county, auditors and administrators, and each export is itself "
        "an event (personal_data_viewed) in the case's history, included in the export.",
        (200, _answer("The hash chain.", _ref("HistoryExport"))), (401, 403, 404), parameters=[CASE_NUMBER],
    )},
    "/cases/{number}/replay/{seq}": {"get": _operation(
        "The case as it was after event `seq`, rebuilt by replaying its history; ID numbers masked.",
        (200, _answer("The case then.", _ref("Replay"))), (401, 404), parameters=[CASE_NUMBER, SEQ],
    )},
    "/cases/{number}/verify": {"get": _operation(
        "Verify the case's history: the hash chain, the case row's count and last hash, each step replayed to the "
        "state it recorded, and the stored state. A read (nothing is recorded), but it replays the whole case. "
        "Auditors, the county and administrators.",
        (200, _answer("The result.", _ref("Verification"))), (401, 403, 404), parameters=[CASE_NUMBER],
    )},
    "/tasks": {"get": _operation(
        "The user's tasks, filtered, sorted and paged exactly as the web inbox does.",
        (200, _answer("One page of tasks, with the number of tasks in each queue.", _ref("TaskPage"))),
        (401,),
        parameters=[
            _query("queue", "mine: open tasks the user claimed; group: open unclaimed tasks of the user's groups; "
                            "done: tasks the user completed.", {"enum": list(QUEUES), "default": "mine"}),
            _query("process", "Only tasks of this process key.", {"type": "string"}),
            _query("step", "Only tasks of this step: process:name, or a task name alone (in every process).",
                   {"type": "string"}),
            _query("due", "By time limit.", {"enum": list(DUE_FILTERS)}),
            _query("q", "Any part of a case number, or the applicant's whole name (kept encrypted, found by a keyed "
                   "digest).", {"type": "string"}),
            _query("sort", "Order of the tasks: due for open queues, -completed (newest first) for done unless "
                           "another is given.", {"enum": list(SORTS)}),
            _query("page", f"Page number, {PAGE_SIZE} tasks a page.", PAGE),
        ],
    )},
    "/tasks/{task_id}": {"get": _operation(
        "A task the user may work or has completed, with its form.",
        (200, _answer("The task, its form's JSON Schema (choices from the task's data filled in), its uiSchema "
                      "({} when it has none), and its instructions filled in with the task's data (escaped HTML; "
                      "problem says, in words, why a template could not be filled in).",
                      _object({"task": _ref("Task"), "schema": _nullable("object"), "ui": {"type": "object"},
                               "instructions": _object({"html": {"type": "string"}, "problem": {"type": "string"}})}))),
        (401, 404), parameters=[TASK_ID],
    )},
    "/tasks/{task_id}/claim": {"post": _operation(
        "Claim an open task of the user's group.", (200, TASK_ANSWER), (401, 403, 404, 409), parameters=[TASK_ID],
    )},
    "/tasks/{task_id}/unclaim": {"post": _operation(
        "Give a claimed task back to its group (its holder, or an administrator).",
        (200, TASK_ANSWER), (401, 403, 404, 409), parameters=[TASK_ID],
    )},
    "/tasks/{task_id}/complete": {"post": _operation(
        "Submit the task's form; no claim is needed first (409 if someone else holds it). Answers the task as "
        "completed.", (200, TASK_ANSWER), (400, 401, 403, 404, 409, 422, 500), parameters=[TASK_ID],
        requestBody=_body(_object({"data": FORM_DATA}, optional=("data",))),
    )},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "certflow API",
        "version": "1",
        "description": "Disability-certificate cases and tasks, and the deployment of processes. Authenticate "
                       "with `Authorization: Bearer <token>` (`certflow token issue USERNAME`). Errors are "
                       "`{\"error\": {\"code\", \"message\", \"details\"}}`.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
        "responses": {name: _answer(description, _ref("Error")) for name, description in ERRORS.values()},
    },
}


def query_errors(path: str, method: str, args: Any) -> list[FieldError]:
    """What is wrong with the query arguments of a request to ``path`` (as this document names it), by the
    parameters the document declares: the API refuses what its description does not allow, in Chinese."""
    operation = PATHS.get(path, {}).get(method.lower(), {})  # HEAD and OPTIONS have no parameters to check
    declared = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
    errors = [FieldError(name, "不是此接口的参数") for name in args if name not in declared]
    for name, schema in declared.items():
        values = args.getlist(name)
        if len(values) > 1:
            errors.append(FieldError(name, "只能给一个值"))
        elif values and not _fits(values[0], schema):
            errors.append(FieldError(name, _expected(schema)))
    return errors


def _fits(value: str, schema: dict[str, Any]) -> bool:
    if "enum" in schema:
        return value in schema["enum"]
    if schema.get("type") == "integer":
        return (re.fullmatch(r"-?[0-9]{1,18}", value) is not None
                and schema.get("minimum", -1 << 63) <= int(value) <= schema.get("maximum", 1 << 63))
    if schema.get("format") == "date":
        try:
            return date.fromisoformat(value).isoformat() == value
        except ValueError:
            return False
    return True


def _expected(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "应为以下之一：" + "、".join(schema["enum"])
    if schema.get("type") == "integer":
        return f"应为 {schema.get('minimum', 1)} 到 {schema.get('maximum')} 之间的整数"
    return "应为日期，如 2026-09-01"
