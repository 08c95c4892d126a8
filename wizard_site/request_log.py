"""One log line per request, and a request id on every log line.

The id comes from the ``X-Request-ID`` header when it is 1-128 characters of ``[A-Za-z0-9._-]``
(a proxy's or a client's), else it is a new uuid4 hex; the response echoes it. It lives in a
context variable for the length of the request, and ``RequestIdFilter`` puts it on every record,
so the lines of ``django.request``, ``sessions_store`` and ``projects`` carry it too.

A request that ends in a 5xx is counted in the store's per-minute error bucket (the health check's
5xx rate): one Redis write, and only then, so a normal request costs no round trip here.
"""

import contextvars
import logging
import re
import time
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from sessions_store.signals import store_error

REQUEST_ID = contextvars.ContextVar("request_id", default=None)
_STORE_FAILED = contextvars.ContextVar("store_failed", default=False)
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")
UNMATCHED = "unmatched"

logger = logging.getLogger("wizard_site.requests")


def request_id_for(request):
    given = request.META.get("HTTP_X_REQUEST_ID", "")  # not request.headers: that copies all of META
    return given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(BaseJsonFormatter):
    """python-json-logger's formatter, minus Django's request object (not data), plus the fields
    of gunicorn's access log (its atoms arrive as the record's args)."""

    ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "M": "duration_ms", "{x-request-id}o": "request_id"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601 with the zone, in UTC
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, field in self.ACCESS_FIELDS.items():
                if atom in record.args:
                    log_data[field] = record.args[atom]
            if str(log_data.get("status", "")).isdigit():
                log_data["status"] = int(log_data["status"])


@receiver(request_finished, dispatch_uid="wizard_site.request_log.forget")
def forget_request(**kwargs):
    REQUEST_ID.set(None)
    _STORE_FAILED.set(False)


def note_store_failure(**kwargs):
    """A store error in this request: its 5xx is not counted (the store can't count it, and the
    health check's Redis check already says so)."""
    _STORE_FAILED.set(True)


def describe_route(request):
    """``(route, step, draft id)`` from the URL pattern that matched, never from the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED, "", None
    from projects.steps import STEP_NAMES

    step = match.kwargs.get("step", "")
    draft_id = match.kwargs.get("draft_id") or match.kwargs.get("session_id")
    return match.view_name, step if step in STEP_NAMES else ("other" if step else ""), str(draft_id) if draft_id else None


class RequestLogMiddleware:
    """Outermost: times the whole request, logs its line, echoes its id."""

    def __init__(self, get_response):
        from . import metrics

        store_error.connect(note_store_failure, dispatch_uid="wizard_site.request_log.store_failed")
        metrics.listen()
        self.get_response = get_response

    def __call__(self, request):
        # Cleared by request_finished, not here: django.request logs a 4xx/5xx after the
        # middleware chain has returned, and that line needs the id too.
        request_id = request_id_for(request)
        REQUEST_ID.set(request_id)
        _STORE_FAILED.set(False)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        self.finish(request, response.status_code, time.perf_counter() - started)
        return response

    def finish(self, request, status, seconds):
        from . import metrics

        route, step, draft_id = describe_route(request)
        logger.info(
            "%s %s %s",
            request.method,
            route,
            status,
            extra={
                "method": request.method, "route": route, "step": step or None, "status": status,
                "duration_ms": round(seconds * 1000, 2), "draft_id": draft_id,
            },
        )
        if settings.METRICS_TOKEN:
            metrics.observe_request(route=route, step=step, method=request.method, status=status, seconds=seconds)
        if status >= 500 and not _STORE_FAILED.get():
            count_server_error()


def count_server_error():
    from sessions_store.store import DraftStoreUnavailable, get_draft_store

    try:
        get_draft_store().note_error()
    except DraftStoreUnavailable:
        pass  # the response is a 5xx already, and the health check's Redis check says why
