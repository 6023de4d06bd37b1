"""Personal data sealed at rest: what a copy of the database without the key file gives, and what it does not."""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner

from certflow.cli import main
from certflow.config import Config
from certflow.engine import sealing

OLD = f"k2025:{secrets.token_hex(32)}"
NEW = f"k2026:{secrets.token_hex(32)}"
PRODUCTION = {"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": secrets.token_hex(32),
              "CERTFLOW_HISTORY_KEYS": f"h1:{secrets.token_hex(32)}"}
NAME = "王小明".encode()
CONTEXT = b"cases.applicant_name"


@pytest.mark.parametrize("algorithm", ["sm4-gcm", "aes-256-gcm"])
def test_a_value_comes_back_only_with_its_key(algorithm: str) -> None:
    ring = sealing.parse_keys(NEW, algorithm)
    envelope = ring.encrypt(NAME, context=CONTEXT)
    assert NAME not in envelope and "王".encode() not in envelope
    assert ring.decrypt(envelope, context=CONTEXT) == NAME
    assert ring.encrypt(NAME, context=CONTEXT) != envelope  # a fresh nonce: equal names are not equal envelopes
    with pytest.raises(sealing.SealError, match="没有配置"):
        sealing.parse_keys(OLD, algorithm).decrypt(envelope, context=CONTEXT)


def test_the_two_algorithms_differ_and_each_value_says_which() -> None:
    sm4, aes = sealing.parse_keys(NEW), sealing.parse_keys(NEW, "aes-256-gcm")
    assert (sm4.algorithm, aes.algorithm) == ("SM4-GCM", "AES-256-GCM")
    by_aes = aes.encrypt(NAME, context=CONTEXT)
    # The cipher is not the setting's but the envelope's: a deployment that changes it still reads its old values.
    assert sm4.decrypt(by_aes, context=CONTEXT) == NAME
    assert sm4.needs_rotation(by_aes) and not aes.needs_rotation(by_aes)


def test_a_value_moved_to_another_column_does_not_open() -> None:
    ring = sealing.parse_keys(NEW)
    phone = ring.encrypt(b"13800000001", context=b"notifications.recipient_phone")
    with pytest.raises(sealing.SealError, match="不属于这里"):
        ring.decrypt(phone, context=CONTEXT)


@pytest.mark.parametrize("where", [0, 1, 3, 10, -1, -17])
def test_a_changed_byte_is_refused(where: int) -> None:
    ring = sealing.parse_keys(NEW)
    envelope = bytearray(ring.encrypt(NAME, context=CONTEXT))
    envelope[where] ^= 0x01
    with pytest.raises(sealing.SealError):
        ring.decrypt(bytes(envelope), context=CONTEXT)


def test_a_cut_envelope_is_refused_in_words() -> None:
    ring = sealing.parse_keys(NEW)
    envelope = ring.encrypt(NAME, context=CONTEXT)
    with pytest.raises(sealing.SealError, match="不完整"):
        ring.decrypt(envelope[:20], context=CONTEXT)
    with pytest.raises(sealing.SealError, match="不是可识别"):
        ring.decrypt(b"\x02" + envelope[1:], context=CONTEXT)


def test_an_unknown_key_is_named() -> None:
    envelope = sealing.parse_keys(OLD).encrypt(NAME, context=CONTEXT)
    with pytest.raises(sealing.SealError, match="数据加密密钥 k2025 没有配置"):
        sealing.parse_keys(NEW).decrypt(envelope, context=CONTEXT)


def test_rotation_reads_old_values_and_writes_new_ones() -> None:
    old_ring = sealing.parse_keys(OLD)
    written_before = old_ring.encrypt(NAME, context=CONTEXT)
    rotated = sealing.parse_keys(f"{NEW}\n{OLD}")
    assert rotated.current == "k2026"
    assert rotated.decrypt(written_before, context=CONTEXT) == NAME
    assert rotated.needs_rotation(written_before)
    written_after = rotated.encrypt(NAME, context=CONTEXT)
    assert not rotated.needs_rotation(written_after)
    with pytest.raises(sealing.SealError, match="k2026"):
        old_ring.decrypt(written_after, context=CONTEXT)
    # Found by the digest made before the rotation as well as by the new one.
    assert old_ring.lookup_digest("王小明") in rotated.lookup_digests("王小明")
    assert rotated.lookup_digests("王小明")[0] == rotated.lookup_digest("王小明")


def test_lookup_digests_are_keyed() -> None:
    ring = sealing.parse_keys(NEW)
    digest = ring.lookup_digest("王小明")
    assert digest == ring.lookup_digest("王小明") != ring.lookup_digest("王小敏")
    # Without the key the likely names cannot be tried against a copied table.
    assert digest != sealing.parse_keys(OLD).lookup_digest("王小明")
    assert digest != sealing.parse_keys(NEW, "aes-256-gcm").lookup_digest("王小明")  # HMAC-SM3, not HMAC-SHA-256


def test_the_data_keys_are_configured_like_the_history_keys(tmp_path) -> None:
    keys = tmp_path / "data.keys"
    keys.write_text(f"# 2026-01 轮换\n{NEW}\n{OLD}\n", encoding="utf-8")
    ring = Config.from_env({"CERTFLOW_DATA_KEY_FILE": str(keys)}).settings.data_keys
    assert (ring.current, ring.algorithm) == ("k2026", "SM4-GCM")
    assert Config.from_env({"CERTFLOW_DATA_KEYS": NEW, "CERTFLOW_DATA_CIPHER": "aes-256-gcm"}).settings.data_keys \
        .algorithm == "AES-256-GCM"
    assert Config.from_env({}).settings.data_keys.is_demo
    with pytest.raises(SystemExit, match="CERTFLOW_DATA_CIPHER 只能是 sm4-gcm 或 aes-256-gcm"):
        Config.from_env({"CERTFLOW_DATA_CIPHER": "des"})
    with pytest.raises(SystemExit, match="数据加密密钥配置有误：数据加密密钥 short 太短"):
        Config.from_env({"CERTFLOW_DATA_KEYS": "short:abcd"})
    with pytest.raises(SystemExit, match="无法读取数据加密密钥文件"):
        Config.from_env({"CERTFLOW_DATA_KEY_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize("keys", [None, f"{NEW} demo:{secrets.token_hex(32)}", f"{NEW} old:{sealing.DEMO_KEY.hex()}",
                                  "hand:" + "ab" * 32], ids=["none", "demo-id", "demo-key-renamed", "by-hand"])
def test_production_refuses_public_or_hand_made_data_keys(keys: str | None) -> None:
    """Anyone can read what the public demo key sealed, even as an old key; a key typed by hand can be guessed."""
    with pytest.raises(SystemExit, match="数据加密密钥"):
        Config.from_env(PRODUCTION | ({"CERTFLOW_DATA_KEYS": keys} if keys else {})).check()
    Config.from_env(PRODUCTION | {"CERTFLOW_DATA_KEYS": NEW}).check()
    Config.from_env({"CERTFLOW_DATA_KEYS": "hand:" + "ab" * 32}).check()  # a developer's machine may use it


def test_the_data_key_command_puts_a_new_key_first(tmp_path) -> None:
    keys = tmp_path / "data.keys"
    keys.write_text(OLD + "\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["data-key", "--file", str(keys)])
    assert done.exit_code == 0 and "新的当前密钥" in done.output and "共 2 个" in done.output
    ring = sealing.parse_keys(keys.read_text(encoding="utf-8"))
    assert list(ring.keys.keys)[1] == "k2025" and ring.current.startswith("k20") and not ring.made_by_hand
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
