"""The draft store: drafts in Redis through django-redis's connection pool.

Keys (all under the ``drafts`` cache alias's prefix, built with ``cache.make_key``):

- ``draft:<id>``   the draft record as compact JSON, with a TTL of SESSION_TTL that slides on
                   every read (GETEX) and write.
- ``tomb:<id>``    the owner key, kept SESSION_TTL + DRAFT_TOMBSTONE_TTL: once the draft has
                   expired it tells "expired" (410) from "never existed" (404).
- ``index``        sorted set of every draft id by last activity (admin lists and cleanup read
                   pages of it instead of scanning the keyspace).
- ``owner:<key>``  sorted set of one owner's draft ids by last activity.

Every key here is written through this module's raw client only (never through the cache API), so
one encoding applies. A read costs one round trip, a write one (a Lua script that checks the
version and writes the draft, its tombstone and both indexes atomically).
"""

import json
import time
from datetime import timedelta
from functools import cached_property, wraps

from django.conf import settings
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from . import clock
from .drafts import Draft
from .log import log_action, logged

CACHE_ALIAS = "drafts"


class DraftStoreError(Exception):
    pass


class DraftStoreUnavailable(DraftStoreError):
    """Redis could not be reached or answered with an error. Never swallowed: users get a 503."""


class DraftConflict(DraftStoreError):
    """The draft changed since it was read (another tab or request wrote first)."""


class DraftGone(DraftStoreError):
    """An update of a draft that no longer exists (expired or deleted meanwhile)."""


class DraftStore:
    """The interface. One implementation per module, chosen by the DRAFT_STORE_CLASS setting."""

    def load(self, draft_id, *, slide=True):
        """Return ``(draft or None, tombstone owner or None)``. Never creates anything."""
        raise NotImplementedError("subclasses of DraftStore must provide a load() method")

    def create(self, draft, *, step=None):
        raise NotImplementedError("subclasses of DraftStore must provide a create() method")

    def save(self, draft, *, action="update", step=None, previous_owner=None):
        raise NotImplementedError("subclasses of DraftStore must provide a save() method")

    def delete(self, draft, *, action="delete"):
        raise NotImplementedError("subclasses of DraftStore must provide a delete() method")

    def list_for_owner(self, owner_key):
        raise NotImplementedError("subclasses of DraftStore must provide a list_for_owner() method")

    def ping(self):
        raise NotImplementedError("subclasses of DraftStore must provide a ping() method")


def _unavailable_on_redis_error(method):
    @wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            raise DraftStoreUnavailable(f"draft store unavailable: {exc}") from exc

    return wrapper


# KEYS: draft, tomb, index, owner index, previous owner index
# ARGV: expected version (-1 = create), payload, ttl, tomb ttl, score, draft id, owner key
_SAVE_SCRIPT = """
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[1])
if expected < 0 then
  if current then return -2 end
else
  if not current then return -1 end
  local stored = cjson.decode(current)['version']
  if tonumber(stored) ~= expected then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[7], 'EX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
if KEYS[5] ~= KEYS[4] then redis.call('ZREM', KEYS[5], ARGV[6]) end
return 1
"""


class RedisDraftStore(DraftStore):
    @cached_property
    def cache(self):
        return caches[CACHE_ALIAS]

    @property
    def redis(self):
        # Looked up per call: tests and settings changes may swap the connection pool.
        return get_redis_connection(CACHE_ALIAS)

    def key(self, kind, ident=""):
        return self.cache.make_key(f"{kind}:{ident}" if ident else kind)

    @staticmethod
    def encode(draft):
        return json.dumps(draft.to_dict(), cls=DjangoJSONEncoder, separators=(",", ":"))

    @staticmethod
    def decode(raw):
        return Draft.from_dict(json.loads(raw))

    @_unavailable_on_redis_error
    def load(self, draft_id, *, slide=True):
        pipe = self.redis.pipeline(transaction=False)
        if slide:
            pipe.getex(self.key("draft", draft_id), ex=settings.SESSION_TTL)
        else:
            pipe.get(self.key("draft", draft_id))
        pipe.get(self.key("tomb", draft_id))
        if slide:
            # The tombstone must outlive the draft it speaks for, however long reads keep it alive.
            pipe.expire(self.key("tomb", draft_id), settings.SESSION_TTL + settings.DRAFT_TOMBSTONE_TTL)
        raw, tomb, *_ = pipe.execute()
        if raw is None:
            return None, tomb.decode() if tomb else None
        draft = self.decode(raw)
        if slide:
            draft.expires_at = clock.now() + _seconds(settings.SESSION_TTL)
        return draft, tomb.decode() if tomb else None

    def create(self, draft, *, step=None):
        return self.save(draft, action="create", step=step, expected_version=-1)

    @_unavailable_on_redis_error
    def save(self, draft, *, action="update", step=None, previous_owner=None, expected_version=None):
        if expected_version is None:
            expected_version = draft.version
        with logged(action, draft.id, step=step or draft.current_step):
            moment = clock.now()
            ttl = settings.SESSION_TTL
            draft.last_activity = moment
            draft.expires_at = moment + _seconds(ttl)
            draft.version = max(expected_version, 0) + 1
            owner_index = self.key("owner", draft.owner)
            result = self._save_script(
                keys=[
                    self.key("draft", draft.id),
                    self.key("tomb", draft.id),
                    self.key("index"),
                    owner_index,
                    self.key("owner", previous_owner) if previous_owner else owner_index,
                ],
                args=[
                    expected_version,
                    self.encode(draft),
                    ttl,
                    ttl + settings.DRAFT_TOMBSTONE_TTL,
                    moment.timestamp(),
                    draft.id,
                    draft.owner,
                ],
            )
            if result == 1:
                return draft
            draft.version = expected_version
            if result == 0:
                raise DraftConflict("the draft was changed by another request")
            if result == -1:
                raise DraftGone("the draft no longer exists")
            raise DraftConflict("a draft with this id already exists")

    @cached_property
    def _save_script(self):
        return self.redis.register_script(_SAVE_SCRIPT)

    @_unavailable_on_redis_error
    def delete(self, draft, *, action="delete"):
        with logged(action, draft.id, step=draft.current_step):
            pipe = self.redis.pipeline(transaction=True)
            pipe.delete(self.key("draft", draft.id), self.key("tomb", draft.id))
            pipe.zrem(self.key("index"), draft.id)
            pipe.zrem(self.key("owner", draft.owner), draft.id)
            pipe.execute()

    def note_expired(self, draft_id, step=None):
        log_action("expire", draft_id, step=step)

    @_unavailable_on_redis_error
    def list_for_owner(self, owner_key):
        """The owner's live drafts, most recent first, with their real remaining lifetime."""
        owner_index = self.key("owner", owner_key)
        ids = [item.decode() for item in self.redis.zrevrange(owner_index, 0, 199)]
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for draft_id in ids:
            pipe.get(self.key("draft", draft_id))
            pipe.pttl(self.key("draft", draft_id))
        replies = pipe.execute()
        drafts, gone = [], []
        for draft_id, raw, pttl in zip(ids, replies[::2], replies[1::2]):
            if raw is None:
                gone.append(draft_id)
                continue
            draft = self.decode(raw)
            if pttl and pttl > 0:
                draft.expires_at = clock.now() + _seconds(pttl / 1000)
            drafts.append(draft)
        if gone:
            self.redis.zrem(owner_index, *gone)
        return drafts

    def list_owned(self, owner):
        """The drafts ``owner`` may open (an anonymous draft only in the browser that made it)."""
        return [draft for draft in self.list_for_owner(owner.key) if owner.owns(draft)]

    def transfer(self, from_owner, to_owner):
        """Give every draft of ``from_owner`` to ``to_owner`` (an anonymous visitor logs in)."""
        moved = 0
        for draft in self.list_owned(from_owner):
            draft.owner = to_owner.key
            draft.user_agent_hash = to_owner.user_agent_hash
            try:
                self.save(draft, action="update", previous_owner=from_owner.key)
            except (DraftConflict, DraftGone):
                continue
            moved += 1
        return moved

    def commit_lock(self, draft_id, timeout=60, wait=30):
        """Serialise the commits of one draft (a double click, two tabs): the second waits."""
        lock = self.redis.lock(self.key("commit", draft_id), timeout=timeout, blocking_timeout=wait)
        return _LockContext(lock)

    @_unavailable_on_redis_error
    def ping(self):
        started = time.perf_counter()
        self.redis.ping()
        return (time.perf_counter() - started) * 1000


class _LockContext:
    def __init__(self, lock):
        self.lock = lock

    def __enter__(self):
        try:
            acquired = self.lock.acquire()
        except RedisError as exc:
            raise DraftStoreUnavailable(f"draft store unavailable: {exc}") from exc
        if not acquired:
            raise DraftStoreUnavailable("timed out waiting for another commit of this draft")
        return self

    def __exit__(self, *exc_info):
        try:
            self.lock.release()
        except RedisError:
            pass  # expired or Redis gone: the lock times out by itself


def _seconds(value):
    return timedelta(seconds=value)


def get_draft_store():
    return import_string(settings.DRAFT_STORE_CLASS)()
