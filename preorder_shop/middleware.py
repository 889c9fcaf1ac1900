import logging

from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from .storage import storage_trouble

logger = logging.getLogger(__name__)


class ShopLocaleMiddleware(LocaleMiddleware):
    """Indonesian unless the visitor chose English with the language switch.

    Many Indonesian phones are set to English while their owners shop in
    Indonesian, so the browser's Accept-Language is not followed: only the
    language cookie that Django's set_language view writes is.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than any form of the shop needs (a 5 MB proof and its fields), before reading it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length", status=400)
        if length > settings.REQUEST_MAX_BYTES:
            return HttpResponse("Request too large", status=413)
        return self.get_response(request)


class StorageTroubleMiddleware:
    """A bucket that does not answer, or a full disk, while a view stores or reads a file: a page that says so
    (503), not a server error. The view raised before its transaction committed, so nothing was recorded; the
    error is still logged for the operator."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not storage_trouble(exception):
            return None
        logger.error("Storage unavailable during %s %s", request.method, request.path, exc_info=exception)
        response = TemplateResponse(request, "storage_unavailable.html", status=503)
        response["Retry-After"] = "60"
        add_never_cache_headers(response)
        return response
