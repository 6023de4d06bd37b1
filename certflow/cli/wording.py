"""click's own words in Chinese: the help's headings and notes, the usage line, and its refusals of a mistyped
command line. click writes them in English through ``gettext``, which reads a catalogue only from the locale of the
environment, so the help goes through a formatter of ours and its errors are reworded here from what they carry
(the parameter, the option's name)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

import click

_HEADINGS = {"Options": "选项", "Commands": "命令", "Positional arguments": "参数"}
_HELP_OPTION = "显示本说明并退出。"
_NOTES = {"default": "默认", "env var": "环境变量"}
_NOTE = re.compile(r"^(?P<help>.*?)\s*\[(?P<notes>[^\[\]]*)\]$", re.DOTALL)


class Formatter(click.HelpFormatter):
    """click's help in Chinese: the usage line, the headings, the help option and the notes after an option."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _option_help(term, text)) for term, text in rows], col_max, col_spacing)


class Context(click.Context):
    formatter_class = Formatter


def _option_help(term: str, text: str) -> str:
    if term.endswith("--help"):  # the help option's text is click's own
        return _HELP_OPTION
    match = _NOTE.match(text)
    if not match:
        return text
    notes = [_note(note) for note in match["notes"].split("; ")]
    return f"{match['help']}  [{'；'.join(notes)}]".lstrip()


def _note(note: str) -> str:
    if note == "required":
        return "必填"
    name, _, value = note.partition(": ")
    if name in _NOTES:
        return f"{_NOTES[name]}：{value}"
    return note.replace("x", "取值")  # a range, as click writes it: x>=7


def in_chinese(command: click.Command) -> None:
    """Give ``command`` and every command under it the Chinese help. The kinds of value (TEXT, INTEGER) stay as
    click writes them: the option column is aligned by characters, and Chinese ones are twice as wide."""
    command.context_class = Context
    command.options_metavar = "[选项]"
    if command.help and not command.short_help:  # click cuts at a space or a full stop, which Chinese has not
        command.short_help = re.split("[。；]", command.help, maxsplit=1)[0]
    if isinstance(command, click.Group):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            in_chinese(sub)


class Refused(click.UsageError):
    """A command line click refused, shown in Chinese: the usage line, where to read the help, and why."""

    def show(self, file: IO[Any] | None = None) -> None:
        if self.ctx is not None:
            click.echo(f"{self.ctx.get_usage()}\n请用“{self.ctx.command_path} -h”查看说明。\n", file=file, err=True)
        click.echo(f"错误：{self.message}", file=file, err=True)


def refused(error: click.UsageError) -> click.UsageError:
    """``error`` in Chinese; the help click prints for a group given no command stays as it is."""
    if isinstance(error, click.exceptions.NoArgsIsHelpError | Refused):
        return error
    return Refused(reason(error), error.ctx)


def reason(error: click.UsageError) -> str:
    """Why click refused the command line, in Chinese, from what the error carries."""
    if isinstance(error, click.MissingParameter) and error.param is not None:
        what = "选项" if isinstance(error.param, click.Option) else "参数"
        return f"缺少{what} {_name(error.param)}" + _expected(error.param, "，")
    if isinstance(error, click.BadParameter):
        hint = _name(error.param) if error.param is not None else _hints(error.param_hint)
        said = (_expected(error.param, "") or "请用 -h 查看它该怎么写") if error.param is not None else error.message
        return f"{hint} 的值不对：{said}" if hint else said
    if isinstance(error, click.NoSuchOption):
        return f"没有选项 {error.option_name}" + _did_you_mean(error.possibilities)
    if isinstance(error, click.exceptions.NoSuchCommand):
        return f"没有命令 {error.command_name}" + _did_you_mean(error.possibilities)
    if isinstance(error, click.BadOptionUsage):
        return f"选项 {error.option_name} 的写法不对：要么后面少了值，要么它不带值"
    if isinstance(error, click.BadArgumentUsage):
        return "参数的个数不对"
    # The two refusals click raises as plain usage errors, carrying nothing but their English text.
    if error.message.startswith("Got unexpected extra argument"):
        return f"多了参数：{error.message.partition('(')[2].rstrip(')')}"
    if error.message == "Missing command.":
        return "缺少命令"
    return error.message  # certflow's own, already in Chinese


def _name(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    return (param.name or "").upper()


def _hints(hint: Sequence[str] | str | None) -> str:
    return hint if isinstance(hint, str) else "/".join(hint or ())


def _expected(param: click.Parameter, lead: str) -> str:
    """What a value of ``param`` must be, by its type; empty for plain text."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return f"{lead}可选：{'、'.join(str(c) for c in kind.choices)}"
    if isinstance(kind, click.DateTime):
        return f"{lead}应为日期，写成 2026-10-14 这样"
    if isinstance(kind, click.IntRange):
        return f"{lead}应为整数，不小于 {kind.min}" if kind.min is not None else f"{lead}应为整数"
    if isinstance(kind, click.types.IntParamType):
        return f"{lead}应为整数"
    if isinstance(kind, click.types.FloatParamType):
        return f"{lead}应为数字"
    if isinstance(kind, click.Path):
        return f"{lead}应为已有的文件" if kind.exists else f"{lead}应为文件，不能是文件夹"
    return ""


def _did_you_mean(possibilities: Iterable[str] | None) -> str:
    return f"，是不是 {'、'.join(possibilities)}？" if possibilities else ""
