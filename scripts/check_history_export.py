#!/usr/bin/env python3
"""Check a case history exported from certflow (the JSON of 导出 JSON, or GET /api/v1/cases/<number>/history/export)
without certflow: only the Python standard library.

    python3 check_history_export.py LS-2026-000001-history.json

Each event's hash must be SHA-256 of the previous event's hash followed by the event's body as JSON with sorted
keys, no spaces and UTF-8 characters as they are; the first previous hash is 64 zeros; seq counts 1, 2, 3, …
without gaps; the count and the last hash must be those the case recorded. Prints OK, or the first event
that does not check out. Exit status: 0 intact, 1 broken, 2 the file cannot be read.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

GENESIS = "0" * 64


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def first_break(export: dict[str, Any]) -> tuple[int, str] | None:
    """(seq, reason) of the first event that does not check out, or None when the whole history is intact."""
    previous, seq = GENESIS, 0
    for seq, event in enumerate(export["events"], start=1):
        body = event["body"]
        if body.get("seq") != seq:
            return seq, f"expected event {seq}, found {body.get('seq')}: an event was removed or moved"
        if body.get("case") != export["case"]:
            return seq, f"belongs to case {body.get('case')}, not {export['case']}"
        if event["prev_hash"] != previous:
            return seq, "prev_hash is not the hash of the event before: events were removed, inserted or moved"
        if hashlib.sha256((previous + canonical(body)).encode("utf-8")).hexdigest() != event["hash"]:
            return seq, "the event's content does not match its hash: it was altered"
        previous = event["hash"]
    if export["event_count"] != seq:
        return seq + 1, f"the case recorded {export['event_count']} events, the export holds {seq}"
    if export["last_hash"] != previous:
        return seq, "the case's last hash is not the last event's hash"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} EXPORT.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as file:
            export = json.load(file)
        found = first_break(export)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"cannot read {argv[1]}: {error}", file=sys.stderr)
        return 2
    if found is None:
        print(f"OK {export['case']}: {export['event_count']} events, last hash {export['last_hash']}")
        return 0
    print(f"BROKEN {export['case']} at seq {found[0]}: {found[1]}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
