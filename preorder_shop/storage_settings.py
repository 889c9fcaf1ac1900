"""settings.STORAGES for the files on an S3-compatible bucket (preorder_shop/storage.py says what goes where).

A function of its own, without imports, so that the settings and the tests that point the shop at a local
S3-compatible server build the same storages."""


def object_storages(*, private_bucket: str) -> dict:
    """Pictures under "media/" in AWS_STORAGE_BUCKET_NAME; private files under "private/" in `private_bucket`
    (the same bucket, or one of its own), stored private and never given a URL."""
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"location": "media"}},
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
