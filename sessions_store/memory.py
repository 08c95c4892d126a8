"""How full the drafts Redis is: INFO memory against ``maxmemory``, read at most once every
REDIS_MEMORY_CHECK_SECONDS per process, so the guard on new drafts costs no round trip on most
requests. Under ``noeviction`` a full Redis refuses every write, so new drafts are turned away
first (REDIS_MEMORY_GUARD_PERCENT), while the drafts people are filling in keep saving."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .connection import redis, unavailable_on_redis_error


@dataclass(frozen=True)
class MemoryReading:
    used: int  # bytes
    maxmemory: int  # bytes; 0 = no limit set

    @property
    def percent(self):
        """Used memory as a percentage of maxmemory (None when Redis has no limit)."""
        return round(100 * self.used / self.maxmemory, 1) if self.maxmemory else None

    @property
    def full(self):
        """At or past REDIS_MEMORY_GUARD_PERCENT of maxmemory: no new drafts."""
        return self.maxmemory > 0 and self.used * 100 >= self.maxmemory * settings.REDIS_MEMORY_GUARD_PERCENT


_last = (0.0, None)  # (monotonic time read, MemoryReading)


@unavailable_on_redis_error
def memory_reading(*, fresh=False):
    """The drafts Redis's memory use, at most REDIS_MEMORY_CHECK_SECONDS old (``fresh``: read
    now, as the health check does). DraftStoreUnavailable if Redis can't be reached."""
    global _last
    read_at, reading = _last
    if fresh or reading is None or time.monotonic() - read_at >= settings.REDIS_MEMORY_CHECK_SECONDS:
        info = redis().info("memory")
        reading = MemoryReading(used=int(info["used_memory"]), maxmemory=int(info.get("maxmemory") or 0))
        _last = (time.monotonic(), reading)
    return reading


def forget_reading():
    """Read again on the next call (tests that change maxmemory; a settings change)."""
    global _last
    _last = (0.0, None)


@receiver(setting_changed)
def _forget_on_change(setting, **kwargs):
    if setting in {"CACHES", "REDIS_MEMORY_GUARD_PERCENT", "REDIS_MEMORY_CHECK_SECONDS"}:
        forget_reading()
