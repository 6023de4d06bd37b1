"""Files handed in for a case: checked by their content, stored outside the web root by checksum.

The type is read from the file's first bytes, never from its name or the browser's word for it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

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


class FileStore:
    """Content-addressed files under one directory; a file is written once whatever its name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        path = self.path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_bytes(content)
            partial.replace(path)  # never leave half a file under the final name
        return digest

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest

    def read(self, digest: str) -> bytes:
        """The stored bytes, checked against their digest so a changed file is never served."""
        content = self.path(digest).read_bytes()
        if hashlib.sha256(content).hexdigest() != digest:
            # a clerk meets this on opening the file: say what happened and who can help, not the digest
            raise InvalidState("这个附件存档后被改动过，与存档时不符，不能打开；请联系管理员")
        return content
