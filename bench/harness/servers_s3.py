"""A local S3-compatible server (rclone serve s3) for the servers drill: one bucket that every app server shares.

rclone serves a folder: each top-level folder is a bucket, each file an object. It refuses anonymous reads;
signed (v4) requests and presigned links work, as with a real bucket.
"""

from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bench.harness import VENV_BIN
from bench.harness.processes import free_port

ACCESS_KEY, SECRET_KEY = "prapesandrill", "prapesandrillsecret123"
REGION = "us-east-1"


class S3Server:
    """rclone serving a folder on a free port, and a client of its own to look into the bucket."""

    def __init__(self, bucket: str):
        self.bucket = bucket
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._client = None

    def command(self, folder: Path) -> list[str]:
        """rclone serving `folder` (its buckets are its folders)."""
        folder.mkdir(parents=True, exist_ok=True)
        address = f"127.0.0.1:{self.port}"
        return [str(VENV_BIN / "rclone"), "serve", "s3", "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}",
                "--addr", address, str(folder)]  # fmt: skip

    def settings(self) -> dict[str, str]:
        """The shop's environment for this bucket (preorder_shop/settings.py, "Files.")."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    @property
    def client(self):
        if self._client is None:
            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                region_name=REGION,
                config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, proxies={}),
            )
        return self._client

    def ready(self) -> bool:
        try:
            self.client.list_buckets()
        except (BotoCoreError, ClientError):
            return False
        return True

    def bucket_create(self) -> None:
        self.client.create_bucket(Bucket=self.bucket)

    def objects(self, prefix: str = "") -> dict[str, int]:
        """Every object under `prefix`: its key and size."""
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
        return found

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
