"""The draft store's failures and refusals as pages, for every HTML view (the wizard answers a
Redis outage itself, with the user's input; the API and autosave answer in JSON themselves):

- the draft store is unavailable: a 503 page, never a 500;
- too many lookups of missing drafts: a 429 page;
- a draft the request may not open: the project it became, a 410 for its expired or discarded
  draft (with its Restore button while it can be restored), a 403 for its own draft in another
  browser, or a 404;
- the database is unreachable (even loading the signed-in user fails): a 503 page, or JSON for
  the API and autosave, never a 500. The wizard answers it itself, with the person's input.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db.utils import InterfaceError, OperationalError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from projects import access
from sessions_store import clock
from sessions_store.log import log_action
from sessions_store.store import DraftStoreUnavailable

from .errors import json_error, not_found, wants_json

logger = logging.getLogger("sessions_store")
# Errors of a database that can't be reached (not of a query): answered with a 503.
DATABASE_DOWN = (OperationalError, InterfaceError)


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
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request, exception)
        return None


def database_unavailable(request, exception):
    """503 while the database can't be reached: the page (its header must not ask the database
    who is signed in), or JSON for the API and autosave. Drafts in Redis are untouched."""
    logging.getLogger("projects").error("database unavailable on %s %s: %s", request.method, request.path, exception)
    request.user = AnonymousUser()
    message = "Our database is not responding right now. Nothing already saved has been lost: please try again in a minute."
    if wants_json(request):
        response = json_error(request, 503, "DATABASE_UNAVAILABLE", message)
    else:
        response = TemplateResponse(request, "503.html", {"reason": "database"}, status=503).render()
    response["Retry-After"] = "30"
    return response


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
