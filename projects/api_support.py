"""JSON answers shared by the session API and the autosave endpoint.

Errors are ``{"error": {"code", "message", "fields"?}}`` with the seeds' codes. ``X-Debug: true``
adds a ``debug`` object, and only when DEBUG is on.
"""

import time

from django.conf import settings
from django.http import JsonResponse
from django.template.defaultfilters import pluralize
from django.urls import reverse

from sessions_store.owners import request_owner
from sessions_store.store import DraftConflict, DraftGone, DraftStoreUnavailable, DraftTooLarge, OwnerAtCap

from . import access, steps
from .selectors import drafts_of_owner
from .services import DraftConflicts, DraftStale, RateLimited, StepsInvalid, StoreFull


class ApiError(Exception):
    def __init__(self, status, code, message, fields=None, retry_after=None, **extra):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.retry_after, self.extra = fields, retry_after, extra


def debug_wanted(request):
    return settings.DEBUG and request.headers.get("X-Debug", "").lower() == "true"


def json_response(request, payload, status=200, debug=None):
    if debug_wanted(request):
        payload = dict(payload)
        payload["debug"] = {
            "durationMs": round((time.perf_counter() - getattr(request, "_api_started", time.perf_counter())) * 1000, 2),
            "method": request.method,
            "path": request.path,
            **(debug or {}),
        }
    response = JsonResponse(payload, status=status, json_dumps_params={"separators": (",", ":")})
    # Drafts are personal: never cached by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


def error_response(request, error, debug=None):
    body = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    body.update(error.extra)
    response = json_response(request, {"error": body}, status=error.status, debug=debug)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def refusal_error(refused):
    """The error a request for a draft it may not open gets: the pages' rules, as JSON."""
    if refused.kind == access.COMMITTED:
        return ApiError(
            410,
            "SESSION_EXPIRED",
            "This draft has already become a project.",
            projectId=refused.project.pk,
            projectUrl=reverse("projects:detail", args=[refused.project.pk]),
        )
    if refused.kind == access.EXPIRED:
        return ApiError(410, "SESSION_EXPIRED", "This draft has expired. Start a new one.")
    if refused.kind == access.DISCARDED:
        ended = refused.ended
        if not ended.restorable:
            return ApiError(410, "SESSION_DISCARDED", "This draft was discarded and can no longer be restored.", restorableUntil=None)
        return ApiError(
            410,
            "SESSION_DISCARDED",
            "This draft was discarded. It can be restored from your drafts until restorableUntil.",
            restorableUntil=ended.restorable_until.isoformat(),
            restoreUrl=reverse("projects:draft_restore", args=[ended.id]),
        )
    if refused.kind == access.LIMITED:
        return ApiError(
            429,
            "TOO_MANY_ATTEMPTS",
            "Too many requests for drafts that could not be found came from your network. "
            f"Try again in {refused.retry_after} seconds.",
            retry_after=refused.retry_after,
        )
    # OTHER_BROWSER too: the API's contract has no such case, and a client is told no more than
    # before the pages learnt to explain it.
    return ApiError(404, "SESSION_NOT_FOUND", "There is no draft with this id, or it is not yours.")


def steps_error(invalid, fields=None):
    """Values that don't validate are VALIDATION_FAILED; a step out of order is INVALID_STEP."""
    if invalid.errors:
        return ApiError(400, "VALIDATION_FAILED", invalid.message, fields=fields or invalid.errors)
    return ApiError(400, "INVALID_STEP", invalid.message)


def unavailable():
    return ApiError(
        503,
        "SERVICE_UNAVAILABLE",
        "Drafts cannot be saved or read right now: our draft storage is not responding. Try again shortly.",
        retry_after=30,
    )


def conflict():
    return ApiError(
        409,
        "SESSION_CONFLICT",
        "This draft was changed elsewhere (another tab, window or device) since you loaded it. "
        "Reload it before saving again.",
    )


def _same(key):
    return key


def conflicts_error(exc, name=_same):
    """409 listing each answer changed both here and elsewhere, with both values: nothing was
    saved, and the caller chooses (a write carrying ``version`` is merged over the latest)."""
    error = conflict()
    error.message = (
        "Some answers were changed elsewhere (another tab, window or device) since you loaded "
        "this draft, differently from yours. Choose which to keep and save again."
    )
    error.extra = {
        "version": exc.draft.revision,
        "conflicts": {name(key): {"yours": mine, "theirs": theirs} for key, (mine, theirs) in exc.conflicts.items()},
    }
    if name is _same:
        # For the page: the answers merged in from elsewhere, to show before the person chooses
        # (the conflicting ones stay as typed), so that saving again loses none of them.
        error.extra["merged"] = exc.merged
    return error


def rate_limited(retry_after):
    return ApiError(
        429,
        "RATE_LIMITED",
        f"Too many drafts were started from your network. Try again in {retry_after} seconds.",
        retry_after=retry_after,
    )


def store_full():
    return ApiError(
        503,
        "STORE_FULL",
        "New drafts can't be started right now because the draft storage is nearly full. Drafts already started keep saving.",
        retry_after=300,
    )


def owner_at_cap(request):
    """409 with the owner's drafts, each to resume or discard."""
    drafts = drafts_of_owner(owner=request_owner(request))
    listed = [
        {
            "sessionId": draft.id,
            "title": steps.draft_title(draft),
            "resumeUrl": reverse("projects:wizard_resume", args=[draft.id]),
            "discardUrl": reverse("projects:draft_discard", args=[draft.id]),
        }
        for draft in drafts
    ]
    return ApiError(
        409,
        "TOO_MANY_DRAFTS",
        f"You already have {len(listed)} unfinished draft{pluralize(len(listed))}, the most you can keep at once. "
        "Resume one or discard one, then try again.",
        drafts=listed,
    )


def too_large():
    return ApiError(
        413,
        "PAYLOAD_TOO_LARGE",
        f"This draft would be larger than {settings.SESSION_MAX_BYTES // 1024} KB. Shorten the longest answers.",
    )


def api_view(methods):
    """Method dispatch, and JSON errors for everything: refusals, the services' outcomes and the
    store's failures (503/409/410/413)."""

    def decorate(handlers):
        def view(request, *args, **kwargs):
            request._api_started = time.perf_counter()
            handler = handlers.get(request.method)
            if handler is None:
                response = error_response(
                    request,
                    ApiError(405, "METHOD_NOT_ALLOWED", f"Use {', '.join(methods)} here."),
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return handler(request, *args, **kwargs)
            except ApiError as error:
                return error_response(request, error)
            except access.DraftRefused as refused:
                return error_response(request, refusal_error(refused))
            except StepsInvalid as invalid:
                return error_response(request, steps_error(invalid))
            except DraftConflicts as conflicts:
                return error_response(request, conflicts_error(conflicts))
            except RateLimited as limited:
                return error_response(request, rate_limited(limited.retry_after))
            except StoreFull:
                return error_response(request, store_full())
            except OwnerAtCap:
                return error_response(request, owner_at_cap(request))
            except DraftStoreUnavailable as exc:
                return error_response(request, unavailable(), debug={"exception": repr(exc)})
            except (DraftConflict, DraftStale):
                return error_response(request, conflict())
            except DraftGone:
                return error_response(request, ApiError(410, "SESSION_EXPIRED", "This draft no longer exists."))
            except DraftTooLarge:
                return error_response(request, too_large())

        return view

    return decorate
