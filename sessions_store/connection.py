"""The Redis behind the draft store: django-redis's pool for the ``drafts`` cache alias, its key
prefix, and the one exception boundary (every Redis error becomes DraftStoreUnavailable).

Every key is written through the raw client here (never through the cache API), so one encoding
applies. The draft store, its locks and the per-IP limits share this module and nothing else.
"""

from functools import wraps

from django.core.cache import caches
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from .signals import store_error
from .store import DraftStoreUnavailable

CACHE_ALIAS = "drafts"


def redis():
    """The client, looked up per call: tests and settings changes may swap the connection pool."""
    return get_redis_connection(CACHE_ALIAS)


def make_key(kind, ident=""):
    """``<prefix>:<version>:<kind>:<ident>``, the cache alias's key layout."""
    return caches[CACHE_ALIAS].make_key(f"{kind}:{ident}" if ident else kind)


def unavailable_on_redis_error(method):
    """Turn every RedisError a function raises into DraftStoreUnavailable (generators too)."""

    @wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            store_error.send(sender=None, error=exc)
            raise DraftStoreUnavailable(f"draft store unavailable: {exc}") from exc

    return wrapper


def unavailable_on_redis_error_gen(method):
    """The same boundary for a generator method: errors raised while it is iterated."""

    @wraps(method)
    def wrapper(*args, **kwargs):
        try:
            yield from method(*args, **kwargs)
        except RedisError as exc:
            store_error.send(sender=None, error=exc)
            raise DraftStoreUnavailable(f"draft store unavailable: {exc}") from exc

    return wrapper
