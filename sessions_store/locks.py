"""The store's one lock: ``SET key token NX PX``, released or refreshed only by the token's holder.

The commit lock of a draft (``commit:<id>``) is taken by the load script in the same round trip
as the draft when it can be (see redis_scripts.LOAD), with this same protocol; a request that
has to wait for it, and the cleanup command, take it here.
"""

import secrets
import time

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

    @unavailable_on_redis_error
    def release(self):
        if self.held:
            self.held = False
            script(RELEASE)(keys=[self.key], args=[self.token])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        try:
            self.release()
        except Exception:  # noqa: BLE001 - Redis gone: the lock times out by itself
            pass
