"""The storages on an S3-compatible bucket (django-storages with boto3): imported only when a bucket is set.

Two things on top of django-storages' S3Storage:
- A bucket that does not answer, or refuses, raises OSError (StorageUnavailable), as a full or unwritable
  disk does, so the shop's handling of that (a clear message, nothing half recorded) holds for both: when a
  file is stored, opened, or read after opening (S3File downloads on the first read). A missing object
  raises FileNotFoundError.
- A picture's signed link stays the same for half of AWS_QUERYSTRING_EXPIRE: it is signed as at the start of
  that window, on every server alike, so browsers and proxies keep the picture instead of fetching it again
  on every page (a link signed at each render differs every second). It works for the whole window and as
  long after. Each link is signed once per window in a process (about 0.2 ms each), then read from memory.
  Only with the shop's own long-lived key (AWS_ACCESS_KEY_ID): a link signed with a role's temporary
  credentials lasts no longer than they do, so those are signed at each render.
"""

import contextlib
import datetime
import functools
import threading
import time

import botocore.auth
from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.exceptions import RetriesExceededError
from storages.backends.s3 import S3File, S3Storage

from .storage import NoUrlMixin, StorageUnavailable

# Not found: the object (NoSuchKey), or a HEAD's bodiless 404. A missing bucket is the storage's fault.
_MISSING = {"NoSuchKey", "404"}


@contextlib.contextmanager
def _bucket_errors_as_os_errors(what: str, name: str, *, missing_is_an_error: bool = True):
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if missing_is_an_error and code in _MISSING:
            raise FileNotFoundError(f"No such file in the bucket: {name}") from error
        raise StorageUnavailable(f"The bucket refused to {what} {name}: {error}") from error
    except (BotoCoreError, Boto3Error, RetriesExceededError) as error:  # boto3's transfers (uploads, downloads)
        raise StorageUnavailable(f"The bucket did not answer to {what} {name}: {error}") from error


def _errors_as_os_errors(method, *, missing_is_an_error: bool = True):
    @functools.wraps(method)
    def wrapper(self, name, *args, **kwargs):
        with _bucket_errors_as_os_errors(method.__name__, name, missing_is_an_error=missing_is_an_error):
            return method(self, name, *args, **kwargs)

    return wrapper


class _S3File(S3File):
    """S3File, whose download on the first read fails as a disk's read does."""

    def _get_file(self):
        try:
            with _bucket_errors_as_os_errors("read", self.name):
                return super()._get_file()
        except OSError:
            self._file = None  # a download that broke off is not the file
            raise

    file = property(_get_file, S3File._set_file)


class _BucketErrorsAsOSErrors:
    _save = _errors_as_os_errors(S3Storage._save, missing_is_an_error=False)
    delete = _errors_as_os_errors(S3Storage.delete)
    exists = _errors_as_os_errors(S3Storage.exists)
    listdir = _errors_as_os_errors(S3Storage.listdir)
    size = _errors_as_os_errors(S3Storage.size)
    get_modified_time = _errors_as_os_errors(S3Storage.get_modified_time)

    def _open(self, name, mode="rb"):
        with _bucket_errors_as_os_errors("open", name):
            return _S3File(self._normalize_name(name), mode, self)


# The signing time of the link this thread signs now; botocore asks for the time through one function, which
# answers it to this thread only, and the real time to every other request, in every thread.
_signing = threading.local()
_botocore_now = botocore.auth.get_current_datetime


def _signing_datetime(remove_tzinfo=True):
    fixed = getattr(_signing, "at", None)
    if fixed is None:
        return _botocore_now(remove_tzinfo)
    return fixed.replace(tzinfo=None) if remove_tzinfo else fixed


botocore.auth.get_current_datetime = _signing_datetime


@contextlib.contextmanager
def _signed_as_at(moment: datetime.datetime):
    _signing.at = moment
    try:
        yield
    finally:
        _signing.at = None


class PictureS3Storage(_BucketErrorsAsOSErrors, S3Storage):
    """Pictures and their renditions, under signed links that stay the same for a while (or public ones)."""

    _signed_window = None

    def url(self, name, parameters=None, expire=None, http_method=None):
        stable = self.querystring_auth and self.access_key and self.secret_key and not self.security_token
        if not stable or self.custom_domain or parameters or expire or http_method:
            return super().url(name, parameters, expire, http_method)
        window = max(self.querystring_expire // 2, 1)
        started = time.time() // window * window
        if started != self._signed_window:
            self._signed, self._signed_window = {}, started  # the links of the window before are done with
        if name not in self._signed:
            with _signed_as_at(datetime.datetime.fromtimestamp(started, tz=datetime.UTC)):
                self._signed[name] = super().url(name)
        return self._signed[name]


class PrivateS3Storage(NoUrlMixin, _BucketErrorsAsOSErrors, S3Storage):
    """Transfer proofs and waiting imports: stored private; only the shop's views read them, with its own key."""
