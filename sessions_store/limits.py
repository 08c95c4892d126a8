"""Per-IP limits kept in Redis (the seed's SESSION_RATE_LIMIT and SESSION_MAX_ATTEMPTS).

- Creating drafts: at most SESSION_RATE_LIMIT per minute per IP address, whether through the
  wizard's first step, an autosave or ``POST /api/sessions``.
- Looking up drafts that are not there: after SESSION_MAX_ATTEMPTS misses (unknown, or someone
  else's: a 404; the owner's own expired draft, a 410, is not a miss) within SESSION_ATTEMPT_WINDOW seconds, every further miss from that IP is
  refused until the window ends, so draft ids cannot be guessed at speed. The counter is read
  only on the miss path: a lookup of one's own draft costs no extra round trip.

A fixed window per key: one INCR (+ EXPIRE on the first hit) in a script, one round trip. If
Redis is down the limit is not enforced; the request then fails on the draft store anyway.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from .store import get_draft_store

class TooManyLookups(Exception):
    """A page that cannot answer the refusal itself raises this; the middleware shows a 429 page."""

    def __init__(self, retry_after):
        super().__init__(f"too many lookups of missing drafts; retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass
class Verdict:
    allowed: bool
    count: int = 0
    retry_after: int = 0


def client_ip(request):
    """The address limits count against: REMOTE_ADDR (set it from X-Forwarded-For in the proxy
    layer, see drafts.request_metadata); an IPv6 address counts as its /64, which one
    customer usually holds whole, so rotating addresses inside it gains nothing."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _hit(kind, ident, limit, window):
    try:
        count, ttl = get_draft_store().count_hit(f"{kind}:{ident}", window)
    except RedisError:
        return Verdict(allowed=True)
    return Verdict(allowed=count <= limit, count=count, retry_after=ttl if count > limit else 0)


def allow_creation(request):
    """Count one draft creation from this IP; refused over SESSION_RATE_LIMIT a minute."""
    return _hit("create", client_ip(request), settings.SESSION_RATE_LIMIT, 60)


def record_miss(request):
    """Count one lookup of a draft this IP may not see; refused over SESSION_MAX_ATTEMPTS."""
    return _hit("miss", client_ip(request), settings.SESSION_MAX_ATTEMPTS, settings.SESSION_ATTEMPT_WINDOW)
