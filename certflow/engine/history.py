"""The hash chain over a case's events, and the keyed signatures over it.

Each event's hash covers its own content and the previous event's hash, so editing, deleting or
reordering any event breaks the chain from that event on. The canonical form is plain JSON
(sorted keys, UTF-8) so an exported history can be checked outside certflow.

The chain alone does not stop someone who can write to the database: they may recompute every hash.
So the history has two versions. Version 1 (written before keys existed) is the chain alone. In
version 2 each event also carries an HMAC of its hash (HMAC-SM3; HMAC-SHA-256 before, still accepted)
under a key held outside the database, named by its id, and the case row a seal: an HMAC of its number,
event count and last hash. Without the key nobody can sign a changed event or seal a cut-off history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    # check_circular off: the same text, a tenth faster on a case's state (which a JSON column could not hold if
    # it were circular).
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
                      check_circular=False)


def event_body(
    *, case_number: str, seq: int, kind: str, at: datetime, actor: str,
    task_id: str | None, task_name: str | None, data: dict[str, Any],
) -> dict[str, Any]:
    """What an event's hash covers."""
    return {
        "case": case_number,
        "seq": seq,
        "kind": kind,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "task_id": task_id,
        "task_name": task_name,
        "data": data,
    }


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


def state_digest(state: dict[str, Any]) -> str:
    """Digest of a serialized case state, recorded with each step so replay can be checked."""
    return hashlib.sha256(canonical(state).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str
    kind: str = field(default="", compare=False)  # missing, link, content; unsigned, key, signature


def check_chain(
    events: Iterable[tuple[dict[str, Any], str, str]], erased: Mapping[int, tuple[str, str]] | None = None,
) -> ChainBreak | None:
    """Given (body, prev_hash, hash) in order, the first break or None when intact.

    ``erased``: for events whose personal data was erased (certflow.engine.erasure), seq -> (the hash recorded when
    they were erased, the hash of their erased content): such an event must carry that hash and hold that content.
    """
    erased = erased or {}
    expected_prev = GENESIS
    expected_seq = 1
    for body, prev_hash, digest in events:
        seq = body["seq"]
        if seq != expected_seq:
            return ChainBreak(expected_seq, f"expected event {expected_seq}, found {seq}", "missing")
        if prev_hash != expected_prev:
            return ChainBreak(seq, "previous-hash link does not match the event before it", "link")
        if seq in erased:
            if erased[seq] != (digest, chain_hash(prev_hash, body)):
                return ChainBreak(seq, "erased content does not match what its erasure recorded", "content")
        elif chain_hash(prev_hash, body) != digest:
            return ChainBreak(seq, "content does not match its hash", "content")
        expected_prev = digest
        expected_seq += 1
    return None


DEMO_KEY_ID = "demo"
# Public, so anyone can sign with it: for development and the demo only; production refuses it (config.check).
DEMO_KEY = b"certflow-demo-history-key-not-for-production"
MIN_KEY_BYTES = 32
# 32 random bytes have about 30 different values; fewer than 16 is a key typed by hand ("abab…"), not drawn.
MIN_DISTINCT_BYTES = 16
# The HMAC events and seals are signed with (GB/T 32905's SM3, from OpenSSL through hashlib), and the one that signed
# before it, still accepted: the length of both is 64 hex digits, so the stored signature does not say which.
SIGNING = "sm3"
SIGNED_BEFORE = ("sha256",)
_KEY_ENTRY = re.compile(r"([A-Za-z0-9_.-]{1,40}):([0-9a-fA-F]+)")


class KeyListError(ValueError):
    """A key list that cannot be used; the message says why, in Chinese."""


@dataclass(frozen=True)
class KeyRing:
    """The history keys: new events are signed with ``current``; older ones are checked with the key their id names.

    Rotation: put a new key first and keep the old ones, so what they signed still verifies.
    """

    keys: Mapping[str, bytes]
    current: str

    @property
    def is_demo(self) -> bool:
        return DEMO_KEY_ID in self.keys or DEMO_KEY in self.keys.values()

    @property
    def made_by_hand(self) -> list[str]:
        """Ids of keys too regular to have been drawn at random: guessable, so anyone might sign with them."""
        return [key_id for key_id, key in self.keys.items() if len(set(key)) < MIN_DISTINCT_BYTES]

    def sign(self, message: str) -> tuple[str, str]:
        """(key id, HMAC-SM3 hex) of ``message`` under the current key."""
        return self.current, _mac(self.keys[self.current], message, SIGNING)

    def check(self, key_id: str, message: str, mac: str) -> bool | None:
        """Whether ``mac`` is right for ``message`` under key ``key_id``, by HMAC-SM3 or by the HMAC-SHA-256 that
        signed before (both need the key, so accepting either opens nothing to someone without it); None when that
        key is not configured."""
        key = self.keys.get(key_id)
        if key is None:
            return None
        return any(hmac.compare_digest(_mac(key, message, digest), mac or "") for digest in (SIGNING, *SIGNED_BEFORE))


def _mac(key: bytes, message: str, digest: str) -> str:
    return hmac.new(key, message.encode(), digest).hexdigest()


DEMO_KEYS = KeyRing({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID)


def parse_keys(text: str, what: str = "历史签名密钥") -> KeyRing:
    """``ID:HEX`` entries separated by spaces, commas or lines (``#`` starts a comment); the first is current.

    ``what`` names the keys in the messages: the data keys (certflow.engine.sealing) are listed the same way.
    """
    entries = [e for line in text.splitlines() for e in re.split(r"[\s,]+", line.split("#", 1)[0]) if e]
    if not entries:
        raise KeyListError(f"没有配置任何{what}")
    keys: dict[str, bytes] = {}
    for number, entry in enumerate(entries, start=1):
        found = _KEY_ENTRY.fullmatch(entry)
        if found is None or len(found[2]) % 2:  # the entry itself is not shown: it may be most of a key
            raise KeyListError(f"第 {number} 个{what}的格式不对：应为“编号:十六进制密钥”")
        key_id, key = found[1], bytes.fromhex(found[2])
        if len(key) < MIN_KEY_BYTES:
            raise KeyListError(f"{what} {key_id} 太短：至少要 {MIN_KEY_BYTES} 字节"
                               f"（{MIN_KEY_BYTES * 2} 位十六进制）")
        if key_id in keys:
            raise KeyListError(f"{what}编号 {key_id} 出现了两次")
        keys[key_id] = key
    return KeyRing(keys, next(iter(keys)))


# Distinct prefixes: an event's signature can never pass for a case row's seal, nor the reverse.
def event_message(digest: str) -> str:
    return f"certflow-event:{digest}"


def seal_message(case_number: str, event_count: int, last_hash: str) -> str:
    return f"certflow-case:{canonical([case_number, event_count, last_hash])}"


def check_signatures(ring: KeyRing, events: Iterable[tuple[int, str, str | None, str | None]]) -> ChainBreak | None:
    """Given (seq, hash, key id, mac) in order, the first event not signed as it should be, or None.

    Events of version 1 (no key id) may only come before the first signed one: a history is not turned back.
    """
    signed = False
    for seq, digest, key_id, mac in events:
        if key_id is None:
            if signed:
                return ChainBreak(seq, "unsigned after a signed event", "unsigned")
            continue
        signed = True
        verdict = ring.check(key_id, event_message(digest), mac or "")
        if verdict is None:
            return ChainBreak(seq, f"key {key_id} is not configured", "key")
        if not verdict:
            return ChainBreak(seq, "signature does not match the event's hash", "signature")
    return None
