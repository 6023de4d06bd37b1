"""Task forms as HTML: the fields a JSON Schema form (and its uiSchema) shows, and posted values read back as
typed data. ``model`` builds the fields, ``data`` reads posts and shows values; the page draws them with
macros/form.html and shows and hides conditional fields with static/forms.js."""

from certflow.web.forms.data import (
    check_submission,
    edit_rows,
    errors_by_field,
    form_values,
    posted_values,
    read_submission,
)
from certflow.web.forms.model import RADIO_MAX_OPTIONS, TEXTAREA_MIN_LENGTH, Field, PageForm, fields

__all__ = [
    "RADIO_MAX_OPTIONS", "TEXTAREA_MIN_LENGTH", "Field", "PageForm", "check_submission", "edit_rows",
    "errors_by_field", "fields", "form_values", "posted_values", "read_submission",
]
