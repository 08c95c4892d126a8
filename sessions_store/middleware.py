"""A Redis outage answers a clear 503 page, never a 500 (the wizard view re-renders input itself);
too many lookups of missing drafts answer a 429 page."""

import logging

from django.template.response import TemplateResponse

from .limits import TooManyLookups
from .store import DraftStoreUnavailable

logger = logging.getLogger("sessions_store")


class DraftStoreUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, TooManyLookups):
            response = TemplateResponse(
                request,
                "429.html",
                {"why": "Too many requests for drafts that could not be found came from your network."},
                status=429,
            )
            response["Retry-After"] = str(exception.retry_after)
            return response.render()
        if not isinstance(exception, DraftStoreUnavailable):
            return None
        logger.error("draft store unavailable on %s %s: %s", request.method, request.path, exception)
        response = TemplateResponse(request, "503.html", {"reason": "drafts"}, status=503)
        response["Retry-After"] = "30"
        return response.render()
