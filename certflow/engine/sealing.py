"""Personal data encrypted at rest, and keyed digests to find it without the clear text.

A value is sealed with SM4-GCM (GB/T 32907 block cipher, the commercial cryptography GB/T 39786 asks for) or,
where a deployment chooses it, AES-256-GCM, under a data key held outside the database (a key file or an
environment variable, listed like the history keys: ``ID:HEX``, the first current). The sealed value
(the *envelope*) names its format, algorithm and key, so it can be read after the current key or the algorithm
changed; the caller's ``context`` (say ``cases.applicant_name``) is bound in as associated data, so an envelope
copied into another column does not open there.

A database copied without the key file gives neither the values nor, through the lookup digests, the likely ones
tried: a lookup digest is an HMAC (HMAC-SM3 beside SM4, HMAC-SHA-256 beside AES) under a key derived from the data
key. Whoever runs the server holds the keys and reads everything, as the application does.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from certflow.engine import history

FORMAT = 1
NONCE_BYTES = 12  # GCM's own size: a random 96-bit nonce per value, never reused under a key in practice
TAG_BYTES = 16
DEMO_KEY_ID = history.DEMO_KEY_ID
# Public, so anyone can read what it sealed: for development and the demo only; production refuses it (config.check).
DEMO_KEY = b"certflow-demo-data-key-not-for-production-use"

Suite = Literal["sm4", "aes"]
SUITES: Mapping[str, Suite] = {"sm4-gcm": "sm4", "aes-256-gcm": "aes"}  # the names a deployment sets
_CODES: Mapping[Suite, int] = {"sm4": 1, "aes": 2}  # the algorithm's byte in the envelope
_SUITE_OF_CODE = {code: suite for suite, code in _CODES.items()}
_KEY_BYTES: Mapping[Suite, int] = {"sm4": 16, "aes": 32}
_ALGORITHM_NAMES: Mapping[Suite, str] = {"sm4": "SM4-GCM", "aes": "AES-256-GCM"}


class SealError(ValueError):
    """A value that cannot be opened (or a ring that cannot seal); the message says why, in Chinese."""


def _hash(suite: Suite) -> hashes.HashAlgorithm:
    return hashes.SM3() if suite == "sm4" else hashes.SHA256()


@cache
def _derive(secret: bytes, suite: Suite, purpose: bytes, length: int) -> bytes:
    # One configured secret per key id, separate keys per use: the cipher's key never serves as the HMAC's.
    return HKDF(algorithm=_hash(suite), length=length, salt=None, info=b"certflow-data:" + purpose).derive(secret)


@dataclass(frozen=True)
class DataKeyRing:
    """The data keys: new values are sealed with ``keys.current`` and ``suite``; each is opened with the key its
    envelope names. Rotation: put a new key first and keep the old ones until nothing needs them
    (``needs_rotation``); the lookup digests of every key are searched (``lookup_digests``)."""

    keys: history.KeyRing
    suite: Suite = "sm4"

    @property
    def current(self) -> str:
        return self.keys.current

    @property
    def algorithm(self) -> str:
        """The cipher new values are sealed with, as the documents name it."""
        return _ALGORITHM_NAMES[self.suite]

    @property
    def is_demo(self) -> bool:
        return self.keys.is_demo or DEMO_KEY in self.keys.keys.values()

    @property
    def made_by_hand(self) -> list[str]:
        return self.keys.made_by_hand

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """The envelope of ``plaintext``: format, algorithm, key id, nonce, ciphertext and GCM tag."""
        key_id = self.current.encode("ascii")
        header = bytes((FORMAT, _CODES[self.suite], len(key_id))) + key_id
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(self._algorithm(self.suite, self.current), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(header + context)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return header + nonce + body + encryptor.tag

    def decrypt(self, envelope: bytes, *, context: bytes) -> bytes:
        """The plaintext sealed in ``envelope`` for ``context``; SealError if it was changed, belongs elsewhere or
        its key is not configured."""
        suite, key_id, header, rest = _parse(envelope)
        if key_id not in self.keys.keys:
            raise SealError(f"数据加密密钥 {key_id} 没有配置，无法解密；请把它加回数据密钥文件")
        nonce, body, tag = rest[:NONCE_BYTES], rest[NONCE_BYTES:-TAG_BYTES], rest[-TAG_BYTES:]
        decryptor = Cipher(self._algorithm(suite, key_id), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(header + context)
        try:
            return decryptor.update(body) + decryptor.finalize()
        except InvalidTag:
            raise SealError("加密数据已被改动，或不属于这里，无法解密") from None

    def needs_rotation(self, envelope: bytes) -> bool:
        """Whether ``envelope`` was sealed with another key or algorithm than new values are."""
        suite, key_id, _header, _rest = _parse(envelope)
        return key_id != self.current or suite != self.suite

    def lookup_digest(self, value: str) -> str:
        """A keyed digest of ``value`` (hex) under the current key, stored beside its envelope to find it; spaces
        and the case of letters do not count (an ID number's x, a name typed with a space)."""
        return self._digest(self.current, value)

    def lookup_digests(self, value: str) -> list[str]:
        """The digests of ``value`` under every key, newest first: a search finds what older keys digested."""
        return [self._digest(key_id, value) for key_id in self.keys.keys]

    def _algorithm(self, suite: Suite, key_id: str) -> algorithms.SM4 | algorithms.AES:
        key = _derive(self.keys.keys[key_id], suite, b"cipher", _KEY_BYTES[suite])
        return algorithms.SM4(key) if suite == "sm4" else algorithms.AES(key)

    def _digest(self, key_id: str, value: str) -> str:
        key = _derive(self.keys.keys[key_id], self.suite, b"lookup", 32)
        normal = "".join(value.split()).upper()
        return hmac.new(key, normal.encode(), "sm3" if self.suite == "sm4" else "sha256").hexdigest()


def _parse(envelope: bytes) -> tuple[Suite, str, bytes, bytes]:
    """(suite, key id, header, nonce + ciphertext + tag) of an envelope; SealError for anything else."""
    if len(envelope) < 3 or envelope[0] != FORMAT or envelope[1] not in _SUITE_OF_CODE:
        raise SealError("不是可识别的加密数据（格式或算法不明）")
    end = 3 + envelope[2]
    if len(envelope) < end + NONCE_BYTES + TAG_BYTES:
        raise SealError("加密数据不完整，无法解密")
    return _SUITE_OF_CODE[envelope[1]], envelope[3:end].decode("ascii", "replace"), envelope[:end], envelope[end:]


def with_algorithm(keys: history.KeyRing, algorithm: str = "sm4-gcm") -> DataKeyRing:
    """The ring for ``keys`` sealing new values with ``algorithm`` (sm4-gcm or aes-256-gcm)."""
    if algorithm not in SUITES:
        raise SealError(f"数据加密算法 {algorithm!r} 不支持，只能是 {' 或 '.join(SUITES)}")
    return DataKeyRing(keys, SUITES[algorithm])


def parse_keys(text: str, algorithm: str = "sm4-gcm") -> DataKeyRing:
    """Data keys listed as the history keys are (``ID:HEX``, the first current); KeyListError says what is wrong."""
    return with_algorithm(history.parse_keys(text, what="数据加密密钥"), algorithm)


DEMO_KEYS = DataKeyRing(history.KeyRing({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID))
