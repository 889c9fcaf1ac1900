"""The local S3-compatible server (rclone serve s3) the object storage tests share, and a fresh bucket per test."""

import pytest

from tests.s3_server import S3Server, s3_server_start, shop_settings


@pytest.fixture(scope="session")
def s3_server():
    server = s3_server_start()
    yield server
    server.stop()


class Bucket:
    """The bucket the shop stores its files in during one test, looked into with the server's own keys."""

    def __init__(self, server: S3Server, name: str):
        self.server, self.name = server, name

    def keys(self, prefix: str = "") -> list[str]:
        return self.server.keys(self.name, prefix)

    def read(self, key: str) -> bytes:
        return self.server.read(self.name, key)


@pytest.fixture
def bucket(s3_server, settings, tmp_path):
    """A fresh bucket the shop's two storages point at; local folders that must stay empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    name = s3_server.bucket_create()
    for setting, value in shop_settings(s3_server, bucket=name).items():
        setattr(settings, setting, value)
    yield Bucket(s3_server, name)
    s3_server.bucket_remove(name)
