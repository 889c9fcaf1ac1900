"""Where the shop's files live: local folders by default, an S3-compatible bucket when one is named.

Two storages, both in settings.STORAGES, so every app server reads what any of them wrote once they share a
bucket:
- "default": product and campaign pictures and their renditions, which every visitor sees (MEDIA_ROOT, or
  the bucket's "media/" prefix);
- "private": transfer proofs and the files a bank statement or shipping import keeps between its preview and
  its confirmation. They hold personal data and have no URL: only the shop's own views read them, for the
  buyer's link and for staff (PRIVATE_MEDIA_ROOT, or the bucket's "private/" prefix, or a bucket of its own).
"""

import errno
import os
import secrets
import urllib.error
import urllib.request

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class StorageUnavailable(OSError):
    """The bucket did not answer, or refused the shop's key: like a full disk, nothing could be stored or read."""


# A disk that cannot take a file: full, over quota, read-only.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def storage_trouble(error: BaseException) -> bool:
    """True for an error of the storage itself (not of the file asked for): a bucket or a disk that cannot."""
    return isinstance(error, StorageUnavailable) or (isinstance(error, OSError) and error.errno in STORAGE_ERRNOS)


class NoUrlMixin:
    """A storage whose files are never linked to: a URL to a proof would skip the checks of the proof view."""

    def url(self, name, *args, **kwargs):
        raise ValueError("Private files have no URL; the shop's own views serve them.")


class PrivateFileSystemStorage(NoUrlMixin, FileSystemStorage):
    """PRIVATE_MEDIA_ROOT, read when used (tests move it), never under MEDIA_ROOT."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


class _PrivateStorage(LazyObject):
    """STORAGES["private"], looked up when first used and again after the setting changes."""

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = _PrivateStorage()


@receiver(setting_changed)
def _private_storage_reset(*, setting, **kwargs) -> None:
    if setting == "STORAGES":
        private_storage._wrapped = empty


@register(Tags.security, deploy=True)
def private_files_refused_without_the_key(app_configs=None, **kwargs) -> list[CheckMessage]:
    """With a bucket (`manage.py check --deploy`): the private storage takes a file, and the bucket refuses it
    to anyone without the shop's key; a public bucket would hand out transfer proofs to whoever has a link."""
    if not getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""):
        return []
    try:
        name = private_storage.save(f"checks/{secrets.token_hex(8)}.txt", ContentFile(b"prapesan"))
    except OSError as error:
        return [Error(f"The private storage's bucket does not take a file: {error}", id="prapesan.E101")]
    messages = []
    url = private_storage.unsigned_connection.meta.client.generate_presigned_url(
        "get_object", Params={"Bucket": private_storage.bucket_name, "Key": private_storage._normalize_name(name)}
    )
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the bucket's own https or http URL
            if answer.status == 200:
                messages.append(
                    Error(
                        "The bucket gives private files (transfer proofs) to anyone with their address, without "
                        "the shop's key.",
                        hint="Make the bucket (or AWS_PRIVATE_STORAGE_BUCKET_NAME's) private: no public read.",
                        id="prapesan.E102",
                    )
                )
    except urllib.error.HTTPError:
        pass  # refused: as it must be
    except OSError as error:
        messages.append(
            Warning(f"Could not ask the bucket anonymously ({error}); check it is private.", id="prapesan.W101")
        )
    try:
        private_storage.delete(name)
    except OSError as error:
        messages.append(
            Warning(f"The check's file {name} could not be deleted ({error}); delete it.", id="prapesan.W102")
        )
    return messages
