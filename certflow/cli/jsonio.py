"""JSON on the command line: objects given inline or as @file, and results printed for programs to read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def json_arg(value: str) -> dict[str, Any]:
    """JSON given inline, or @path to read it from a file."""
    try:
        text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object")
    return data


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
