"""Every ``certflow`` help page reads Chinese: no English word beyond what a person types (command and option
names, their values and metavars) and a short list of names that stay as they are (JSON, BPMN, SQLite…)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from certflow.cli import main
from certflow.cli.wording import in_chinese
from certflow.engine.roles import ROLES

NAMES = {"certflow", "ID", "CSV", "JSON", "BPMN", "DMN", "XML", "SQLite", "PostgreSQL", "API", "HMAC", "SHA",
         "SIGTERM", "SIGINT", "ISO", "OK", "Authorization", "Bearer"}
# What a person types or reads as it is: variables, files, paths, example values of options.
VERBATIM = re.compile(r"DATABASE_URL|CERTFLOW_[A-Z_]+|[\w/.-]*\.(?:json|csv|xlsx|zip|db|md|bpmn)\b|docs/|/api/v\d+"
                      r"|processes/|forms/|@|[\w-]*\d[\w-]*")
# Values given as examples: groups, JSON keys, a lane as another tool names it (certflow lanes), message names.
EXAMPLES = {"window", "hospital-renmin", "county", "phone", "task", "data", "message", "payload", "tick", "Reviewer",
            "objection", "materials_supplied"}
LATIN = re.compile(r"[A-Za-z]+")


def commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from commands(sub, (*path, name))


def typed(path: tuple[str, ...], command: click.Command) -> set[str]:
    """The words of ``command``'s help that a person types: its names, options, metavars, choices, defaults."""
    ctx = click.Context(command, info_name=path[-1] if path else "certflow")
    words = set(path) | set(ROLES) | EXAMPLES | NAMES | {"-h", "--help"}
    if isinstance(command, click.Group):  # its page lists its commands with their short help
        for name, sub in command.commands.items():
            words |= typed((*path, name), sub)
    for param in command.params:  # not get_params: click keeps the help option it makes for the first context
        words |= {*param.opts, *param.secondary_opts, param.make_metavar(ctx), str(param.default)}
        if isinstance(param, click.Argument):
            words.add(param.human_readable_name)
        if isinstance(param.type, click.Choice):
            words |= {str(choice) for choice in param.type.choices}
    return words


def english(help_text: str, allowed: set[str]) -> list[str]:
    """The Latin words of ``help_text`` that are not allowed."""
    text = VERBATIM.sub(" ", help_text)
    for word in sorted(allowed, key=len, reverse=True):  # "--county" before "county"
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", " ", text)
    return LATIN.findall(text)


WALKED = list(commands(main))


@pytest.mark.parametrize(("path", "command"), WALKED, ids=[" ".join(path) or "certflow" for path, _ in WALKED])
def test_every_help_page_is_chinese(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="certflow")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"用法：certflow {' '.join(path)}".rstrip())
    assert "选项：" in result.output and "显示本说明并退出。" in result.output
    assert english(result.output, typed(path, command)) == []


def test_h_is_help() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["campaign", "import", "-h"]).output == \
        runner.invoke(main, ["campaign", "import", "--help"]).output
    assert "命令：" in runner.invoke(main, ["-h"]).output


def test_an_english_help_text_is_caught() -> None:
    @click.group(help="导入名册。")
    def group() -> None:
        pass

    @group.command("import", help="导入 PATH。")
    @click.argument("path")
    @click.option("--county", help="Import the roster for this county")
    def imported(path: str, county: str) -> None:
        pass

    in_chinese(group)
    result = CliRunner().invoke(group, ["import", "--help"], prog_name="certflow")
    assert english(result.output, typed(("import",), imported)) == ["Import", "the", "roster", "for", "this"]


@pytest.mark.parametrize(("args", "says"), [
    (["start"], "错误：缺少参数 KEY"),
    (["start", "smoke"], "错误：缺少选项 --data"),
    (["startx"], "错误：没有命令 startx，是不是 start？"),
    (["tasks", "--bogus"], "错误：没有选项 --bogus"),
    (["tasks", "--status", "done"], "错误：--status 的值不对：可选：open、completed、cancelled"),
    (["tasks", "extra"], "错误：多了参数：extra"),
    (["campaign", "roster", "out.csv", "--holders", "3"], "错误：--holders 的值不对：应为整数，不小于 7"),
    (["campaign", "schedule", "--start", "2022-13-01"], "错误：--start 的值不对：应为日期，写成 2026-10-14 这样"),
    (["compare", "smoke", "one", "2"], "错误：OLD 的值不对：应为整数"),
    (["tasks", "--role"], "错误：选项 --role 的写法不对：要么后面少了值，要么它不带值"),
    (["migrate", "--to", "2"], "错误：请给出案件编号 CASE，或者 --process 流程代号加 --from 版本号，二者选一"),
    (["campaign", "roster", "out.txt", "--holders", "7"],
     "错误：OUT 的值不对：out.txt：名册只能写成 .csv 或 .xlsx 文件"),
], ids=["argument", "option", "command", "no such option", "choice", "extra", "range", "date", "integer",
        "no value", "certflow's own", "roster file"])
def test_a_mistyped_command_line_is_refused_in_chinese(args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, args, obj=object(), prog_name="certflow")  # refused before any runtime is used
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == says
    assert not re.search(r"Usage|Error|Try|Missing|Invalid|No such", result.stderr)
    if len(result.stderr.splitlines()) > 1:  # the usage line and where to read more, as click gives them
        assert result.stderr.startswith("用法：certflow ") and "请用“certflow " in result.stderr
