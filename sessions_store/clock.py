"""The draft store's clock: one place to read "now", and one place for tests to move it.

Redis expiry runs on Redis's own clock; this clock stamps created_at / last_activity / expires_at
and drives everything the app computes from them, so tests can travel in time without sleeping.
"""

from datetime import timedelta

from django.utils import timezone

_offset = timedelta(0)


def now():
    return timezone.now() + _offset


def travel(delta):
    """Move the clock forward (or back) by ``delta``; returns the new now()."""
    global _offset
    _offset += delta
    return now()


def reset():
    global _offset
    _offset = timedelta(0)
