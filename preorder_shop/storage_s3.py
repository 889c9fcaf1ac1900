"""The storages on an S3-compatible bucket (django-storages with boto3): imported only when a bucket is set.

Two things on top of django-storages' S3Storage:
- A bucket that does not answer, or refuses, raises OSError, as a full or unwritable disk does, so the shop's
  handling of that (a clear message, nothing half recorded) holds for both; a missing object raises
  FileNotFoundError everywhere, not only where django-storages converts it.
- A picture's signed link stays the same for half of AWS_QUERYSTRING_EXPIRE: it is signed as at the start of
  that window, on every server alike, so browsers and proxies keep the picture instead of fetching it again
  on every page (a link signed at each render differs every second). It works for the whole window and as
  long after. Each link is signed once per window in a process (about 0.2 ms each), then read from memory.
"""

import datetime
import functools
import threading
import time

import botocore.auth
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage

from .storage import NoUrlMixin, StorageUnavailable


def _errors_as_os_errors(method):
    @functools.wraps(method)
    def wrapper(self, name, *args, **kwargs):
        try:
            return method(self, name, *args, **kwargs)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise FileNotFoundError(f"No such file in the bucket: {name}") from error
            raise StorageUnavailable(f"The bucket refused {method.__name__} of {name}: {error}") from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"The bucket did not answer {method.__name__} of {name}: {error}") from error

    return wrapper


class _BucketErrorsAsOSErrors:
    _open = _errors_as_os_errors(S3Storage._open)
    _save = _errors_as_os_errors(S3Storage._save)
    delete = _errors_as_os_errors(S3Storage.delete)
    exists = _errors_as_os_errors(S3Storage.exists)
    listdir = _errors_as_os_errors(S3Storage.listdir)
    size = _errors_as_os_errors(S3Storage.size)
    get_modified_time = _errors_as_os_errors(S3Storage.get_modified_time)


_signing = threading.Lock()


class PictureS3Storage(_BucketErrorsAsOSErrors, S3Storage):
    """Pictures and their renditions, under signed links that stay the same for a while (or public ones)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.querystring_auth or self.custom_domain or parameters or expire or http_method:
            return super().url(name, parameters, expire, http_method)
        window = max(self.querystring_expire // 2, 1)
        started = time.time() // window * window
        if started != self._signed_window:
            self._signed, self._signed_window = {}, started  # the links of the window before are done with
        if name not in self._signed:
            self._signed[name] = self._url_signed_at(name, datetime.datetime.fromtimestamp(started, tz=datetime.UTC))
        return self._signed[name]

    _signed_window = None

    def _url_signed_at(self, name: str, signed_at: datetime.datetime) -> str:
        # botocore reads the signing time from this one function; it is set only while this link is signed.
        with _signing:
            current = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda remove_tzinfo=True: (
                signed_at.replace(tzinfo=None) if remove_tzinfo else signed_at
            )
            try:
                return super().url(name)
            finally:
                botocore.auth.get_current_datetime = current


class PrivateS3Storage(NoUrlMixin, _BucketErrorsAsOSErrors, S3Storage):
    """Transfer proofs and waiting imports: stored private; only the shop's views read them, with its own key."""
