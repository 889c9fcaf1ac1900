"""The private storage on an S3-compatible bucket (django-storages with boto3): imported only when configured."""

from storages.backends.s3 import S3Storage

from .storage import NoUrlMixin


class PrivateS3Storage(NoUrlMixin, S3Storage):
    """Objects stored private; only the shop's views read them, with the shop's own credentials."""
