"""Per-IP limits kept in Redis (the seed's SESSION_RATE_LIMIT and SESSION_MAX_ATTEMPTS).

- Creating drafts: at most SESSION_RATE_LIMIT per minute per IP address, whether through the
  wizard's first step, an autosave or ``POST /api/sessions``.
- Looking up drafts that are not there: after SESSION_MAX_ATTEMPTS misses (unknown, or someone
  else's: a 404; the owner's own expired draft, a 410, is not a miss) within SESSION_ATTEMPT_WINDOW seconds, every further miss from that IP is
  refused until the window ends, so draft ids cannot be guessed at speed. The counter is read
  only on the miss path: a lookup of one's own draft costs no extra round trip.
- Emailing a link to a draft: at most DRAFT_LINK_MAX_PER_DRAFT per draft and DRAFT_LINK_MAX_PER_IP
  per IP within DRAFT_LINK_WINDOW seconds, so nobody can mail-bomb an address through us.

A fixed window per key: one INCR (+ EXPIRE on the first hit) in a script, one round trip. If
Redis is down the limit is not enforced; the request then fails on the draft store anyway.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from .connection import make_key
from .redis_scripts import script

# A fixed-window counter. KEYS: counter   ARGV: window seconds
HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


@dataclass
class Verdict:
    allowed: bool
    retry_after: int = 0
    kind: str = ""  # which limit refused


def client_ip(request):
    """The address limits count against: REMOTE_ADDR (set it from X-Forwarded-For in the proxy
    layer, see owners.request_metadata); an IPv6 address counts as its network of
    SESSION_IPV6_PREFIX bits (/48 by default: what one site is usually given), so rotating
    addresses, or /64s, inside it gains nothing."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/{settings.SESSION_IPV6_PREFIX}", strict=False))


def _hit(kind, ident, limit, window):
    """Count one hit on ``limit:<kind>:<ident>`` in a fixed window: one round trip."""
    try:
        count, ttl = script(HIT)(keys=[make_key("limit", f"{kind}:{ident}")], args=[window])
    except RedisError:
        return Verdict(allowed=True)
    count, ttl = int(count), max(int(ttl), 1)
    return Verdict(allowed=count <= limit, retry_after=ttl if count > limit else 0)


def allow_creation(request):
    """Count one draft creation from this IP; refused over SESSION_RATE_LIMIT a minute."""
    return _hit("create", client_ip(request), settings.SESSION_RATE_LIMIT, 60)


def record_miss(request):
    """Count one lookup of a draft this IP may not see; refused over SESSION_MAX_ATTEMPTS."""
    return _hit("miss", client_ip(request), settings.SESSION_MAX_ATTEMPTS, settings.SESSION_ATTEMPT_WINDOW)


def allow_link_email(request, draft_id):
    """Count one emailed link to ``draft_id`` from this IP; the first limit it passes refuses."""
    window = settings.DRAFT_LINK_WINDOW
    for kind, ident, limit in (
        ("link-ip", client_ip(request), settings.DRAFT_LINK_MAX_PER_IP),
        ("link-draft", draft_id, settings.DRAFT_LINK_MAX_PER_DRAFT),
    ):
        verdict = _hit(kind, ident, limit, window)
        if not verdict.allowed:
            verdict.kind = kind
            return verdict
    return Verdict(allowed=True)
