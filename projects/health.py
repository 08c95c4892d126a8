"""GET /api/sessions/health: whether drafts can be served, and what is wearing thin.

- 503 ``unavailable``: Redis or the database does not answer.
- 200 ``degraded``, with ``reasons``: the upload area is missing or not writable; Redis may evict
  drafts (``maxmemory-policy`` other than ``noeviction``) or uses HEALTH_REDIS_MEMORY_PERCENT of
  ``maxmemory``; its append-only file failed its last write or rewrite; the last
  ``cleanup_drafts`` run is older than twice SESSION_CLEANUP_INTERVAL; HEALTH_MAX_5XX requests or
  more failed with a 5xx in the last five minutes.
- 200 ``ok`` otherwise.

Redis answers the ping and then ``vitals()`` (one round trip: INFO memory and persistence, the
cleanup record, the per-minute 5xx buckets).
"""

import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from sessions_store import clock
from sessions_store.memory import memory_reading
from sessions_store.store import DraftStoreUnavailable, get_draft_store

ERROR_WINDOW_MINUTES = 5


def timed(check):
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        return {"ok": False, "latencyMs": round((time.perf_counter() - started) * 1000, 2), "error": type(exc).__name__}
    return {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


def database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def upload_area():
    """Both upload folders are there and a file can really be written (os.access() says yes to
    root on a read-only mount)."""
    for root in (Path(settings.DRAFT_UPLOAD_ROOT), Path(settings.MEDIA_ROOT)):
        root.mkdir(parents=True, exist_ok=True)  # first start; fails when the area is not there
        with tempfile.NamedTemporaryFile(dir=root, prefix=".health-"):
            pass


def redis_memory(vitals):
    limit = settings.HEALTH_REDIS_MEMORY_PERCENT
    percent = round(vitals.memory_share * 100, 1) if vitals.memory_share is not None else None
    reasons = []
    if vitals.eviction_policy != "noeviction":
        reasons.append(f"Redis may evict drafts: maxmemory-policy is {vitals.eviction_policy}, not noeviction.")
    if percent is not None and percent >= limit:
        reasons.append(f"Redis uses {percent}% of maxmemory (the limit is {limit}%).")
    check = {
        "ok": not reasons, "usedBytes": vitals.memory_used, "maxBytes": vitals.memory_max,
        "percent": percent, "limitPercent": limit, "evictionPolicy": vitals.eviction_policy,
    }
    return check, reasons


def aof(vitals):
    check = {"ok": vitals.aof_ok, "enabled": vitals.aof_enabled}
    return check, [] if vitals.aof_ok else ["Redis's append-only file failed its last write or rewrite."]


def cleanup(vitals):
    limit = 2 * settings.SESSION_CLEANUP_INTERVAL
    last = vitals.last_cleanup
    age = round((clock.now() - last).total_seconds()) if last else None
    check = {"ok": age is None or age <= limit, "lastRun": last.isoformat() if last else None, "ageSeconds": age, "maxAgeSeconds": limit}
    return check, [] if check["ok"] else [f"cleanup_drafts last ran {age} s ago (more than {limit} s)."]


def server_errors(vitals):
    limit = settings.HEALTH_MAX_5XX
    count = vitals.recent_errors
    check = {"ok": count < limit, "count": count, "minutes": ERROR_WINDOW_MINUTES, "limit": limit}
    return check, [] if check["ok"] else [f"{count} requests failed with a 5xx in the last {ERROR_WINDOW_MINUTES} minutes."]


# What the store's vitals say (each: check, reasons).
VITALS_CHECKS = {"redisMemory": redis_memory, "aof": aof, "cleanup": cleanup, "serverErrors": server_errors}


def new_drafts_memory():
    """Issue 12's memory guard: how full the drafts Redis is, and whether new drafts are refused
    (REDIS_MEMORY_GUARD_PERCENT). Reported beside the checks, never a failure by itself: drafts
    already started keep saving while new ones are refused."""
    try:
        reading = memory_reading(fresh=True)
    except DraftStoreUnavailable:
        return {"error": "DraftStoreUnavailable"}
    return {"usedBytes": reading.used, "maxBytes": reading.maxmemory, "percent": reading.percent, "newDraftsRefused": reading.full}


def health_report():
    """``(status, reasons, checks)``: ``ok``, ``degraded`` or ``unavailable``."""
    store = get_draft_store()
    checks = {"redis": timed(store.ping), "database": timed(database), "uploads": timed(upload_area)}
    reasons = [] if checks["uploads"]["ok"] else ["The upload area is missing or not writable."]
    if checks["redis"]["ok"]:
        try:
            vitals = store.vitals(minutes=ERROR_WINDOW_MINUTES)
        except DraftStoreUnavailable as exc:
            checks["redis"] = {**checks["redis"], "ok": False, "error": type(exc).__name__}
        else:
            for name, check in VITALS_CHECKS.items():
                checks[name], found = check(vitals)
                reasons.extend(found)
    if not (checks["redis"]["ok"] and checks["database"]["ok"]):
        return "unavailable", reasons, checks
    return ("degraded" if reasons else "ok"), reasons, checks
