"""What a user or manual task tells the person doing it: SpiffArena's ``instructionsForEndUser``, a Jinja2
template over the task's data (e.g. "请核对{{ applicant_name }}的材料").

The template is run in Jinja2's immutable sandbox (it can read the data, never change it or reach Python), and
everything it shows is escaped, the template's own text as much as the data: the result is HTML with paragraphs
and line breaks only. A template that fails shows what it could not do in words, and its text unfilled.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

_ENVIRONMENT = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
# The template's own text, between its tags: escaped before rendering, so it shows as written.
_TAGS = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.DOTALL)
_MAX_OUTPUT = 20_000  # characters: a loop in a template cannot fill the page


class Instructions(TypedDict):
    html: str  # escaped text in <p> paragraphs with <br> line breaks; "" when there are none
    problem: str  # why the template could not be filled in, in words; "" when it was


def render(source: str | None, data: dict[str, Any]) -> Instructions:
    """The instructions filled in with the task's data."""
    if not source or not source.strip():
        return {"html": "", "problem": ""}
    try:
        text = str(_ENVIRONMENT.from_string(_escaped_text(source)).render(data))
        problem = ""
    except UndefinedError:
        text, problem = str(escape(source)), "说明中引用的数据在本案件中还没有，以下为未填入数据的原文"
    except SecurityError:
        text, problem = str(escape(source)), "说明中有不允许的写法，以下为原文"
    except TemplateError:
        text, problem = str(escape(source)), "说明的模板写法有误，以下为原文"
    if len(text) > _MAX_OUTPUT:
        text, problem = text[:_MAX_OUTPUT], "说明过长，只显示开头部分"
    return {"html": _paragraphs(text.strip()), "problem": problem}


def _escaped_text(source: str) -> str:
    return "".join(part if index % 2 else str(escape(part)) for index, part in enumerate(_TAGS.split(source)))


def _paragraphs(html: str) -> str:
    """Blank lines part paragraphs; a single newline is a line break."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", html.replace("\r\n", "\n")) if block.strip()]
    return "".join(str(Markup("<p>{}</p>").format(Markup(block.replace("\n", "<br>")))) for block in blocks)
