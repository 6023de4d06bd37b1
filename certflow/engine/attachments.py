"""Files handed in for a case: checked by their content, stored outside the web root by checksum, on the local disk
or in an S3-compatible bucket (``Storage``).

The type is read from the file's first bytes, never from its name or the browser's word for it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from certflow.engine import sealing
from certflow.engine.errors import FieldError, InvalidState, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024

# Signatures of what an applicant may hand in: photos and scanned documents.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
ACCEPTED = "JPEG、PNG 图片或 PDF 文件"


@dataclass(frozen=True)
class Upload:
    material: str  # the material code the file stands for, e.g. photos
    filename: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """The content type the bytes really are, or None when it is not one we accept."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def check(uploads: list[Upload], field_of: dict[str, str] | None = None) -> list[str]:
    """Content types of the uploads, in order; ValidationFailed naming every refused file."""
    errors: list[FieldError] = []
    types: list[str] = []
    for upload in uploads:
        field = (field_of or {}).get(upload.material, upload.material)
        content_type = sniff(upload.content)
        if not upload.content:
            errors.append(FieldError(field, f"{upload.filename}：文件是空的"))
        elif len(upload.content) > MAX_BYTES:
            errors.append(FieldError(field, f"{upload.filename}：文件超过 {MAX_BYTES // (1024 * 1024)} MB"))
        elif content_type is None:
            errors.append(FieldError(field, f"{upload.filename}：只接受{ACCEPTED}"))
        types.append(content_type or "")
    if errors:
        raise ValidationFailed(errors, "上传的文件有误")
    return types


class Storage(Protocol):
    """Where the bytes of uploaded files are kept, by key: the local disk (``DiskStorage``, the default) or an
    S3-compatible bucket (certflow.engine.s3). Keys are letters and digits only."""

    def put(self, key: str, content: bytes) -> None:
        """Keep ``content`` under ``key``, replacing what was there; a reader never sees half of it."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; FileNotFoundError when there are none."""

    def delete(self, key: str) -> None:
        """Remove what is under ``key``, if anything."""

    def exists(self, key: str) -> bool:
        """Whether anything is under ``key``."""


class DiskStorage:
    """Files in a directory of the machine (or a share all web nodes mount), in subdirectories by the key's
    first two characters."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not key.isascii() or not key.isalnum():
            raise ValueError(f"not a storage key: {key!r}")  # nothing outside the root, whatever the key
        return self.root / key[:2] / key

    def put(self, key: str, content: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)  # never leave half a file under the final name

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()


class FileStore:
    """Content-addressed files in a ``Storage``: a file is kept once, under the SHA-256 of its content, whatever its
    name, and sealed with the data keys (its digest as the envelope's context), so that the storage holds no
    applicant's document in clear. A file stored in clear before files were sealed is still read (no accepted
    type begins with the envelope's format byte) until ``reseal`` seals it."""

    def __init__(self, storage: Storage, keys: sealing.DataKeyRing) -> None:
        self.storage = storage
        self.keys = keys

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        if not self.storage.exists(digest):
            self.storage.put(digest, self.keys.encrypt(content, context=digest.encode()))
        return digest

    def read(self, digest: str) -> bytes:
        """The stored bytes, opened and checked against their digest so a changed file is never served."""
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        content = self._open(digest, self.storage.get(digest))
        if content is None or hashlib.sha256(content).hexdigest() != digest:
            # a clerk meets this on opening the file: say what happened and who can help, not the digest
            raise InvalidState("这个附件存档后被改动过，与存档时不符，不能打开；请联系管理员")
        return content

    def reseal(self, digest: str) -> bool:
        """Seal the file under ``digest`` again with the current key if it is in clear or under another key or
        algorithm; whether it was. A file that does not open or match its digest is left as it is."""
        stored = self.storage.get(digest)
        if self._sealed(stored) and not self.keys.needs_rotation(stored):
            return False
        content = self._open(digest, stored)
        if content is None or hashlib.sha256(content).hexdigest() != digest:
            return False
        self.storage.put(digest, self.keys.encrypt(content, context=digest.encode()))
        return True

    def _open(self, digest: str, stored: bytes) -> bytes | None:
        if not self._sealed(stored):
            return stored
        try:
            return self.keys.decrypt(stored, context=digest.encode())
        except sealing.SealError:
            return None

    @staticmethod
    def _sealed(stored: bytes) -> bool:
        return stored[:1] == bytes((sealing.FORMAT,))
