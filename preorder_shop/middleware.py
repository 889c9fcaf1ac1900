from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
