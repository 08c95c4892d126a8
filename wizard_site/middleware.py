"""The draft store's failures and refusals as pages, for every HTML view (the wizard answers a
Redis outage itself, with the user's input; the API and autosave answer in JSON themselves):

- the draft store is unavailable: a 503 page, never a 500;
- too many lookups of missing drafts: a 429 page;
- a draft the request may not open: the project it became, a 410 for its expired or discarded
  draft (with its Restore button while it can be restored), a 403 for its own draft in another
  browser, or a 404.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from projects import access
from sessions_store import clock
from sessions_store.log import log_action
from sessions_store.store import DraftStoreUnavailable

from .errors import not_found

logger = logging.getLogger("sessions_store")


class DraftErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, access.DraftRefused):
            return refusal_response(request, exception)
        if isinstance(exception, DraftStoreUnavailable):
            logger.error("draft store unavailable on %s %s: %s", request.method, request.path, exception)
            response = TemplateResponse(request, "503.html", {"reason": "drafts"}, status=503)
            response["Retry-After"] = "30"
            return response.render()
        return None


def refusal_response(request, refused):
    if refused.kind == access.COMMITTED:
        messages.info(request, "This project has already been created.")
        return redirect(refused.project)
    if refused.kind == access.EXPIRED:
        log_action("expire", refused.draft_id)
        return TemplateResponse(request, "projects/draft_expired.html", status=410).render()
    if refused.kind == access.DISCARDED:
        context = {"ended": refused.ended, "now": clock.now(), "restore_minutes": settings.DRAFT_RESTORE_SECONDS // 60}
        return TemplateResponse(request, "projects/draft_discarded.html", context, status=410).render()
    if refused.kind == access.LIMITED:
        return too_many_lookups(request, refused.retry_after)
    if refused.kind == access.OTHER_BROWSER:
        # 403, not 404: the request holds the token that made the draft, the draft is there and
        # safe, and it is refused only here. A 404 would tell the person (and their browser's
        # history) that it is gone. Nothing of the draft is shown.
        return TemplateResponse(
            request, "projects/draft_other_browser.html", {"started_in": refused.started_in}, status=403
        ).render()
    return not_found(request)


def too_many_lookups(request, retry_after):
    response = TemplateResponse(
        request,
        "429.html",
        {"why": "Too many requests for drafts that could not be found came from your network."},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response.render()


def private_pages(get_response):
    """``Cache-Control: no-store, private`` on every response the app renders itself (issue 12
    L5): pages show a draft, a project or an account, even the home page names who is signed in,
    and a shared computer's browser cache or a proxy must keep none of them. A response that says
    ``no-store`` already (the API's) is left as it is; static files never reach this (WhiteNoise
    answers them first)."""

    def middleware(request):
        response = get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response

    return middleware
