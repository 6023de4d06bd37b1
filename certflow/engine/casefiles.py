"""What people add to a case besides steps: drafts of a task's form, comments, attached files, and the record that
someone saw full personal data. None of it moves the workflow; all but drafts is in the case's history."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from certflow.engine import attachments, erasure, wakeup
from certflow.engine.attachments import Upload
from certflow.engine.errors import FieldError, InvalidState, NotFound, ValidationFailed
from certflow.engine.models import Attachment, Draft, Event, Notification, Task, UploadDraft
from certflow.engine.steps import Steps
from certflow.engine.views import AttachmentView


def save_draft(steps: Steps, task_id: str, data: dict[str, Any], *, actor: str) -> None:
    """Keep unfinished input for ``actor``; a draft is not validated and not in the history."""
    with steps.sessions.begin() as session:
        row = session.get(Task, task_id)
        if row is None or row.status != "open":
            raise NotFound(f"任务 {task_id} 不存在或已办理完毕")
        session.merge(Draft(task_id=task_id, actor=actor, data=data, saved_at=steps.clock.now()))


def draft(steps: Steps, task_id: str, *, actor: str) -> dict[str, Any] | None:
    with steps.sessions() as session:
        row = session.get(Draft, (task_id, actor))
        return row.data if row else None


def add_comment(steps: Steps, case_ref: str, text: str, *, actor: str) -> None:
    text = text.strip()
    if not text:
        raise ValidationFailed([FieldError("comment", "必填")])
    if len(text) > 2000:
        raise ValidationFailed([FieldError("comment", "最多2000个字")])
    with steps.transaction() as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        steps.append_events(session, case, [("comment_added", None, None, {"text": text})], actor, steps.clock.now())


def attach(steps: Steps, case_ref: str, uploads: list[Upload], *, actor: str) -> None:
    """Store files for a case and record each, with its checksum, in the case's history."""
    files = steps.setup.files
    if files is None:
        raise InvalidState("系统没有设置存放附件的目录，暂时不能上传附件，请联系管理员")
    types = attachments.check(uploads)
    now = steps.clock.now()
    with steps.transaction() as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        recorded = []
        for upload, content_type in zip(uploads, types, strict=True):
            digest = files.put(upload.content)
            session.add(Attachment(
                case_id=case.id, material=upload.material, filename=upload.filename[:255],
                content_type=content_type, size=len(upload.content), sha256=digest,
                uploaded_by=actor, uploaded_at=now,
            ))
            recorded.append({"material": upload.material, "filename": upload.filename, "sha256": digest})
        steps.append_events(session, case, [("files_attached", None, None, {"files": recorded})], actor, now)


def store_draft(steps: Steps, upload: Upload) -> tuple[str, str]:
    """Store a file picked before the application is sent: its token and content type; ValidationFailed when the
    file is refused (attachments.check)."""
    files = steps.setup.files
    if files is None:
        raise InvalidState("系统没有设置存放附件的目录，暂时不能上传附件，请联系管理员")
    (content_type,) = attachments.check([upload])
    token = secrets.token_urlsafe(32)
    with steps.sessions.begin() as session:
        session.add(UploadDraft(token=token, material=upload.material, filename=upload.filename[:255],
                                content_type=content_type, sha256=files.put(upload.content),
                                created_at=steps.clock.now()))
    return token, content_type


def drafted(steps: Steps, tokens: list[str]) -> list[tuple[str, str, Upload]]:
    """The stored drafts of ``tokens`` (unknown ones left out, and those removed meanwhile as too old), in order:
    (token, content type, upload)."""
    files = steps.setup.files
    if files is None or not tokens:
        return []
    with steps.sessions() as session:
        rows = {row.token: row for row in session.scalars(select(UploadDraft).where(UploadDraft.token.in_(tokens)))}
    found = []
    for token in dict.fromkeys(tokens):
        if token not in rows:
            continue
        row = rows[token]
        try:
            content = files.read(row.sha256)
        except FileNotFoundError:  # its row read just before ``remove_old_drafts`` deleted it and the file
            continue
        found.append((token, row.content_type, Upload(row.material, row.filename, content)))
    return found


def remove_old_drafts(steps: Steps, now: datetime, *, limit: int | None = None) -> int:
    """Remove the files picked before ``now`` - ``Settings.upload_draft_hours`` whose application was never sent
    (the oldest first, at most ``limit``): their rows, and their stored files unless something else holds the same
    content. How many were removed. Rows another worker is removing are skipped (SKIP LOCKED)."""
    before = now - timedelta(hours=steps.settings.upload_draft_hours)
    query = (select(UploadDraft.id, UploadDraft.sha256).where(UploadDraft.created_at < before)
             .order_by(UploadDraft.created_at, UploadDraft.id).limit(limit).with_for_update(skip_locked=True))
    with steps.sessions.begin() as session:
        rows = session.execute(query).all()
        if rows:
            session.execute(delete(UploadDraft).where(UploadDraft.id.in_([row_id for row_id, _ in rows])))
    erasure.delete_unused_files(steps, [digest for _, digest in rows])
    return len(rows)


def attachment_list(steps: Steps, case_ref: str) -> list[AttachmentView]:
    """The files attached to a case, in the order they came."""
    with steps.sessions() as session:
        case_id = steps.case_id(session, case_ref)
        rows = session.scalars(select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id))
        return [
            {"id": a.id, "material": a.material, "filename": a.filename, "content_type": a.content_type,
             "size": a.size, "sha256": a.sha256, "uploaded_by": a.uploaded_by,
             "uploaded_at": a.uploaded_at.isoformat()}
            for a in rows
        ]


def attachment_content(steps: Steps, case_ref: str, attachment_id: int) -> tuple[AttachmentView, bytes]:
    found = [a for a in attachment_list(steps, case_ref) if a["id"] == attachment_id]
    files = steps.setup.files
    if not found or files is None:
        raise NotFound(f"案件 {case_ref} 没有编号为 {attachment_id} 的附件")
    return found[0], files.read(found[0]["sha256"])


def text_applicant(steps: Steps, case_ref: str, template: str, text: str) -> None:
    """Queue a text to the phone the case was started with; a text no step sends (a lookup code), so it is in the
    outbox for the workers but not in the case's history."""
    with steps.transaction() as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        started = session.scalar(select(Event.data).where(Event.case_id == case.id, Event.kind == "case_started"))
        phone = str((started or {}).get("data", {}).get("phone") or "")
        if not phone:
            raise InvalidState(f"案件 {case_ref} 没有登记手机号，无法发送短信")
        now = steps.clock.now()
        session.add(Notification(case_id=case.id, template=template, recipient_role="applicant", recipient_phone=phone,
                                 text=text, created_at=now, next_attempt_at=now))
        wakeup.wake_workers(session)


def record_view(steps: Steps, case_ref: str, what: str, *, actor: str) -> None:
    """Note in the case's history that ``actor`` saw full personal data (an ID number, medical files)."""
    with steps.transaction() as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        event = ("personal_data_viewed", None, None, {"what": what})
        steps.append_events(session, case, [event], actor, steps.clock.now())
