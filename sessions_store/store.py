"""The draft store: drafts in Redis through django-redis's connection pool.

Keys (all under the ``drafts`` cache alias's prefix, built with ``cache.make_key``):

- ``draft:<id>``          the draft record as compact JSON, with a TTL of SESSION_TTL that slides
                          on every read and write.
- ``tomb:<id>``           owner, step, owner kind and search entry, kept SESSION_TTL +
                          DRAFT_TOMBSTONE_TTL: once the draft has expired it tells "expired" (410)
                          from "never existed" (404), and tells cleanup which indexes to clear.
- ``index``               sorted set of draft ids by last activity;
  ``index:created``       ... by creation; ``index:expiry`` ... by expiry as of the last write;
  ``index:step:<step>``   ... by last activity, per current step;
  ``index:kind:<kind>``   ... by last activity, per owner kind (user / anonymous).
  Admin pages and the cleanup command read pages of these instead of scanning the keyspace.
- ``owner:<key>``         sorted set of one owner's draft ids by last activity.
- ``search``              sorted set of "name client email|id" entries for staff search (ZSCAN).
- ``stats:expired``       hash: expired drafts per step reached (for funnel analytics).

Every key here is written through this module's raw client only (never through the cache API), so
one encoding applies. A read costs one round trip, a write one (a Lua script that checks the
version and writes the draft, its tombstone and both indexes atomically).
"""

import hashlib
import json
import time
from contextlib import nullcontext
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


class DraftTooLarge(DraftStoreError):
    """The draft record would be larger than SESSION_MAX_BYTES (its JSON, files excluded)."""


class DraftGone(DraftStoreError):
    """An update of a draft that no longer exists (expired or deleted meanwhile)."""


class DraftStore:
    """The interface. One implementation per module, chosen by the DRAFT_STORE_CLASS setting."""

    def load(self, draft_id, *, slide=True):
        """Return ``(draft or None, tombstone owner or None)``. Never creates anything."""
        raise NotImplementedError("subclasses of DraftStore must provide a load() method")

    def create(self, draft, *, step=None):
        raise NotImplementedError("subclasses of DraftStore must provide a create() method")

    def save(self, draft, *, action="update", step=None, expected_version=None, ttl=None, touch=True):
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


# Reads slide the draft's TTL up to SESSION_TTL (never shortening an expiry staff extended) and
# keep the tombstone alive past it. One round trip.
# With a third key (the commit lock) it also takes that lock for a final POST (SET NX PX), so a
# commit costs two round trips: this one and the forget script that deletes draft and lock.
# Only the draft's owner can take the lock (someone else's request must not block the owner).
# KEYS: draft, tomb[, commit lock]   ARGV: ttl, tomb ttl[, lock token, lock ms, owner key]
_LOAD_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
local tomb = redis.call('GET', KEYS[2])
local ttl = -2
local locked = 0
if raw and KEYS[3] and cjson.decode(raw)['owner'] == ARGV[5] then
  if redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[4]) then locked = 1 end
end
if raw then
  ttl = redis.call('TTL', KEYS[1])
  if ttl < tonumber(ARGV[1]) then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  if tomb and redis.call('TTL', KEYS[2]) < ttl + tonumber(ARGV[2]) then
    redis.call('EXPIRE', KEYS[2], ttl + tonumber(ARGV[2]))
  end
end
return {raw, tomb, ttl, locked}
"""

# The tombstone holds what the indexes need once the draft itself is gone: owner ("o"), step
# ("s"), owner kind ("k") and search entry ("q"). Saving moves the draft between per-owner,
# per-step and per-kind indexes by comparing with it, so every index stays exact.
# KEYS: draft, tomb, index, index:created, index:expiry, owner, step, kind, search
# ARGV: expected version (-1 = create), payload, ttl, tomb ttl, activity, draft id, tomb json,
#       created, expires, search entry, key prefix, owner key, step, kind
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
local id = ARGV[6]
local old = redis.call('GET', KEYS[2])
if old then
  local ok, t = pcall(cjson.decode, old)
  if ok and type(t) == 'table' then
    if t['o'] and t['o'] ~= ARGV[12] then redis.call('ZREM', ARGV[11] .. 'owner:' .. t['o'], id) end
    if t['s'] and t['s'] ~= ARGV[13] then redis.call('ZREM', ARGV[11] .. 'index:step:' .. t['s'], id) end
    if t['k'] and t['k'] ~= ARGV[14] then redis.call('ZREM', ARGV[11] .. 'index:kind:' .. t['k'], id) end
    if t['q'] and t['q'] ~= ARGV[10] then redis.call('ZREM', KEYS[9], t['q']) end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[7], 'EX', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], id)
redis.call('ZADD', KEYS[4], ARGV[8], id)
redis.call('ZADD', KEYS[5], ARGV[9], id)
redis.call('ZADD', KEYS[6], ARGV[5], id)
redis.call('EXPIRE', KEYS[6], ARGV[4])
redis.call('ZADD', KEYS[7], ARGV[5], id)
redis.call('ZADD', KEYS[8], ARGV[5], id)
redis.call('ZADD', KEYS[9], 0, ARGV[10])
return 1
"""

# Removes a draft from every index, using its tombstone. Mode "delete" removes the record and
# the tombstone; mode "expire" acts only if the record is already gone and keeps the tombstone
# (its owner still gets "expired", not "not found"). Returns {removed?, step reached}.
# KEYS: draft, tomb, index, index:created, index:expiry, search   ARGV: draft id, key prefix, mode
_FORGET_SCRIPT = """
local id = ARGV[1]
if ARGV[3] == 'expire' and redis.call('EXISTS', KEYS[1]) == 1 then return {0, ''} end
local step = ''
local old = redis.call('GET', KEYS[2])
if old then
  local ok, t = pcall(cjson.decode, old)
  if ok and type(t) == 'table' then
    if t['o'] then redis.call('ZREM', ARGV[2] .. 'owner:' .. t['o'], id) end
    if t['s'] then redis.call('ZREM', ARGV[2] .. 'index:step:' .. t['s'], id); step = t['s'] end
    if t['k'] then redis.call('ZREM', ARGV[2] .. 'index:kind:' .. t['k'], id) end
    if t['q'] then redis.call('ZREM', KEYS[6], t['q']) end
  end
end
local removed = redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
if ARGV[3] == 'delete' then
  removed = redis.call('DEL', KEYS[1])
  redis.call('DEL', KEYS[2])
  redis.call('DEL', ARGV[2] .. 'commit:' .. id)
end
return {removed, step}
"""


# A fixed-window counter (sessions_store.limits). KEYS: counter   ARGV: window seconds
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# KEYS: commit lock   ARGV: token
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def owner_kind(owner_key):
    return "user" if owner_key.startswith("u:") else "anonymous"


def search_entry(draft):
    """What staff search matches: project name, client name and email, draft id (lowercase)."""
    values = draft.shown_values("details")
    parts = [
        draft.project_name,
        (values.get("client_name") or [""])[0],
        (values.get("client_email") or [""])[0],
    ]
    text = " ".join(part.strip()[:120] for part in parts if part and part.strip())
    return f"{text.replace('|', ' ').lower()}|{draft.id}"


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

    @property
    def prefix(self):
        return self.key("")

    @staticmethod
    def encode(draft):
        # UTF-8 as is (not \u escapes): smaller, and Lua's cjson never meets a surrogate escape.
        return json.dumps(draft.to_dict(), cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def decode(raw):
        return Draft.from_dict(json.loads(raw))

    @staticmethod
    def tomb_owner(raw):
        if raw is None:
            return None
        try:
            return json.loads(raw)["o"]
        except (ValueError, KeyError, TypeError):
            return None

    @_unavailable_on_redis_error
    def load(self, draft_id, *, slide=True):
        draft, tomb_owner, _ = self._load(draft_id, slide=slide)
        return draft, tomb_owner

    @_unavailable_on_redis_error
    def load_for_commit(self, draft_id, token, owner_key, timeout=60):
        """load(), taking the draft's commit lock in the same round trip if ``owner_key`` owns
        the draft: (draft, tomb, locked)."""
        return self._load(draft_id, slide=True, lock=(token, timeout, owner_key))

    def release_commit_lock(self, draft_id, token):
        """Give back a lock taken by load_for_commit (deleting the draft also releases it)."""
        try:
            self._release_script(keys=[self.key("commit", draft_id)], args=[token])
        except RedisError:
            pass  # it times out by itself

    @cached_property
    def _release_script(self):
        return self.redis.register_script(_RELEASE_SCRIPT)

    def count_hit(self, name, window):
        """Count one hit on ``limit:<name>`` in a window of ``window`` seconds: (count, seconds
        left). One round trip. Redis errors propagate (the caller decides what they mean)."""
        count, ttl = self._hit_script(keys=[self.key("limit", name)], args=[window])
        return int(count), max(int(ttl), 1)

    @cached_property
    def _hit_script(self):
        return self.redis.register_script(_HIT_SCRIPT)

    def _load(self, draft_id, *, slide, lock=None):
        locked = 0
        if slide:
            keys = [self.key("draft", draft_id), self.key("tomb", draft_id)]
            args = [settings.SESSION_TTL, settings.DRAFT_TOMBSTONE_TTL]
            if lock is not None:
                keys.append(self.key("commit", draft_id))
                args.extend([lock[0], int(lock[1] * 1000), lock[2]])
            raw, tomb, ttl, locked = self._load_script(keys=keys, args=args)
        else:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(self.key("draft", draft_id))
            pipe.get(self.key("tomb", draft_id))
            pipe.pttl(self.key("draft", draft_id))
            raw, tomb, pttl = pipe.execute()
            ttl = pttl / 1000 if pttl and pttl > 0 else None
        if raw is None:
            return None, self.tomb_owner(tomb), False
        draft = self.decode(raw)
        if ttl:
            # The real expiry: reads slide it without rewriting the record.
            real = clock.now() + _seconds(ttl)
            if abs((real - draft.expires_at).total_seconds()) > 2:
                draft.expires_at = real
        return draft, self.tomb_owner(tomb), bool(locked)

    def create(self, draft, *, step=None):
        return self.save(draft, action="create", step=step, expected_version=-1)

    @_unavailable_on_redis_error
    def save(self, draft, *, action="update", step=None, expected_version=None, ttl=None, touch=True):
        """Write ``draft`` if nobody wrote it since it was read; ``touch`` marks user activity."""
        if expected_version is None:
            expected_version = draft.version
        with logged(action, draft.id, step=step or draft.current_step):
            moment = clock.now()
            ttl = ttl or settings.SESSION_TTL
            if touch:
                draft.last_activity = moment
            draft.expires_at = moment + _seconds(ttl)
            draft.version = max(expected_version, 0) + 1
            kind = owner_kind(draft.owner)
            current_step = draft.current_step or "details"  # a new draft is at the first step
            entry = search_entry(draft)
            tomb = json.dumps({"o": draft.owner, "s": current_step, "k": kind, "q": entry})
            payload = self.encode(draft).encode()
            if len(payload) > settings.SESSION_MAX_BYTES:
                draft.version = expected_version
                raise DraftTooLarge(f"the draft would be {len(payload)} bytes")
            result = self._save_script(
                keys=[
                    self.key("draft", draft.id),
                    self.key("tomb", draft.id),
                    self.key("index"),
                    self.key("index", "created"),
                    self.key("index", "expiry"),
                    self.key("owner", draft.owner),
                    self.key("index", f"step:{current_step}"),
                    self.key("index", f"kind:{kind}"),
                    self.key("search"),
                ],
                args=[
                    expected_version,
                    payload,
                    ttl,
                    ttl + settings.DRAFT_TOMBSTONE_TTL,
                    draft.last_activity.timestamp(),
                    draft.id,
                    tomb,
                    draft.created_at.timestamp(),
                    draft.expires_at.timestamp(),
                    entry,
                    self.prefix,
                    draft.owner,
                    current_step,
                    kind,
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
    def _load_script(self):
        return self.redis.register_script(_LOAD_SCRIPT)

    @cached_property
    def _forget_script(self):
        return self.redis.register_script(_FORGET_SCRIPT)

    def _forget_keys(self, draft_id):
        return [
            self.key("draft", draft_id),
            self.key("tomb", draft_id),
            self.key("index"),
            self.key("index", "created"),
            self.key("index", "expiry"),
            self.key("search"),
        ]

    def forget(self, draft_id, mode):
        """Run the forget script for one draft (``delete`` or ``expire``): (removed, step).
        One round trip: the script itself, not a one-entry pipeline (which checks SCRIPT EXISTS first)."""
        removed, step = self._forget_script(
            keys=self._forget_keys(draft_id),
            args=[draft_id, self.prefix, mode],
        )
        return removed, step.decode() if isinstance(step, bytes) else step

    def forget_many(self, draft_ids, mode):
        """The forget script for many drafts in one round trip: [(removed, step), ...]."""
        pipe = self.redis.pipeline(transaction=False)
        for draft_id in draft_ids:
            self._forget_script(
                keys=self._forget_keys(draft_id),
                args=[draft_id, self.prefix, mode],
                client=pipe,
            )
        return [
            (removed, step.decode() if isinstance(step, bytes) else step) for removed, step in pipe.execute()
        ]

    @cached_property
    def _save_script(self):
        return self.redis.register_script(_SAVE_SCRIPT)

    @_unavailable_on_redis_error
    def delete(self, draft, *, action="delete"):
        with logged(action, draft.id, step=draft.current_step):
            self.forget(draft.id, "delete")

    def note_expired(self, draft_id, step=None):
        log_action("expire", draft_id, step=step)

    @_unavailable_on_redis_error
    def list_for_owner(self, owner_key):
        """The owner's live drafts, most recent first, with their real remaining lifetime."""
        owner_index = self.key("owner", owner_key)
        ids = [item.decode() for item in self.redis.zrevrange(owner_index, 0, 199)]
        drafts, gone = self._fetch(ids)
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
                self.save(draft, action="update")
            except (DraftConflict, DraftGone):
                continue
            moved += 1
        return moved

    # --- staff: one page of drafts, read from the indexes ----------------------------------------

    SORT_INDEXES = {"last_activity": "index", "created": "index:created"}

    @_unavailable_on_redis_error
    def page(self, *, sort="-last_activity", step=None, kind=None, query=None, number=1, per_page=50):
        """``(total, drafts)`` for one admin page: never a scan of the keyspace.

        Filters intersect the step / kind indexes with the sort index on the server (a short-lived
        key). A search walks the ``search`` set with ZSCAN MATCH and keeps at most SEARCH_LIMIT hits.
        """
        descending = sort.startswith("-")
        sort_key = self.key(self.SORT_INDEXES.get(sort.lstrip("-"), "index"))
        filters = []
        if step:
            filters.append(self.key("index", f"step:{step}"))
        if kind:
            filters.append(self.key("index", f"kind:{kind}"))
        redis = self.redis
        start = (number - 1) * per_page
        if query:
            ids = self._search(query.strip().lower())
            if not ids:
                return 0, []
            pipe = redis.pipeline(transaction=False)
            pipe.zmscore(sort_key, ids)
            for key in filters:
                pipe.zmscore(key, ids)
            scores, *filter_scores = pipe.execute()
            hits = [
                (score, draft_id)
                for index, (draft_id, score) in enumerate(zip(ids, scores))
                if score is not None and all(f[index] is not None for f in filter_scores)
            ]
            hits.sort(reverse=descending)
            total = len(hits)
            page_ids = [draft_id for _, draft_id in hits[start : start + per_page]]
            drafts, gone = self._fetch(page_ids)
            return total - len(gone), drafts
        else:
            source = sort_key
            if filters:
                source = self.key("tmp", hashlib.sha1("|".join([sort_key, *filters]).encode()).hexdigest())
                pipe = redis.pipeline(transaction=True)
                pipe.zinterstore(source, {sort_key: 1, **{key: 0 for key in filters}})
                pipe.expire(source, 5)
                pipe.execute()
            pipe = redis.pipeline(transaction=False)
            pipe.zcard(source)
            (pipe.zrevrange if descending else pipe.zrange)(source, start, start + per_page - 1)
            total, raw_ids = pipe.execute()
            page_ids = [item.decode() for item in raw_ids]
        # Entries whose record has expired stay in the index until cleanup_drafts counts them;
        # they are not shown, and not counted where we can see them.
        drafts, gone = self._fetch(page_ids)
        return total - len(gone), drafts

    SEARCH_LIMIT = 2000

    def _search(self, text):
        pattern = "*" + "".join("\\" + ch if ch in "*?[]\\^" else ch for ch in text) + "*"
        found = []
        for member, _ in self.redis.zscan_iter(self.key("search"), match=pattern, count=1000):
            found.append(member.decode().rsplit("|", 1)[-1])
            if len(found) >= self.SEARCH_LIMIT:
                break
        return found

    def _fetch(self, ids):
        """``(drafts, gone ids)``: drafts by id with their real remaining lifetime."""
        if not ids:
            return [], []
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
        return drafts, gone

    @_unavailable_on_redis_error
    def get_many(self, ids):
        return self._fetch(list(ids))[0]

    @_unavailable_on_redis_error
    def extend(self, draft, seconds):
        """Staff: keep a draft ``seconds`` from now, without counting it as the user's activity."""
        return self.save(draft, action="extend", ttl=seconds, touch=False)

    def commit_lock(self, draft_id, timeout=60, wait=30, held=False):
        """Serialise the commits of one draft (a double click, two tabs): the second waits.
        ``held``: the lock was already taken by load_for_commit; nothing more to do here."""
        if held:
            return nullcontext()
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
