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

import hashlib
import ipaddress
import unicodedata
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


# --- Signing in and signing up (issue 12 item 4) ------------------------------------------------------
#
# Failures are counted three ways within SIGN_IN_FAILURE_WINDOW seconds, as django-axes combines
# username and IP, so that nobody elsewhere can lock a real user out:
# - per (name, IP) pair, up to SIGN_IN_MAX_FAILURES: the guesser at one account from one address;
# - per IP, up to SIGN_IN_MAX_FAILURES_PER_IP (much higher): one address trying many names;
# - per name, up to SIGN_IN_MAX_FAILURES_PER_USERNAME, which refuses only addresses this name has
#   not signed in from before (``known:<name>``, kept SIGN_IN_KNOWN_ADDRESS_TTL): a botnet at one
#   account is stopped, and its owner, at home, still gets in.
# Names are counted case-insensitively and hashed (a key never holds what someone typed).

# KEYS: pair, ip, name, known   ARGV: ip, max pair, max ip, max name. Returns the seconds to wait.
SIGN_IN_CHECK = """
local function wait(key, limit)
  local count = tonumber(redis.call('GET', key) or '0')
  if count < limit then return 0 end
  return math.max(redis.call('TTL', key), 1)
end
local seconds = math.max(wait(KEYS[1], tonumber(ARGV[2])), wait(KEYS[2], tonumber(ARGV[3])))
if seconds == 0 and redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 0 then
  seconds = wait(KEYS[3], tonumber(ARGV[4]))
end
return seconds
"""

# KEYS: the counters to count one failure on   ARGV: window seconds
SIGN_IN_FAILED = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 1
"""

# KEYS: pair, known   ARGV: ip, known-address seconds
SIGN_IN_SUCCEEDED = """
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""


def _counted_name(name):
    """The name as the sign-in form reads it (Django's UsernameField: stripped, then NFKC, so
    "ｏｗｎｅｒ" signs in as "owner"), case-folded; NFKC only up to the form's length, as Django."""
    name = name.strip()
    if len(name) <= 150:
        name = unicodedata.normalize("NFKC", name)
    return name.lower()


def _sign_in_keys(request, kind, name):
    ip = client_ip(request)
    who = hashlib.sha256(_counted_name(name).encode("utf-8", "replace")).hexdigest()[:32]
    return ip, {
        "pair": make_key("limit", f"{kind}-pair:{who}:{ip}"),
        "ip": make_key("limit", f"{kind}-ip:{ip}"),
        "name": make_key("limit", f"{kind}-name:{who}"),
        "known": make_key("limit", f"{kind}-known:{who}"),
    }


def allow_sign_in(request, *, kind, name):
    """May this request try to sign in (or up, ``kind``) as ``name``? One round trip, counting
    nothing: only failures count (sign_in_failed)."""
    ip, keys = _sign_in_keys(request, kind, name)
    limits = (settings.SIGN_IN_MAX_FAILURES, settings.SIGN_IN_MAX_FAILURES_PER_IP, settings.SIGN_IN_MAX_FAILURES_PER_USERNAME)
    try:
        seconds = int(script(SIGN_IN_CHECK)(keys=[keys["pair"], keys["ip"], keys["name"], keys["known"]], args=[ip, *limits]))
    except RedisError:
        return Verdict(allowed=True)
    return Verdict(allowed=seconds == 0, retry_after=seconds, kind=kind)


def sign_in_failed(request, *, kind, name):
    _, keys = _sign_in_keys(request, kind, name)
    try:
        script(SIGN_IN_FAILED)(keys=[keys["pair"], keys["ip"], keys["name"]], args=[settings.SIGN_IN_FAILURE_WINDOW])
    except RedisError:
        pass


def sign_in_succeeded(request, *, kind, name):
    """The pair's failures are forgiven, and this address becomes known for ``name``."""
    ip, keys = _sign_in_keys(request, kind, name)
    try:
        script(SIGN_IN_SUCCEEDED)(keys=[keys["pair"], keys["known"]], args=[ip, settings.SIGN_IN_KNOWN_ADDRESS_TTL])
    except RedisError:
        pass
