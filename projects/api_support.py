"""JSON answers shared by the session API and the autosave endpoint.

Errors are ``{"error": {"code", "message", "fields"?}}`` with the seeds' codes. ``X-Debug: true``
adds a ``debug`` object, and only when DEBUG is on.
"""

import time

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse

from sessions_store.limits import record_miss

from .models import Project


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


def not_found(request):
    """SESSION_NOT_FOUND, or TOO_MANY_ATTEMPTS once this IP has missed SESSION_MAX_ATTEMPTS times."""
    verdict = record_miss(request)
    if not verdict.allowed:
        return ApiError(
            429,
            "TOO_MANY_ATTEMPTS",
            "Too many requests for drafts that could not be found came from your network. "
            f"Try again in {verdict.retry_after} seconds.",
            retry_after=verdict.retry_after,
        )
    return ApiError(404, "SESSION_NOT_FOUND", "There is no draft with this id, or it is not yours.")


def check_access(request, owner, draft, tomb_owner, draft_id):
    """Raise the error a request for ``draft_id`` gets, if any: the pages' rules, as JSON."""
    if draft is not None:
        if owner is None or not owner.owns(draft):
            raise not_found(request)
        return
    user = request.user
    if user.is_authenticated:
        project = Project.objects.filter(draft_id=draft_id, owner=user).only("id").first()
        if project is not None:
            raise ApiError(
                410,
                "SESSION_EXPIRED",
                "This draft has already become a project.",
                projectId=project.pk,
                projectUrl=reverse("projects:detail", args=[project.pk]),
            )
    if tomb_owner and owner is not None and tomb_owner == owner.key:
        raise ApiError(410, "SESSION_EXPIRED", "This draft has expired. Start a new one.")
    raise not_found(request)


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


def rate_limited(verdict):
    return ApiError(
        429,
        "RATE_LIMITED",
        f"Too many drafts were started from your network. Try again in {verdict.retry_after} seconds.",
        retry_after=verdict.retry_after,
    )


def too_large():
    return ApiError(
        413,
        "PAYLOAD_TOO_LARGE",
        f"This draft would be larger than {settings.SESSION_MAX_BYTES // 1024} KB. Shorten the longest answers.",
    )
