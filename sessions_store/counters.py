"""Counters that ride on the store's own round trips: the names to count go with the Lua script
(or pipeline) a draft read or write runs anyway, so counting costs no round trip of its own.

The store knows no names: they are opaque strings given by the app (the project wizard's
vocabulary is projects/analytics.py). Each count goes to two hashes, by the app's clock:

- ``stats:day:<YYYY-MM-DD>``   kept ANALYTICS_RETENTION_DAYS;
- ``stats:hour:<YYYY-MM-DDTHH>`` kept HOUR_KEEP (the last 48 hours, and the current one).

Three ways to count:

- ``draft.count(name)`` / ``draft.count_once(name)``: with that draft's next write, and only if
  the write happens (a refused compare-and-set counts nothing; its retry counts again);
- ``defer(name)``: something that has happened but writes nothing (a refused submit, an error
  page): it goes with this thread's next read or write of any draft, and is given back when
  that call fails. A process that stops first loses what it holds (at most PENDING_MAX names a
  thread); that is the price of adding no round trip. Per thread, not per process: a thread
  never sends another's counts (to a Redis it may not even use: tests point threads elsewhere).
"""

import logging
import threading
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import clock
from .connection import make_key

HOUR_KEEP = 49 * 3600
PENDING_MAX = 2000  # distinct names waiting in one thread; more are dropped, and logged

logger = logging.getLogger("sessions_store")
_local = threading.local()


def _pending():
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = Counter()
    return pending


def defer(*names, amount=1):
    """Count ``names`` with this thread's next draft read or write (see the module docstring)."""
    give_back(Counter({name: amount for name in names}))


def give_back(counts):
    pending = _pending()
    for name, amount in counts.items():
        if name in pending or len(pending) < PENDING_MAX:
            pending[name] += amount
        else:
            logger.warning("counter %s dropped: %s names already wait", name, PENDING_MAX)


def take():
    """Everything deferred in this thread, now owed by the caller (give_back() if it fails)."""
    taken = _pending()
    _local.pending = Counter()
    return taken


def forget_pending():
    """Drop what is deferred (tests: a test's counts must not leak into the next one)."""
    take()


def day_label(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d")


def hour_label(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H")


def day_key(label):
    return make_key("stats", f"day:{label}")


def hour_key(label):
    return make_key("stats", f"hour:{label}")


def day_keep():
    return settings.ANALYTICS_RETENTION_DAYS * 86400


def script_tail(counts):
    """The ARGV tail a script's count block reads from the end (redis_scripts._COUNT):
    ``day key, hour key, day ttl, hour ttl, name 1, amount 1, ..., name N, amount N, N``;
    just ``0`` when there is nothing to count."""
    counts = {name: amount for name, amount in counts.items() if amount}
    if not counts:
        return [0]
    now = clock.now()
    tail = [day_key(day_label(now)), hour_key(hour_label(now)), day_keep(), HOUR_KEEP]
    for name, amount in counts.items():
        tail += [name, amount]
    return tail + [len(counts)]


def add_to_pipeline(pipe, counts):
    """The same increments as commands queued on ``pipe`` (for a pipeline the caller runs anyway)."""
    counts = {name: amount for name, amount in counts.items() if amount}
    if not counts:
        return
    now = clock.now()
    for key, keep in ((day_key(day_label(now)), day_keep()), (hour_key(hour_label(now)), HOUR_KEEP)):
        for name, amount in counts.items():
            pipe.hincrby(key, name, amount)
        pipe.expire(key, keep)


def days_between(start, end):
    """The dates from ``start`` to ``end``, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
