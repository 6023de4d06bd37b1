"""What any request may carry, checked once before a route sees it, so that odd input is a 400 with a reason
rather than a failure deep inside: no NUL character (PostgreSQL's text cannot hold one) and no lone surrogate
(no database can store one) in the path, the query, the form, the names of uploaded files or JSON; and JSON no
deeper than ``MAX_DEPTH`` (deeper documents exhaust Python's recursion while they are read or stored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 32  # an application's data is four levels deep; a deployment's, three
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
BAD_TEXT = "请求中含有无法保存的字符（空字符或残缺的文字编码），请删除后重试"
TOO_DEEP = f"提交的 JSON 嵌套超过 {MAX_DEPTH} 层"
NOT_JSON = "提交的内容不是有效的 JSON"


class UnsafeInput(ValueError):
    """Input the app refuses whatever the route: the message says why, in the words of the person who sent it."""


def storable(texts: Iterable[str]) -> bool:
    return not any(UNSTORABLE.search(text) for text in texts)


def load_json(text: str | bytes) -> Any:
    """JSON as ``json.loads`` reads it, refusing what could not be kept: ``UnsafeInput`` with the reason."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise UnsafeInput(TOO_DEEP) from None
    except ValueError:
        raise UnsafeInput(NOT_JSON) from None
    # Level by level rather than recursively: the check itself must not be the thing that runs out of stack.
    level, depth = [value], 0
    while level:
        texts = [v for v in level if isinstance(v, str)] + [k for v in level if isinstance(v, dict) for k in v]
        if not storable(texts):
            raise UnsafeInput(BAD_TEXT)
        containers = [v for v in level if isinstance(v, (dict, list))]
        depth += bool(containers)
        if depth > MAX_DEPTH:
            raise UnsafeInput(TOO_DEEP)
        level = [c for v in containers for c in (v.values() if isinstance(v, dict) else v)]
    return value


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


class CheckedRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, UnsafeInput):
            raise BadRequest(str(e))
        return super().on_json_loading_failed(e)


def _check() -> None:
    texts = [*(request.view_args or {}).values(), *_texts(request.args.lists())]
    if request.method in ("POST", "PUT", "PATCH"):
        texts += _texts(request.form.lists())
        texts += [name for name, files in request.files.lists() for f in files for name in (name, f.filename or "")]
    if not storable(t for t in texts if isinstance(t, str)):
        abort(400, BAD_TEXT)


def _texts(lists: Iterable[tuple[str, list[str]]]) -> list[str]:
    return [text for key, values in lists for text in (key, *values)]


def install(app: Flask) -> None:
    """Check every request of ``app`` before its route."""
    app.request_class = CheckedRequest
    app.json = JSONProvider(app)
    app.before_request(_check)
