"""Commands on cases' histories: print one, check that none was altered, and make the keys that sign them."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from certflow.cli.jsonio import print_json
from certflow.cli.runtime import runtime_of, services_of
from certflow.engine.replay import EVENT_LABELS


@click.command(help="打印案件 CASE 的历史：每一件事及其哈希链。")
@click.argument("case")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.option("--export", "export", is_flag=True,
              help="以 JSON 输出每个哈希所覆盖的内容，不用 certflow 也能核对哈希链（见 docs/audit.md）")
@click.pass_context
def history(ctx: click.Context, case: str, as_json: bool, export: bool) -> None:
    if export:
        print_json(runtime_of(ctx).history_export(case))
        return
    events = runtime_of(ctx).history(case)
    if as_json:
        print_json(events)
        return
    for event in events:
        data = event["data"]  # a task by its title as people see it; its BPMN id only where an old event has none
        what = data.get("title") or event["task_name"] or data.get("operator") or data.get("name") or ""
        click.echo(f"{event['seq']:>3}  {event['at'][:19]}  {event['actor']:<12} "
                   f"{EVENT_LABELS.get(event['kind'], event['kind'])}  {what}  {event['hash'][:12]}")


@click.command(help="核对案件 CASE 的历史没有被改动：哈希链及其签名、案件记录的封签、在其流程版本上重放的每一步、"
                    "保存的状态、结果和待办任务。打印 OK，或第一件对不上的事及怎样对不上；"
                    "有对不上的时退出码为 1。")
@click.argument("case", required=False)
@click.option("--all", "all_cases", is_flag=True, help="核对所有案件，显示进度条")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def verify(ctx: click.Context, case: str | None, all_cases: bool, as_json: bool) -> None:
    if bool(case) == all_cases:
        raise click.UsageError("请给出案件编号 CASE，或者 --all，二者选一")
    runtime = runtime_of(ctx)
    if case:
        results = [runtime.verify(case)]
    else:
        numbers = runtime.case_numbers()
        with click.progressbar(numbers, label="核对中", show_pos=True, file=sys.stderr) as bar:
            results = [runtime.verify(number) for number in bar]
    failed = [r for r in results if not r.ok]
    if as_json:
        print_json([r.as_dict() for r in results])
    else:
        for result in results if case else failed:
            click.echo(str(result))
        if all_cases:
            click.echo(f"核对了 {len(results)} 个案件：{len(results) - len(failed)} 个未被改动，{len(failed)} 个被改动")
    if failed:
        sys.exit(1)


@click.command("history-key",
               help="生成新的历史签名密钥（HMAC-SM3，32 字节）。不带 --file：打印一行"
                    "“编号:密钥”；带 --file：把新密钥写到该文件最前面（成为当前密钥），原有密钥留在后面，"
                    "用来核对它们签过的历史（轮换）。见 docs/deploy.md。")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="密钥文件（CERTFLOW_HISTORY_KEY_FILE），没有则新建，只有属主可读写")
def history_key(path: Path | None) -> None:
    _new_key(path, "历史签名密钥")


@click.command("data-key",
               help="生成新的数据加密密钥（32 字节，由它派生 SM4-GCM 或 AES-256-GCM 的密钥和查找用的 HMAC 密钥）。"
                    "不带 --file：打印一行“编号:密钥”；带 --file：把新密钥写到该文件最前面（成为当前密钥，"
                    "新写入的个人信息用它加密），原有密钥留在后面，用来解密它们加密过的信息（轮换）。"
                    "见 docs/deploy.md。")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="密钥文件（CERTFLOW_DATA_KEY_FILE），没有则新建，只有属主可读写")
def data_key(path: Path | None) -> None:
    _new_key(path, "数据加密密钥")


@click.command("rotate-data-key",
               help="把仍用旧数据加密密钥（或旧算法）加密的个人信息和上传文件，逐批改用当前密钥重新加密，"
                    "可以在系统照常办理案件时运行：每行单独提交，正被办理的案件稍后再试。完成后旧密钥不再被"
                    "数据库和上传文件需要（备份另计）。先把新的当前密钥加到数据密钥文件最前面并重启。"
                    "见 docs/deploy.md。")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 10000), help="每批读取的行数")
@click.option("--pause", default=0.0, show_default=True, type=click.FloatRange(0),
              help="每批之间停顿的秒数，给正在办理的业务让出数据库")
@click.pass_context
def rotate_data_key(ctx: click.Context, batch: int, pause: float) -> None:
    from certflow.engine import rotation
    from certflow.engine.sealing import SealError

    services = services_of(ctx)
    keys = services.runtime.settings.data_keys
    try:
        done = rotation.reseal(services.sessions, keys, services.runtime.files, batch=batch, pause=pause,
                               progress=click.echo)
    except SealError as error:  # an old key left out of the key file: say which, change nothing more
        raise click.ClickException(f"{error}；已重新加密的部分保持不变，可以再次运行") from error
    values = sum(done.values.values())
    click.echo(f"已用当前数据加密密钥 {keys.current}（{keys.algorithm}）重新加密 {values} 个值、"
               f"{done.files} 个上传文件")
    if done.left:
        click.echo(f"还有 {done.left} 个值仍用旧密钥加密（案件一直在被办理），请稍后再运行一次")
        sys.exit(1)


def _new_key(path: Path | None, what: str) -> None:
    """A new key, printed or put first in the key file ``path`` (the others kept after it)."""
    import os
    import secrets

    from certflow.engine import history as chain

    kept = path.read_text(encoding="utf-8") if path and path.exists() else ""
    try:
        ring = chain.parse_keys(kept, what) if kept.strip() else None
    except chain.KeyListError as error:
        raise click.ClickException(f"{path} 中的密钥有误，未作改动：{error}") from error
    key_id = datetime.now().strftime("k%Y%m%d%H%M%S")
    if ring and key_id in ring.keys:
        raise click.ClickException(f"密钥编号 {key_id} 已经存在，请稍后再试")
    line = f"{key_id}:{secrets.token_hex(chain.MIN_KEY_BYTES)}"
    if path is None:
        click.echo(line)
        return
    # A new file beside it, readable by the owner only, then renamed over it: the old keys are never half-written.
    fresh = path.with_name(f".{path.name}.new")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(f"{line}\n{kept}")
    os.replace(fresh, path)
    count = len(ring.keys) + 1 if ring else 1
    click.echo(f"新的当前密钥 {key_id} 已写入 {path}（共 {count} 个）；重启 certflow 后生效")


COMMANDS = (history, verify, history_key, data_key, rotate_data_key)
