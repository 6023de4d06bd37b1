"""JSON on the command line: objects given inline or as @file, and results printed for programs to read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def json_arg(value: str, option: str = "--data") -> dict[str, Any]:
    """JSON given inline, or @path to read it from a file; ``option`` names it when it is refused."""
    try:
        text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
        data = json.loads(text)
    except FileNotFoundError as error:
        raise click.BadParameter(f"找不到文件 {value[1:]}", param_hint=option) from error
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"读不了文件 {value[1:]}：它应是 UTF-8 编码的文本文件，且可以读",
                                 param_hint=option) from error
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列有误",
                                 param_hint=option) from error
    if not isinstance(data, dict):
        raise click.BadParameter("应为 JSON 对象，即 {...}", param_hint=option)
    return data


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
