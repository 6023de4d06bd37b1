"""The applicants' portal: apply online, the receipt, the status lookup and missing materials handed in online;
and the window applying for someone."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required

from certflow.engine import residentid
from certflow.engine.errors import FieldError, InvalidState, NotFound, ValidationFailed
from certflow.engine.views import CaseView
from certflow.people import lookupcodes
from certflow.people.access import can_start_case
from certflow.people.lookupcodes import Checked
from certflow.people.throttle import CODE_REQUESTS, STATUS_LOOKUPS, UPLOAD_DRAFTS, Throttle
from certflow.web import applying, forms
from certflow.web.applying import ApplicationForm
from certflow.web.context import deny, services, signed_in
from certflow.web.progress import progress, review_until, supplement

bp = Blueprint("portal", __name__)

RECEIPT = "receipt"  # session key: the number of the case this browser just applied for
VERIFIED = "verified"  # session key: numbers of the cases this browser looked up with the right ID number
VERIFIED_KEPT = 5  # enough for a family's cases, and the cookie stays small
WRONG_PAIR = "案件编号或身份证号码不正确"
DRAFTS = "drafts"  # session key: tokens of the files this browser uploaded as they were picked
DRAFTS_KEPT = 20


def _case(number: str) -> CaseView:
    return services().runtime.case(number)


def _form(process_key: str, channel: str, county: str | None = None) -> ApplicationForm:
    try:
        return applying.application_form(services().runtime, services().directory, process_key, channel, county)
    except NotFound:
        abort(404)


def _page(form: ApplicationForm, values: dict[str, Any], errors: list[FieldError], status: int = 200,
          kept: list[applying.Kept] | None = None) -> Response:
    return make_response(render_template(
        "portal/apply.html", form=form, values=values, errors=forms.errors_by_field(errors), kept=kept or [],
        rules=applying.rules(form.channel), accept=applying.ACCEPT, max_mb=applying.MAX_MB,
        county_field=applying.COUNTY, township_field=applying.TOWNSHIP, consent_field=applying.CONSENT,
    ), status)


def _start(form: ApplicationForm, actor: str, limit: Throttle | None = None, county: str | None = None) -> str:
    """Start a case (of ``county``, by default the deployment's own) from the posted form and store its files;
    returns the case number.

    The files are checked with the fields and before anything is stored, so a bad file starts no case.
    On any error the page comes back (422) with the messages beside the fields and the values kept.
    A valid application then counts against ``limit`` (applications and bytes per address, bytes for everyone):
    over it, the page comes back (429) with the values kept, and no case is started and nobody is texted.
    """
    runtime = services().runtime
    # Files uploaded as they were picked count only for the browser that uploaded them.
    mine = set(session.get(DRAFTS, []))
    posted = [t for t in request.form.getlist(applying.KEPT) if t in mine]
    drafted = runtime.drafted(posted)
    kept = applying.kept(drafted)
    uploads = applying.posted_uploads(form.uploads, request.files) + [upload for _t, _c, upload in drafted]
    decided = {} if form.ticked else {"materials": applying.uploaded_materials(uploads)}
    data, errors = forms.check_submission(form.schema, request.form, decided)
    errors += applying.place_errors(form.places, request.form) + applying.upload_errors(uploads)
    errors += applying.removed_drafts(posted, drafted, runtime.settings.upload_draft_hours)
    if not form.ticked:  # at the window the applicant consents on the paper form
        errors += applying.consent_errors(request.form)
    values = {**forms.posted_values(form.schema, request.form), **applying.posted_place(request.form),
              applying.CONSENT: request.form.get(applying.CONSENT, "")}
    attempt = None
    try:
        if errors:
            raise ValidationFailed(errors)
        if limit is not None:
            attempt = limit.reserve(services().sessions, request.remote_addr, runtime.clock.now(),
                                    remote_addr=request.remote_addr, size=sum(len(u.content) for u in uploads))
            if attempt is None:
                busy = f"在线申请提交过多，请{limit.minutes}分钟后再试，或到残联窗口申请"
                abort(_page(form, values, [FieldError("", busy)], 429, kept))
        county = applying.case_county(services().directory, data.get("village"), county)
        number = runtime.start_case(form.process_key, data, actor=actor, county=county)
    except ValidationFailed as failed:  # abort() with the page: callers only ever get a started case
        if attempt is not None:
            Throttle.withdrawn(services().sessions, attempt)
        abort(_page(form, values, failed.errors, 422, kept))
    if uploads:
        runtime.attach(number, uploads, actor=actor)
    return number


@bp.route("/apply", methods=["GET", "POST"])
def apply() -> ResponseReturnValue:
    form = _form("application_online", "online")
    if request.method == "GET":
        return _page(form, forms.form_values(form.schema, {}), [])
    number = _start(form, actor="applicant", limit=services().applications)
    session[RECEIPT] = number
    return redirect(url_for("portal.receipt", number=number))


@bp.post("/apply/files")
def upload_draft() -> ResponseReturnValue:
    """One file of the online form, stored as it is picked (apply.js): its token and thumbnail, or the reason it was
    refused, in JSON. It becomes the case's when the form is sent with the token."""
    form = _form("application_online", "online")
    inputs = [u for u in form.uploads if u.code == request.form.get("material")]
    uploads = applying.posted_uploads(inputs, request.files)
    if len(uploads) != 1:
        return jsonify(error="请选择一个要上传的文件"), 422
    if errors := applying.upload_errors(uploads):
        return jsonify(error="；".join(e.message for e in errors)), 422
    runtime, address = services().runtime, request.remote_addr
    if UPLOAD_DRAFTS.reserve(services().sessions, address, runtime.clock.now(), remote_addr=address,
                             size=len(uploads[0].content)) is None:
        return jsonify(error=f"上传的文件过多，请{UPLOAD_DRAFTS.minutes}分钟后再试"), 429
    token, content_type = runtime.store_draft(uploads[0])
    session[DRAFTS] = [*session.get(DRAFTS, []), token][-DRAFTS_KEPT:]
    thumbnail = url_for("portal.draft_file", token=token) if content_type.startswith("image/") else None
    return jsonify(id=token, filename=uploads[0].filename, thumbnail=thumbnail)


@bp.get("/apply/files/<token>")
def draft_file(token: str) -> ResponseReturnValue:
    """A picked photo, for its thumbnail: only to the browser that uploaded it."""
    found = services().runtime.drafted([token]) if token in session.get(DRAFTS, []) else []
    if not found or not found[0][1].startswith("image/"):
        abort(404)
    _token, content_type, upload = found[0]
    response = make_response(upload.content)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/apply/receipt/<number>")
def receipt(number: str) -> ResponseReturnValue:
    if session.get(RECEIPT) != number:
        # Not the application this browser just sent: the lookup asks for the ID number as well.
        flash("请填写案件编号和身份证号码查询办理进度")
        return redirect(url_for("portal.status", number=number))
    case = _case(number)
    return render_template("portal/receipt.html", number=number, applicant_name=case["applicant_name"])


@bp.route("/status", methods=["GET", "POST"])
def status() -> ResponseReturnValue:
    number = request.values.get("number", "").strip()
    id_number = request.form.get("id_number", "").strip()
    if request.method == "GET":
        return render_template("portal/status.html", number=number)
    if not number or not id_number:
        return render_template("portal/status.html", number=number, error="请填写案件编号和身份证号码"), 422
    runtime = services().runtime
    attempt = STATUS_LOOKUPS.reserve(services().sessions, request.remote_addr, runtime.clock.now(),
                                     remote_addr=request.remote_addr, target=f"查询进度 {number}")
    if attempt is None:
        error = f"查询次数过多，请{STATUS_LOOKUPS.minutes}分钟后再试"
        return render_template("portal/status.html", number=number, error=error), 429
    try:
        case = runtime.case_for_applicant(number, id_number)
    except NotFound:  # the attempt stays recorded as a failure
        return render_template("portal/status.html", number=number, error=WRONG_PAIR), 404
    STATUS_LOOKUPS.withdrawn(services().sessions, attempt)
    _verified([case["number"]])
    return _status_page(case)


def _verified(numbers: list[str]) -> None:
    """Handing in materials later needs the ID number to have been given, not just the case number."""
    kept = [n for n in session.get(VERIFIED, []) if n not in numbers]
    session[VERIFIED] = [*kept, *reversed(numbers)][-VERIFIED_KEPT:]


CODE_SENT = "如该身份证号码办理过残疾人证申请，验证码已发送到申请时填写的手机号码，10分钟内有效"
CODE_ANSWERS = {
    Checked.WRONG: (422, "验证码不正确，请核对短信中的验证码"),
    Checked.EXPIRED: (422, "验证码已过期，请重新获取"),
    Checked.TOO_MANY: (429, "验证码输错次数过多，请重新获取验证码"),
}


def _lookup_page(id_number: str, status: int = 200, errors: list[FieldError] | None = None,
                 sent: bool = False) -> Response:
    return make_response(render_template("portal/lookup.html", id_number=id_number, sent=sent,
                                         errors=forms.errors_by_field(errors or [])), status)


@bp.route("/status/code", methods=["GET", "POST"])
def lookup() -> ResponseReturnValue:
    """Finding one's cases without the case number: the ID number, then a code texted to the phone on file."""
    if request.method == "GET":
        return _lookup_page("")
    runtime, sessions = services().runtime, services().sessions
    try:
        id_number = residentid.validated(request.form.get("id_number", ""))
    except residentid.InvalidNumber as invalid:
        return _lookup_page(request.form.get("id_number", "").strip(), 422, [FieldError("id_number", str(invalid))])
    now, address = runtime.clock.now(), request.remote_addr
    if request.form.get("action") == "send":
        if CODE_REQUESTS.reserve(sessions, address, now, remote_addr=address, target="发送查询验证码") is None:
            busy = f"获取验证码次数过多，请{CODE_REQUESTS.minutes}分钟后再试"
            return _lookup_page(id_number, 429, [FieldError("id_number", busy)])
        code = lookupcodes.issue(sessions, id_number, now)
        if code is None:
            busy = f"该身份证号码获取验证码过于频繁，请{lookupcodes.PER_ID_WINDOW.seconds // 60}分钟后再试"
            return _lookup_page(id_number, 429, [FieldError("id_number", busy)])
        numbers = runtime.case_numbers_for_applicant(id_number)
        if numbers:  # the page says the same either way: it does not tell whose ID number has cases
            runtime.text_applicant(numbers[0], lookupcodes.TEMPLATE,
                                   f"您查询残疾人证办理进度的验证码为{code}，10分钟内有效。如非本人操作，请忽略本短信。")
        flash(CODE_SENT)
        return _lookup_page(id_number, sent=True)
    attempt = STATUS_LOOKUPS.reserve(sessions, address, now, remote_addr=address, target="凭验证码查询进度")
    if attempt is None:
        busy = f"查询次数过多，请{STATUS_LOOKUPS.minutes}分钟后再试"
        return _lookup_page(id_number, 429, [FieldError("code", busy)], sent=True)
    checked = lookupcodes.check(sessions, id_number, request.form.get("code", ""), now)
    numbers = runtime.case_numbers_for_applicant(id_number) if checked is Checked.OK else []
    if not numbers:  # the attempt stays recorded as a failure
        status, message = CODE_ANSWERS.get(checked, (422, CODE_ANSWERS[Checked.WRONG][1]))
        return _lookup_page(id_number, status, [FieldError("code", message)], sent=True)
    STATUS_LOOKUPS.withdrawn(sessions, attempt)
    _verified(numbers)
    return _status_page(_case(numbers[0]), others=numbers[1:])


def _status_page(
    case: CaseView, errors: list[FieldError] | None = None, status: int = 200, reason: str = "",
    others: list[str] | None = None,
) -> Response:
    """The case's progress below the lookup form, with the errors of a materials upload or a review request if any,
    and the applicant's other cases when they were found by ID number."""
    number = case["number"]
    outbox = services().runtime.outbox(number)
    return make_response(render_template(
        "portal/status.html", number=number, progress=progress(case, outbox), others=others or [],
        errors=forms.errors_by_field(errors or []), accept=applying.ACCEPT, max_mb=applying.MAX_MB, reason=reason,
    ), status)


def _not_looked_up(number: str, action: str) -> ResponseReturnValue | None:
    """Acting on a case needs the ID number first: this browser must have looked the case up on the status page."""
    if number in session.get(VERIFIED, []):
        return None
    flash(f"请先填写案件编号和身份证号码查询办理进度，再{action}")
    return redirect(url_for("portal.status", number=number))


def _not_waiting(number: str) -> Response:
    return make_response(render_template(
        "portal/status.html", number=number, error=f"案件 {number} 当前不需要补交材料，请查询办理进度"), 409)


@bp.post("/status/<number>/materials")
def supply(number: str) -> ResponseReturnValue:
    """The applicant hands in the materials the window found missing; the case then goes back to pre-review."""
    if (unverified := _not_looked_up(number, "补交材料")) is not None:
        return unverified
    runtime, case = services().runtime, _case(number)
    asked = supplement(case)
    if asked is None:
        return _not_waiting(number)
    uploads = applying.posted_uploads(asked.inputs, request.files)
    errors = applying.upload_errors(uploads) + applying.unsupplied(asked.inputs, uploads)
    if errors:
        return _status_page(case, errors, 422)
    runtime.attach(number, uploads, actor="applicant")
    try:
        # The process adds these to the materials already handed in (merge_supplement) and checks them again.
        runtime.send_message(number, "materials_supplied", {"materials": applying.uploaded_materials(uploads)},
                             actor="applicant")
    except InvalidState:  # the case moved on between the page and the post
        return _not_waiting(number)
    return render_template("portal/supplied.html", number=number, uploads=uploads, inputs=asked.inputs)


REVIEW_REASON_MAX = 500


@bp.post("/status/<number>/review")
def review(number: str) -> ResponseReturnValue:
    """The applicant asks the expert committee to re-examine a 不符合标准 conclusion (复核), within the period."""
    if (unverified := _not_looked_up(number, "申请复核")) is not None:
        return unverified
    runtime, case = services().runtime, _case(number)
    if not review_until(case):
        return make_response(render_template(
            "portal/status.html", number=number, error=f"案件 {number} 当前不能申请复核，请查询办理进度"), 409)
    reason = request.form.get("reason", "").strip()
    if not 2 <= len(reason) <= REVIEW_REASON_MAX:
        return _status_page(case, [FieldError("reason", f"请写明异议的理由（2至{REVIEW_REASON_MAX}字）")], 422, reason)
    try:
        # Received the day it is sent: the process refuses it after the period's last day.
        runtime.send_message(number, "review_request", {"reason": reason}, actor="applicant")
    except ValidationFailed as failed:  # asked after the period: the reason names its last day
        return _status_page(case, [FieldError("", error.message) for error in failed.errors], 422, reason)
    flash("复核申请已提交，评残专家委员会复核后会短信告知结果")
    return _status_page(_case(number))


@bp.route("/window/apply", methods=["GET", "POST"])
@login_required
def window_apply() -> ResponseReturnValue:
    me = signed_in()
    if not can_start_case(me):
        deny(403, "窗口代办申请")
    form = _form("application_offline", "offline", me.county)  # the form of the version its cases start on
    if request.method == "GET":
        return _page(form, forms.form_values(form.schema, {}), [])
    number = _start(form, actor=me.username, county=me.county)
    flash(f"已受理：{number}")
    return redirect(url_for("tasks.case", number=number))
