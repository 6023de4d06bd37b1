"""``certflow backup`` and ``certflow restore``: the database and the upload folder in one encrypted file, and back
into an empty database, every case verified (docs/deploy.md, *Backups*)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from certflow import backup as backups
from certflow.bootstrap import Services
from certflow.cli.runtime import services_of
from certflow.engine.attachments import DiskStorage


def _uploads(services: Services) -> Path:
    """The upload folder; files kept in a bucket are not in a backup, which says so rather than leave them out."""
    files = services.runtime.files
    if files is None:
        return services.config.upload_dir
    if isinstance(files.storage, DiskStorage):
        return files.storage.root
    raise click.ClickException("上传文件存放在对象存储桶中，备份只能包含本机的上传文件夹；请用对象存储自己的"
                               "版本管理或复制保护这些文件，不设 CERTFLOW_S3_BUCKET 时再用本命令")


@click.command(help="把整个数据库（所有表）和上传文件夹备份成一个加密文件 OUT。用数据加密密钥"
                    "（CERTFLOW_DATA_KEY_FILE）的当前密钥加密，没有这把密钥谁也打不开，也改不了；"
                    "请把备份和密钥文件分开保管。见 docs/deploy.md。")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, out: Path) -> None:
    services = services_of(ctx)
    keys = services.runtime.settings.data_keys
    made = backups.make(services.database, _uploads(services), out, keys)
    size = out.stat().st_size / (1024 * 1024)
    click.echo(f"已备份到 {out}（{size:.1f} MB）：{len(made.rows)} 张表共 {made.total_rows} 行，"
               f"{made.files} 个上传文件；用数据加密密钥 {keys.current}（{keys.algorithm}）加密")


@click.command(help="把备份文件 BACKUP 恢复到 DATABASE_URL 指向的新建空数据库和上传文件夹"
                    "（CERTFLOW_UPLOAD_DIR），再核对每个案件的历史。备份被改动过、不完整或不是用已配置的"
                    "数据加密密钥做的，一概拒绝，什么也不写；数据库不是空的也拒绝。"
                    "有案件核对不上时退出码为 1。")
@click.argument("archive", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def restore(ctx: click.Context, archive: Path) -> None:
    services = services_of(ctx)
    runtime = services.runtime
    restored = backups.restore(archive, services.database, _uploads(services), runtime.settings.data_keys,
                               runtime.settings.history_keys)
    click.echo(f"已恢复：{len(restored.rows)} 张表共 {restored.total_rows} 行，{restored.files} 个上传文件")
    numbers = runtime.case_numbers()
    with click.progressbar(numbers, label="核对案件历史", show_pos=True, file=sys.stderr) as bar:
        failed = [result for result in (runtime.verify(number) for number in bar) if not result.ok]
    for result in failed:
        click.echo(str(result))
    click.echo(f"核对了 {len(numbers)} 个案件：{len(numbers) - len(failed)} 个未被改动，{len(failed)} 个对不上")
    if failed:
        sys.exit(1)


COMMANDS = (backup, restore)
