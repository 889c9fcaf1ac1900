"""settings.STORAGES for the files on an S3-compatible bucket (preorder_shop/storage.py says what goes where),
and the client's configuration.

Functions of their own, so that the settings and the tests that point the shop at a local S3-compatible
server build the same storages; boto3 is imported only when a bucket is used."""


def object_storages(*, private_bucket: str) -> dict:
    """Pictures under "media/" in AWS_STORAGE_BUCKET_NAME; private files under "private/" in `private_bucket`
    (the same bucket, or one of its own), stored private and never given a URL."""
    return {
        "default": {
            "BACKEND": "preorder_shop.storage_s3.PictureS3Storage",
            # A picture's name is never reused for other bytes: browsers and CDNs may keep it a week.
            "OPTIONS": {"location": "media", "object_parameters": {"CacheControl": "public, max-age=604800"}},
        },
        "private": {
            "BACKEND": "preorder_shop.storage_s3.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": private_bucket,
                "location": "private",
                "default_acl": "private",
                "querystring_auth": True,
                "custom_domain": None,
            },
        },
    }


def picture_origins(*, bucket: str, endpoint: str | None, custom_domain: str | None) -> list[str]:
    """Where pages load pictures from besides the shop itself, for the CSP's img-src: the CDN's domain, or the
    endpoint (path style, and always for an IP address) and the bucket's own host name there, or Amazon S3."""
    if custom_domain:
        return [f"https://{custom_domain}"]
    if endpoint:
        scheme, _, netloc = endpoint.partition("://")
        netloc = netloc.split("/", 1)[0]
        return [f"{scheme}://{netloc}", f"{scheme}://{bucket}.{netloc}"]
    return ["https://*.amazonaws.com"]


def object_storage_client_config(*, addressing_style: str | None):
    """boto3's client configuration: signature v4, and a bucket that hangs holds a request about 10 s per
    call at most (3 s to connect, 5 s to answer, 2 tries), well inside gunicorn's 30 s, not minutes (boto3
    waits 60 s per try by default)."""
    from botocore.config import Config  # noqa: PLC0415 - only a shop with a bucket loads boto3

    return Config(
        s3={"addressing_style": addressing_style},
        signature_version="s3v4",
        connect_timeout=3,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 2},
    )
