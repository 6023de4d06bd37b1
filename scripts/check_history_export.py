#!/usr/bin/env python3
"""Check a case history exported from certflow (the JSON of 导出 JSON, or GET /api/v1/cases/<number>/history/export)
without certflow: only the Python standard library.

    python3 check_history_export.py LS-2026-000001-history.json
    python3 check_history_export.py --key-file /etc/certflow/history-keys LS-2026-000001-history.json

Each event's hash must be SHA-256 of the previous event's hash followed by the event's body as JSON with sorted
keys, no spaces and UTF-8 characters as they are; the first previous hash is 64 zeros; seq counts 1, 2, 3, …
without gaps; the count and the last hash must be those the case recorded. That much anyone holding the export
can check. With the history keys (the file certflow reads, CERTFLOW_HISTORY_KEY_FILE) it also checks each event's
signature and the case's seal: that certflow wrote this history, not someone who recomputed the hashes.
Prints OK, or the first event that does not check out. Exit status: 0 intact, 1 broken, 2 the file cannot be read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
from typing import Any

GENESIS = "0" * 64


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def read_keys(text: str) -> dict[str, bytes]:
    """``ID:HEX`` entries separated by spaces, commas or lines, ``#`` starting a comment (as certflow reads them)."""
    entries = [e for line in text.splitlines() for e in re.split(r"[\s,]+", line.split("#", 1)[0]) if e]
    return {key_id: bytes.fromhex(key) for key_id, key in (entry.split(":", 1) for entry in entries)}


def signature_holds(keys: dict[str, bytes], key_id: str, message: str, signature: str | None) -> bool | None:
    """Whether ``signature`` is HMAC-SM3 (as certflow signs) or HMAC-SHA-256 (as it signed before) of ``message``
    under the key ``key_id``; None when the key file lacks that key. SM3 comes from OpenSSL through hashlib."""
    key = keys.get(key_id)
    if key is None:
        return None
    return any(hmac.compare_digest(hmac.new(key, message.encode("utf-8"), digest).hexdigest(), signature or "")
               for digest in ("sm3", "sha256"))


def erased_events(export: dict[str, Any], keys: dict[str, bytes] | None) -> dict[int, tuple[str, str]]:
    """Events whose personal data certflow erased after the retention period: seq -> (the hash the erasure recorded,
    the hash of the erased content), from each ``data_erased`` event whose content matches its hash and, with the
    keys, whose signature checks. Without the keys anyone could have written such an event: the output says so."""
    erased: dict[int, tuple[str, str]] = {}
    for event in export["events"]:
        body = event["body"]
        if body.get("kind") != "data_erased" or event.get("key_id") is None:
            continue
        if hashlib.sha256((event["prev_hash"] + canonical(body)).encode("utf-8")).hexdigest() != event["hash"]:
            continue
        message = "certflow-event:" + event["hash"]
        if keys is not None and not signature_holds(keys, event["key_id"], message, event.get("mac")):
            continue
        erased.update({e["seq"]: (e["hash"], e["erased"]) for e in body["data"]["events"] if e["seq"] < body["seq"]})
    return erased


def first_break(export: dict[str, Any], keys: dict[str, bytes] | None = None) -> tuple[int, str] | None:
    """(seq, reason) of the first event that does not check out, or None when the whole history is intact."""
    previous, seq, signed = GENESIS, 0, False
    erased = erased_events(export, keys)
    for seq, event in enumerate(export["events"], start=1):
        body = event["body"]
        if body.get("seq") != seq:
            return seq, f"应为第 {seq} 条事件，却是第 {body.get('seq')} 条：有事件被删除或挪动"
        if body.get("case") != export["case"]:
            return seq, f"属于案件 {body.get('case')}，不是 {export['case']}"
        if event["prev_hash"] != previous:
            return seq, "前一哈希不是上一条事件的哈希：有事件被删除、插入或挪动"
        content = hashlib.sha256((previous + canonical(body)).encode("utf-8")).hexdigest()
        if seq in erased and erased[seq] != (event["hash"], content):
            return seq, "事件内容与删除个人信息时记录的不符：此事件被改动过"
        if seq not in erased and content != event["hash"]:
            return seq, "事件内容与其哈希不符：此事件被改动过"
        if keys is not None and (found := signature_break(keys, event, signed)):
            return seq, found
        signed = signed or event.get("key_id") is not None
        previous = event["hash"]
    if export["event_count"] != seq:
        return seq + 1, f"案件记录共有 {export['event_count']} 条事件，导出的只有 {seq} 条"
    if export["last_hash"] != previous:
        return seq, "案件记录的最后哈希不是最后一条事件的哈希"
    if keys is not None:
        if export.get("seal_key") is None:
            return seq, "案件记录没有密钥封印"
        message = "certflow-case:" + json.dumps([export["case"], export["event_count"], export["last_hash"]],
                                                separators=(",", ":"), ensure_ascii=False)
        sealed = signature_holds(keys, export["seal_key"], message, export.get("seal"))
        if sealed is None:
            return seq, f"封印所用的密钥 {export['seal_key']} 不在密钥文件中"
        if not sealed:
            return seq, "案件记录的密钥封印不符：历史的结尾被删去或改写"
    return None


def signature_break(keys: dict[str, bytes], event: dict[str, Any], signed_before: bool) -> str | None:
    key_id = event.get("key_id")
    if key_id is None:  # history version 1: allowed only before the first signed event
        return "此事件没有密钥签名，而它之前的事件有" if signed_before else None
    verdict = signature_holds(keys, key_id, "certflow-event:" + event["hash"], event.get("mac"))
    if verdict is None:
        return f"签名所用的密钥 {key_id} 不在密钥文件中"
    if not verdict:
        return "密钥签名与此事件不符：此事件或它之前的事件被改动后重算了哈希"
    return None


def main(argv: list[str]) -> int:
    args = argv[1:]
    key_file = None
    if len(args) == 3 and args[0] == "--key-file":
        key_file, args = args[1], args[2:]
    if len(args) != 1:
        print(f"用法：{argv[0]} [--key-file 密钥文件] 导出的JSON文件", file=sys.stderr)
        return 2
    try:
        keys = None
        if key_file:
            with open(key_file, encoding="utf-8") as file:
                keys = read_keys(file.read())
        with open(args[0], encoding="utf-8") as file:
            export = json.load(file)
        found = first_break(export, keys)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"无法读取 {key_file if keys is None and key_file else args[0]}：{error}", file=sys.stderr)
        return 2
    if found is None:
        checked = "哈希链与密钥签名" if keys is not None else "哈希链（未核对密钥签名）"
        erased = sorted(erased_events(export, keys))
        note = f"；第 {'、'.join(map(str, erased))} 条事件中的个人信息已按保存期限删除" if erased else ""
        print(f"OK {export['case']}: {export['event_count']} events, last hash {export['last_hash']}；已核对{checked}"
              f"{note}")
        return 0
    print(f"BROKEN {export['case']} at seq {found[0]}: {found[1]}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
