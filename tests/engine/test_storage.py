"""Uploaded files kept through one storage interface: the local disk by default, or an S3-compatible bucket.

The bucket is moto's S3 server, run in the test process and reached over HTTP as certflow reaches any
S3-compatible service (CERTFLOW_S3_ENDPOINT_URL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from enginekit import start

from certflow.config import Config
from certflow.engine.attachments import DiskStorage, FileStore, Storage, Upload
from certflow.engine.errors import InvalidState
from certflow.engine.runtime import Runtime
from certflow.engine.sealing import DEMO_KEYS

boto3 = pytest.importorskip("boto3", reason="S3 storage needs boto3: pip install 'certflow[s3]'")
moto_server = pytest.importorskip("moto.server", reason="the S3 tests run moto's S3 server: pip install 'moto[s3]'")

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
BUCKET = "certflow-files"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The settings of a deployment keeping its files in the bucket, which exists and is empty."""
    for name, value in {"AWS_ACCESS_KEY_ID": "certflow", "AWS_SECRET_ACCESS_KEY": "certflow-secret",
                        "AWS_DEFAULT_REGION": "cn-north-1"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    yield {"CERTFLOW_S3_BUCKET": BUCKET, "CERTFLOW_S3_PREFIX": "uploads/", "CERTFLOW_S3_ENDPOINT_URL": s3_endpoint}
    for found in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=found["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture(params=["disk", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "disk":
        return Config.from_env({"CERTFLOW_UPLOAD_DIR": str(tmp_path / "uploads")}).file_storage()
    return Config.from_env(request.getfixturevalue("s3_env")).file_storage()


def test_each_storage_keeps_gives_back_and_removes_by_key(storage: Storage) -> None:
    key = hashlib.sha256(PNG).hexdigest()
    assert not storage.exists(key)
    with pytest.raises(FileNotFoundError):
        storage.get(key)
    storage.put(key, PNG)
    assert storage.exists(key) and storage.get(key) == PNG
    storage.put(key, b"%PDF-1.7")
    assert storage.get(key) == b"%PDF-1.7"
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # gone already: nothing to do
    for wrong in ("../../etc/passwd", "a/b", ""):
        with pytest.raises(ValueError, match="not a storage key"):
            storage.put(wrong, PNG)


def test_a_file_changed_in_the_storage_is_never_served(storage: Storage) -> None:
    files = FileStore(storage, DEMO_KEYS)
    digest = files.put(PNG)
    assert files.put(PNG) == digest and files.read(digest) == PNG
    storage.put(digest, PNG + b"changed")
    with pytest.raises(InvalidState, match="存档后被改动过"):
        files.read(digest)


def test_the_storage_holds_files_sealed_and_a_changed_envelope_is_refused(storage: Storage) -> None:
    files = FileStore(storage, DEMO_KEYS)
    digest = files.put(PNG)
    stored = storage.get(digest)
    assert PNG[8:] not in stored and not stored.startswith(PNG[:4])  # no part of the file in clear
    assert files.read(digest) == PNG
    storage.put(digest, stored[:-1] + bytes((stored[-1] ^ 1,)))
    with pytest.raises(InvalidState, match="存档后被改动过"):
        files.read(digest)


def test_a_file_stored_in_clear_before_sealing_is_read_and_then_sealed(storage: Storage) -> None:
    digest = hashlib.sha256(PNG).hexdigest()
    storage.put(digest, PNG)  # as files were kept before they were sealed
    files = FileStore(storage, DEMO_KEYS)
    assert files.read(digest) == PNG
    assert files.reseal(digest) and storage.get(digest) != PNG and files.read(digest) == PNG
    assert not files.reseal(digest)  # under the current key already


def test_a_case_s_attachments_go_to_the_bucket_and_come_back(rt: Runtime, s3_env: dict[str, str]) -> None:
    rt.files = FileStore(Config.from_env(s3_env).file_storage(), rt.settings.data_keys)
    number = start(rt)
    rt.attach(number, [Upload("photos", "照片.png", PNG)], actor="applicant")

    client = boto3.client("s3", endpoint_url=s3_env["CERTFLOW_S3_ENDPOINT_URL"])
    [stored] = client.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert stored["Key"] == f"uploads/{hashlib.sha256(PNG).hexdigest()}"
    [attachment] = rt.attachments(number)
    assert rt.attachment_content(number, attachment["id"]) == (attachment, PNG)


def test_without_a_bucket_files_stay_on_the_disk(tmp_path: Path) -> None:
    storage = Config.from_env({"CERTFLOW_UPLOAD_DIR": str(tmp_path)}).file_storage()
    FileStore(storage, DEMO_KEYS).put(PNG)
    digest = hashlib.sha256(PNG).hexdigest()
    assert isinstance(storage, DiskStorage) and (tmp_path / digest[:2] / digest).exists()
