"""Prometheus metrics at /metrics (prometheus-client), for whoever holds METRICS_TOKEN.

- ``wizard_request_duration_seconds``: a histogram by route (the URL pattern's name), step,
  method and status, observed by ``request_log.RequestLogMiddleware``;
- ``wizard_draft_operations_total``: draft actions by action and outcome, from the store's
  ``draft_action`` signal (the store itself knows nothing of Prometheus);
- ``wizard_redis_errors_total``: the store's backend errors (its ``store_error`` signal);
- at scrape time, from one ``vitals()`` round trip: ``wizard_drafts_live`` (the index's
  cardinality), ``wizard_redis_memory_used_bytes``, ``wizard_redis_memory_max_bytes`` and
  ``wizard_redis_memory_share``, and ``wizard_store_up``.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty folder, per start): each worker writes its
samples there and a scrape adds them up (``wizard_site/gunicorn.conf.py`` cleans up after dead
workers). Without it the process's own registry is served.
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from sessions_store.signals import draft_action, store_error
from sessions_store.store import DraftStoreUnavailable, get_draft_store

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUEST_SECONDS = Histogram(
    "wizard_request_duration_seconds",
    "Time to answer a request, by route (URL pattern name), wizard step, method and status.",
    ["route", "step", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DRAFT_OPERATIONS = Counter("wizard_draft_operations", "Draft store actions, by action and outcome.", ["action", "outcome"])
REDIS_ERRORS = Counter("wizard_redis_errors", "Errors of the draft store's Redis (each one a 503 for someone).")


def observe_request(*, route, step, method, status, seconds):
    method = method if method in METHODS else "other"
    REQUEST_SECONDS.labels(route=route, step=step, method=method, status=str(status)).observe(seconds)


def _count_action(*, action, success, **kwargs):
    if settings.METRICS_TOKEN:
        DRAFT_OPERATIONS.labels(action=action, outcome="success" if success else "error").inc()


def _count_error(**kwargs):
    if settings.METRICS_TOKEN:
        REDIS_ERRORS.inc()


def listen():
    """Count the store's signals (idempotent: the middleware calls it as each handler starts)."""
    draft_action.connect(_count_action, dispatch_uid="wizard_site.metrics.actions")
    store_error.connect(_count_error, dispatch_uid="wizard_site.metrics.errors")


class StoreCollector:
    """What the store says at scrape time (never a keyspace scan: ZCARD and INFO)."""

    def collect(self):
        up = GaugeMetricFamily("wizard_store_up", "1 when the draft store answered this scrape.")
        try:
            vitals = get_draft_store().vitals(minutes=1)
        except DraftStoreUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("wizard_drafts_live", "Live drafts (the draft index's cardinality).", value=vitals.live_drafts)
        yield GaugeMetricFamily("wizard_redis_memory_used_bytes", "Memory Redis uses (INFO used_memory).", value=vitals.memory_used)
        yield GaugeMetricFamily("wizard_redis_memory_max_bytes", "Redis maxmemory (0: no limit).", value=vitals.memory_max)
        if vitals.memory_share is not None:
            yield GaugeMetricFamily("wizard_redis_memory_share", "used_memory / maxmemory.", value=vitals.memory_share)


_store_collector = StoreCollector()
_own_registry = []  # the process's registry with the store collector, once registered


def scrape_registry():
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(_store_collector)
        return registry
    if not _own_registry:
        REGISTRY.register(_store_collector)
        _own_registry.append(REGISTRY)
    return REGISTRY


def authorized(request):
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@require_GET
def metrics_view(request):
    """404 unless metrics are on and the bearer token is right (nothing tells the endpoint is there)."""
    if not authorized(request):
        raise Http404
    response = HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
