"""The application form as applicants (online) and the window (offline) fill it in: its fields, the
materials each case needs, and the files handed in with it.

Which materials a case needs is the deployment's rule (its registry's ``materials``); the page gets it as a
table so that its script can mark the required items while the form is filled in. The server checks
everything again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from certflow import divisions
from certflow.engine import attachments
from certflow.engine.attachments import Upload
from certflow.engine.disability import CATEGORIES
from certflow.engine.errors import FieldError, NotFound, ValidationFailed
from certflow.engine.guardians import ADULT_AGE
from certflow.engine.runtime import Runtime
from certflow.people.directory import Directory
from certflow.registry import Materials
from certflow.web import forms
from certflow.web.context import services

ACCEPT = "image/jpeg,image/png,application/pdf"  # what attachments.check accepts, for the file picker
MAX_MB = attachments.MAX_BYTES // (1024 * 1024)
# The keyboard and autofill of the text inputs people type on a phone: (inputmode, autocomplete). An ID number
# keeps the letter keyboard, since one in eleven ends in X, which a digits-only pad cannot type.
KEYBOARDS: dict[str, tuple[str, str]] = {
    "applicant_name": ("", "name"),
    "id_number": ("", "off"),
    "phone": ("tel", "tel"),
    "address": ("", "street-address"),
    "guardian_name": ("", "off"),
    "guardian_id_number": ("", "off"),
    "guardian_phone": ("tel", "off"),
}
CONSENT = "sensitive_consent"  # the separate consent to sensitive personal information (PIPL art. 29)
COUNTY, TOWNSHIP = "place_county", "place_township"  # the cascade's first two choices; the village is the form's


@dataclass(frozen=True)
class UploadInput:
    code: str  # the material code, also the file input's name
    label: str
    when: str  # when the material is needed, in words


@dataclass(frozen=True)
class Kept:
    """A file uploaded as it was picked, kept with the form until it is sent."""

    token: str  # posted back under KEPT
    material: str
    filename: str
    image: bool  # shown as a thumbnail


KEPT = "uploaded"


def kept(drafted: list[tuple[str, str, Upload]]) -> list[Kept]:
    return [Kept(token, upload.material, upload.filename, content_type.startswith("image/"))
            for token, content_type, upload in drafted]


def removed_drafts(posted: list[str], drafted: list[tuple[str, str, Upload]], hours: int) -> list[FieldError]:
    """The files this browser picked and posts back that are no longer kept (removed after ``hours``): the form is
    refused, asking for them again, rather than sent without them."""
    gone = len(set(posted) - {token for token, _c, _u in drafted})
    if not gone:
        return []
    return [FieldError("", f"您之前选择上传的 {gone} 个文件已超过 {hours} 小时未提交，为保护您的信息已被删除，"
                           "请重新选择这些文件后再提交")]


@dataclass(frozen=True)
class Township:
    code: str  # 9 digits
    name: str
    villages: tuple[tuple[str, str], ...]  # (village group id, name)


@dataclass(frozen=True)
class County:
    code: str  # 6 digits
    name: str
    townships: tuple[Township, ...]


@dataclass(frozen=True)
class ApplicationForm:
    process_key: str
    channel: str  # "online" or "offline", as the deployment's materials rule names them
    schema: dict[str, Any]
    fields: list[forms.Field]
    uploads: list[UploadInput]
    ticked: bool  # materials are ticked by the clerk (offline); online they follow from the files
    places: tuple[County, ...]  # the villages to choose from, county → township → village


def application_form(
    runtime: Runtime, directory: Directory, process_key: str, channel: str, county: str | None = None,
) -> ApplicationForm:
    """The start form of the version of ``process_key`` that ``county``'s (by default the deployment's own) new
    cases start on, ready to show; its villages are ``county``'s, or every county's for the portal's applicants."""
    schema = next((p["start_schema"] for p in runtime.processes(county) if p["key"] == process_key), None)
    if not schema:
        raise NotFound(f"没有部署带申请表的流程 {process_key}")
    ticked = channel == "offline"
    villages = tuple((group.id, group.name) for group in directory.of_role("village", county))
    shown = []
    for field in forms.fields(schema):
        if field.name == "materials" and not ticked:
            continue
        if field.name == "village":
            # A choice of the federation's villages; the schema's note on the group id is for those who type it.
            field = replace(field, widget="select", options=villages, description="")
        inputmode, autocomplete = KEYBOARDS.get(field.name, ("", ""))
        shown.append(replace(field, inputmode=inputmode, autocomplete=autocomplete))
    materials = _materials()
    uploads = [UploadInput(code, materials.names[code], when_required(channel, code))
               for code in _possible(channel)]
    return ApplicationForm(process_key, channel, schema, shown, uploads, ticked, places(villages))


def places(villages: tuple[tuple[str, str], ...]) -> tuple[County, ...]:
    """The villages (group id ``village-`` and the 12-digit code, name) by county and township, the counties' and
    townships' names from the divisions dataset; a township's name is left off its villages' names."""
    found: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for group_id, name in villages:
        code = group_id.removeprefix("village-")
        if len(code) == 12 and code.isdigit():
            found.setdefault(code[:6], {}).setdefault(code[:9], []).append((group_id, name))
    counties = []
    for county_code, by_township in sorted(found.items()):
        names = divisions.installed_names().get(county_code, {})
        townships = tuple(
            Township(code, names.get(code, code), tuple((g, n.removeprefix(names.get(code, ""))) for g, n in chosen))
            for code, chosen in sorted(by_township.items()))
        counties.append(County(county_code, names.get(county_code, county_code), townships))
    return tuple(counties)


def case_county(directory: Directory, village: object, county: str | None) -> str | None:
    """The county an application's case is of: ``county``, the staff member's, or, for the portal's applicants and
    the province's staff, who choose among every county's villages, the county of the village chosen (None: the
    deployment's own).

    A village that is no active village of that county is refused (``ValidationFailed``): the case's village tasks
    would wait in a group nobody of the case's county belongs to. The form's choices already keep to them; this
    holds programs (the REST API) to the same. An application naming no village is left to its form's schema.
    """
    if not isinstance(village, str) or not village:
        return county
    group = directory.get(village)
    if group is None or group.role != "village" or not group.active:
        raise ValidationFailed([FieldError("village", "所选村(社区)不在村(社区)名单中，请重新选择")])
    if county is not None and group.county != county:
        raise ValidationFailed([FieldError("village", "所选村(社区)不属于本县(市、区)，请选择本县(市、区)的村(社区)")])
    return county or group.county


def posted_place(form: MultiDict[str, str]) -> dict[str, str]:
    """The county and township chosen, to show again with the form."""
    return {COUNTY: form.get(COUNTY, "").strip(), TOWNSHIP: form.get(TOWNSHIP, "").strip()}


def place_errors(counties: tuple[County, ...], form: MultiDict[str, str]) -> list[FieldError]:
    """The village must be one of the chosen township, the township one of the chosen county.

    A village left empty is the schema's error (必填); here only choices that do not fit together.
    """
    chosen = posted_place(form)
    village = form.get("village", "").strip()
    county = next((c for c in counties if c.code == chosen[COUNTY]), None)
    if county is None:
        return [FieldError(COUNTY, "请选择县(市、区)")]
    township = next((t for t in county.townships if t.code == chosen[TOWNSHIP]), None)
    if township is None:
        message = "所选乡镇(街道)不在所选县(市、区)内，请重新选择" if chosen[TOWNSHIP] else "请选择乡镇(街道)"
        return [FieldError(TOWNSHIP, message)]
    if village and village not in dict(township.villages):
        return [FieldError("village", f"所选村(社区)不在{township.name}内，请重新选择")]
    return []


def consent_errors(form: MultiDict[str, str]) -> list[FieldError]:
    """Online, the applicant (or guardian) gives the separate consent before anything is stored."""
    if form.get(CONSENT) == "yes":
        return []
    return [FieldError(CONSENT, "请阅读个人信息处理说明，并勾选同意处理敏感个人信息后再提交")]


def _materials() -> Materials:
    """The materials the deployment asks for, from its registry."""
    return services().registry.materials


def _possible(channel: str) -> list[str]:
    """Every material the channel may ask for, whatever the category and age, in the list's order."""
    materials = _materials()
    needed = {code for category in CATEGORIES for minor in (False, True)
              for code in materials.required(channel, [category], minor)}
    return [code for code in materials.names if code in needed]


def rules(channel: str) -> dict[str, Any]:
    """The table the page's script marks required materials from.

    For a multiple disability the script adds up the entries of the parts chosen, which is what
    the rule does with the parts; ``base`` applies before any category is chosen.
    """
    materials = _materials()

    def by_age(parts: list[str]) -> dict[str, list[str]]:
        return {"adult": materials.required(channel, parts, False), "minor": materials.required(channel, parts, True)}

    return {
        "adult_age": ADULT_AGE,
        "names": materials.names,
        "base": by_age([]),
        "required": {category: by_age([category]) for category in CATEGORIES},
    }


def when_required(channel: str, code: str) -> str:
    """When a material is needed, in words (for a page without its script): "必须提交", or for whom."""
    required = _materials().required
    adult = [c for c in CATEGORIES if code in required(channel, [c], False)]
    if len(adult) == len(CATEGORIES):
        return "必须提交"
    who = [f"{'、'.join(adult)}残疾"] if adult else []
    if all(code in required(channel, [c], True) for c in CATEGORIES):
        who.append("未成年人")
    return "或".join(who) + "须提交" if who else "如有请提交"


def posted_uploads(inputs: list[UploadInput], files: MultiDict[str, FileStorage]) -> list[Upload]:
    """The files posted under each material's input; an input left empty posts a part without a name."""
    return [
        # One byte over the limit is enough to refuse a file; no need to hold all of it.
        Upload(upload.code, _base_name(part.filename), part.read(attachments.MAX_BYTES + 1))
        for upload in inputs for part in files.getlist(upload.code) if part.filename
    ]


def _base_name(filename: str) -> str:
    """Some browsers send the full path of the file on the applicant's computer."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def upload_errors(uploads: list[Upload]) -> list[FieldError]:
    """What is wrong with each file, beside the input of its material."""
    try:
        attachments.check(uploads)
    except ValidationFailed as failed:
        return failed.errors
    return []


def uploaded_materials(uploads: list[Upload]) -> list[str]:
    """The materials handed in online: those that got a file."""
    handed_in = {upload.material for upload in uploads}
    return [code for code in _materials().names if code in handed_in]


def unsupplied(inputs: list[UploadInput], uploads: list[Upload]) -> list[FieldError]:
    """An error beside each input that got no file, where every one is required."""
    handed_in = {upload.material for upload in uploads}
    return [FieldError(i.code, f"请上传{i.label}") for i in inputs if i.code not in handed_in]
