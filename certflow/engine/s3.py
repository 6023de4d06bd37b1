"""Uploaded files in an S3-compatible bucket (Amazon S3, MinIO, the object storage of a government cloud), so that
every web node reads the files any of them took in. boto3 comes with the optional extra ``certflow[s3]``.

Credentials and region come the way boto3 finds them: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION,
or a profile or instance role.
"""

from __future__ import annotations

from typing import Any


class S3Storage:
    """``attachments.Storage`` in a bucket: each key an object named ``prefix`` + key."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client  # a boto3 S3 client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(cls, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> S3Storage:
        """The bucket through a new boto3 client; ``endpoint_url`` for a service other than Amazon's."""
        try:
            import boto3
        except ImportError as error:
            raise SystemExit("无法启动：设置了 CERTFLOW_S3_BUCKET（附件存入对象存储），但没有安装 boto3；"
                             "请安装 certflow[s3]（pip install 'certflow[s3]'）") from error
        return cls(boto3.client("s3", endpoint_url=endpoint_url), bucket, prefix)

    def put(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=content)

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(f"s3://{self.bucket}/{self._name(key)}") from error
        content: bytes = answer["Body"].read()
        return content

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _name(self, key: str) -> str:
        if not key.isascii() or not key.isalnum():
            raise ValueError(f"not a storage key: {key!r}")
        return self.prefix + key
