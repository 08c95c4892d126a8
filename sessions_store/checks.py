"""``manage.py check --deploy``: the drafts Redis must be run like a database, not a cache.

A draft exists only in Redis until its project is created, so a server that evicts keys under
memory pressure (any ``maxmemory-policy`` but ``noeviction``: every draft key has a TTL, so even
the ``volatile-*`` policies pick drafts) or that persists nothing (no AOF and no RDB save points)
loses people's work. The check asks the server with ``CONFIG GET`` when it can reach it; an
unreachable Redis, or one that refuses CONFIG (ElastiCache renames it), is not reported here.
"""

from django.core.checks import Tags, Warning, register
from redis.exceptions import RedisError

from .connection import redis

EVICTS = "sessions_store.W001"
PERSISTS_NOTHING = "sessions_store.W002"


@register(Tags.caches, deploy=True)
def check_drafts_redis(app_configs=None, **kwargs):
    try:
        config = _config("maxmemory-policy", "appendonly", "save")
    except RedisError:
        return []
    return [*_eviction_warnings(config), *_persistence_warnings(config)]


def _config(*names):
    client = redis()
    found = {}
    for name in names:  # one CONFIG GET per name: Redis 6.2 takes a single pattern
        found.update({_text(key): _text(value) for key, value in client.config_get(name).items()})
    return found


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _eviction_warnings(config):
    policy = config.get("maxmemory-policy", "noeviction")
    if policy == "noeviction":
        return []
    return [
        Warning(
            f"The drafts Redis evicts keys (maxmemory-policy {policy}): when it is full it deletes "
            "drafts, people's unsaved work, instead of refusing writes.",
            hint="Set maxmemory-policy noeviction (README, 'Running in production: Redis').",
            id=EVICTS,
        )
    ]


def _persistence_warnings(config):
    if config.get("appendonly", "no") == "yes" or config.get("save", "").strip():
        return []
    return [
        Warning(
            "The drafts Redis persists nothing (appendonly no and no save points): a restart "
            "loses every draft.",
            hint="Set appendonly yes (README, 'Running in production: Redis').",
            id=PERSISTS_NOTHING,
        )
    ]
