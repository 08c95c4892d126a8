"""The store's one lock: ``SET key token NX PX``, released or refreshed only by the token's holder.

The commit lock of a draft (``commit:<id>``) is taken by the load script in the same round trip
as the draft when it can be (see redis_scripts.LOAD), with this same protocol; a request that
has to wait for it, and the cleanup command, take it here.
"""

import secrets
import time

from redis.exceptions import RedisError

from .connection import make_key, redis, unavailable_on_redis_error
from .redis_scripts import script
from .store import StoreLock

# KEYS: lock   ARGV: token
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lock   ARGV: token, ms
REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

POLL_SECONDS = 0.05


class RedisLock(StoreLock):
    def __init__(self, name, *, timeout, token=None, held=False):
        self.key = make_key(name)
        self.timeout_ms = int(timeout * 1000)
        self.token = token or secrets.token_hex(16)
        self.held = held

    @unavailable_on_redis_error
    def acquire(self, *, wait=0):
        deadline = time.monotonic() + wait
        while True:
            if redis().set(self.key, self.token, nx=True, px=self.timeout_ms):
                self.held = True
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    @unavailable_on_redis_error
    def refresh(self):
        return bool(script(REFRESH)(keys=[self.key], args=[self.token, self.timeout_ms]))

    def release(self):
        """Never raises: a lock that expired, or whose Redis is gone, times out by itself (and
        a failure here must not hide what the caller was doing, such as a completed commit)."""
        if not self.held:
            return
        self.held = False
        try:
            script(RELEASE)(keys=[self.key], args=[self.token])
        except RedisError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.release()
