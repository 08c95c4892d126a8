"""The Redis draft store (DRAFT_STORE_CLASS): one draft record per key, kept with its indexes.

A read costs one round trip (redis_scripts.LOAD) and a write one more (redis_scripts.SAVE, which
checks the write counter and writes the draft, its tombstone and every index atomically). Staff
queries live in redis_admin, the cleanup entry points in redis_upkeep, the lock in locks.
"""

import json
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from django.conf import settings

from . import clock, counters
from .connection import make_key, redis, unavailable_on_redis_error
from .describe import get_describer
from .drafts import Draft, owner_kind
from .locks import RedisLock
from .log import logged
from .redis_admin import AdminQueries, search_generation, search_words
from .redis_scripts import DISCARD, FORGET, LOAD, RESTORE, SAVE, script
from .redis_upkeep import ENDED_MAX, OWNER_LIST_MAX, Upkeep
from .store import DraftConflict, DraftGone, DraftStore, DraftTooLarge, EndedDraft, OwnerAtCap, OwnerUploadsFull

TITLE_MAX = 100


def owner_cap(owner_key):
    """The most live drafts an owner of this kind may have (0: no cap)."""
    return settings.DRAFT_MAX_USER if owner_kind(owner_key) == "user" else settings.DRAFT_MAX_ANONYMOUS


def owner_upload_total(owner_key):
    """The most bytes all of an owner's live drafts' documents may take (its kind's)."""
    return settings.UPLOAD_MAX_OWNER_USER if owner_kind(owner_key) == "user" else settings.UPLOAD_MAX_OWNER_ANONYMOUS


def search_entry(draft):
    """The draft's words in the search index (its tombstone's "q"): the describer's search text
    as staff search cuts it (redis_admin.search_words), space separated."""
    return " ".join(search_words(get_describer().search_text(draft)))


def tomb_fields(raw):
    """The tombstone as a dict ({} when there is none or it is unreadable)."""
    try:
        fields = json.loads(raw) if raw is not None else {}
    except (ValueError, TypeError):
        return {}
    return fields if isinstance(fields, dict) else {}


def tomb_owner(raw):
    return tomb_fields(raw).get("o")


def moment(timestamp):
    return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)


class RedisDraftStore(AdminQueries, Upkeep, DraftStore):
    # Not part of the DraftStore interface: the key layout, for tests and benchmarks that look
    # at Redis itself.
    key = staticmethod(make_key)

    @property
    def redis(self):
        return redis()

    # --- one draft ---------------------------------------------------------------------------

    @unavailable_on_redis_error
    def load(self, draft_id, *, slide=True, count_uploads=False):
        draft, tomb, _ = self._load(draft_id, slide=slide, count_uploads=count_uploads)
        return draft, tomb

    @unavailable_on_redis_error
    def load_for_commit(self, draft_id, *, owner_key, timeout=60):
        lock = RedisLock(f"commit:{draft_id}", timeout=timeout)
        draft, tomb, locked = self._load(draft_id, slide=True, lock=(lock, owner_key))
        lock.held = locked
        return draft, tomb, lock if locked else None

    def _load(self, draft_id, *, slide, lock=None, count_uploads=False):
        locked = 0
        if slide:
            keys = [make_key("draft", draft_id), make_key("tomb", draft_id)]
            args = [settings.SESSION_TTL, settings.DRAFT_TOMBSTONE_TTL, 1 if count_uploads else 0]
            if lock is not None:
                keys.append(lock[0].key)
                args.extend([lock[0].token, lock[0].timeout_ms, lock[1]])
            with carrying() as tail:
                raw, tomb, ttl, locked, uploads, before = script(LOAD)(keys=keys, args=args + tail())
        else:
            pipe = redis().pipeline(transaction=False)
            pipe.get(make_key("draft", draft_id))
            pipe.get(make_key("tomb", draft_id))
            pipe.pttl(make_key("draft", draft_id))
            with carrying() as tail:
                counters.add_to_pipeline(pipe, tail(as_counts=True))
                raw, tomb, pttl = pipe.execute()[:3]
            ttl = pttl / 1000 if pttl and pttl > 0 else None
            uploads = None
            before = None
        if raw is None:
            return None, tomb_owner(tomb), False
        draft = Draft.from_json(raw)
        draft.owner_upload_bytes = None if uploads is None else int(uploads)
        if before is not None and 0 <= before <= settings.SESSION_TTL:
            draft.idle_seconds = settings.SESSION_TTL - before
        if ttl:
            # The real expiry: reads slide it without rewriting the record.
            real = clock.now() + timedelta(seconds=ttl)
            if abs((real - draft.expires_at).total_seconds()) > 2:
                draft.expires_at = real
        return draft, tomb_owner(tomb), bool(locked)

    def create(self, draft, *, step=None):
        if not draft.is_new:
            raise DraftConflict("a draft that was saved already cannot be created")
        return self._write(draft, action="create", step=step)

    def save(self, draft, *, action="update", step=None, ttl=None, touch=True):
        if draft.is_new:
            raise ValueError("a draft that was never saved is created (create()), not saved")
        return self._write(draft, action=action, step=step, ttl=ttl, touch=touch)

    @unavailable_on_redis_error
    def _write(self, draft, *, action, step=None, ttl=None, touch=True):
        with logged(action, draft.id, step=step or draft.current_step):
            before = (draft.writes, draft.revision, draft.last_activity, draft.expires_at, list(draft.history), draft.history_base)
            held = action in ("create", "claim")  # a draft new to its owner: held to its limits
            cap = owner_cap(draft.owner) if held else 0
            quota = owner_upload_total(draft.owner) if held else 0
            keys, args = self.save_command(draft, ttl=ttl, touch=touch, cap=cap, quota=quota, bound=OWNER_LIST_MAX if held else 0)
            if len(args[1]) > settings.SESSION_MAX_BYTES:
                draft.writes, draft.revision, draft.last_activity, draft.expires_at, draft.history, draft.history_base = before
                raise DraftTooLarge(f"the draft would be {len(args[1])} bytes")
            with carrying(draft.counts, kept=lambda: result == 1) as tail:
                result = None
                result = script(SAVE)(keys=keys, args=args + tail())
            if result == 1:
                draft.mark_saved()
                draft.counts.clear()
                return draft
            draft.writes, draft.revision, draft.last_activity, draft.expires_at, draft.history, draft.history_base = before
            if result == 0:
                raise DraftConflict("the draft was changed by another request")
            if result == -1:
                raise DraftGone("the draft no longer exists")
            if result == -4:
                raise OwnerAtCap(f"the owner has {cap} live drafts already")
            if result == -5:
                raise OwnerUploadsFull("its documents would take the owner past the upload total", limit=quota)
            raise DraftConflict("a draft with this id already exists")

    def save_command(self, draft, *, ttl=None, touch=True, create=False, cap=0, quota=0, bound=0):
        """``(keys, args)`` of the SAVE script for ``draft``, stamped as saved now (its times,
        write counter and revision move); ``create``: as a new draft, whatever its counter. Not
        part of the DraftStore interface: save() runs it, and benchmarks load many drafts with it
        in one pipeline. ``cap``: refuse a new draft if its owner has that many live ones already;
        ``quota``: ... if its documents would take its owner's past that many bytes; ``bound``:
        note the owner in owners:over if its index then holds more ids than that."""
        expected = -1 if draft.is_new or create else draft.writes
        moment = clock.now()
        ttl = ttl or settings.SESSION_TTL
        if touch:
            draft.last_activity = moment
        draft.expires_at = moment + timedelta(seconds=ttl)
        if draft.data_changed():
            draft.note_revision(moment)
        draft.writes += 1
        kind = owner_kind(draft.owner)
        current_step = draft.current_step or get_describer().steps[0]  # a new draft is at the first step
        entry = search_entry(draft)
        title = get_describer().title(draft)[:TITLE_MAX]
        tomb = json.dumps({
            "o": draft.owner, "s": current_step, "k": kind, "q": entry, "t": title, "b": draft.upload_bytes,
            "g": search_generation(moment),
        })
        keys = [
            make_key("draft", draft.id),
            make_key("tomb", draft.id),
            make_key("index"),
            make_key("index", "created"),
            make_key("index", "expiry"),
            make_key("owner", draft.owner),
            make_key("index", f"step:{current_step}"),
            make_key("index", f"kind:{kind}"),
            make_key("search"),
        ]
        payload = draft.to_json().encode()
        while len(payload) > settings.SESSION_MAX_BYTES and draft.history:
            # Earlier values give way before the draft itself is refused.
            draft.trim_history(len(draft.history) - 1, settings.DRAFT_HISTORY_BYTES)
            payload = draft.to_json().encode()
        args = [
            expected, payload, ttl, ttl + settings.DRAFT_TOMBSTONE_TTL,
            draft.last_activity.timestamp(), draft.id, tomb, draft.created_at.timestamp(),
            draft.expires_at.timestamp(), entry, make_key(""), draft.owner, current_step, kind,
        ]
        if not create:  # SAVE's tail (RESTORE's own ARGV[15] is now)
            args.extend([cap, quota, bound])
        return keys, args

    def extend(self, draft, seconds):
        return self.save(draft, action="extend", ttl=seconds, touch=False)

    @unavailable_on_redis_error
    def delete(self, draft, *, action="delete"):
        with logged(action, draft.id, step=draft.current_step), carrying(draft.counts) as tail:
            self._forget([draft.id], "delete", tail=tail())
        draft.counts.clear()

    @unavailable_on_redis_error
    def discard(self, draft, *, seconds):
        with logged("discard", draft.id, step=draft.current_step):
            now = clock.now().timestamp()
            keys = self._forget_keys(draft.id) + [make_key("discarded", draft.id)]
            args = [draft.id, make_key(""), seconds, now, settings.DRAFT_TOMBSTONE_TTL, ENDED_MAX, now + seconds]
            with carrying(draft.counts, kept=lambda: done) as tail:
                done = None
                done = script(DISCARD)(keys=keys, args=args + tail())
            if not done:
                raise DraftGone("the draft no longer exists")
            draft.counts.clear()

    @unavailable_on_redis_error
    def restore(self, draft_id):
        with logged("restore", draft_id):
            raw = redis().get(make_key("discarded", draft_id))
            if raw is None:
                raise DraftGone("nothing to restore")
            draft = Draft.from_json(raw)
            keys, args = self.save_command(draft, create=True)
            with carrying(kept=lambda: result == 1) as tail:
                result = None
                result = script(RESTORE)(
                    keys=keys + [make_key("discarded", draft_id)],
                    args=args + [clock.now().timestamp(), owner_cap(draft.owner), owner_upload_total(draft.owner), OWNER_LIST_MAX] + tail(),
                )
            if result == -4:
                raise OwnerAtCap("the owner has as many live drafts as allowed")
            if result == -5:
                raise OwnerUploadsFull("its documents would take the owner past the upload total", limit=owner_upload_total(draft.owner))
            if result != 1:
                raise DraftGone("the draft can no longer be restored" if result == -3 else "nothing to restore")
            draft.mark_saved()
            return draft

    @unavailable_on_redis_error
    def ended(self, draft_id):
        pipe = redis().pipeline(transaction=False)
        pipe.exists(make_key("draft", draft_id))
        pipe.get(make_key("tomb", draft_id))
        pipe.pttl(make_key("tomb", draft_id))
        pipe.get(make_key("discarded", draft_id))
        alive, tomb, pttl, aside = pipe.execute()
        if alive:
            return None
        fields = tomb_fields(tomb)
        if not fields.get("o"):
            return None
        now = clock.now().timestamp()
        ended_at = min(now, now - settings.DRAFT_TOMBSTONE_TTL + max(pttl, 0) / 1000)
        return self._ended(draft_id, fields, ended_at, aside is not None, Draft.from_json(aside) if aside else None)

    def _ended(self, draft_id, fields, ended_at, set_aside, draft=None):
        discarded = "d" in fields
        return EndedDraft(
            id=draft_id,
            owner=fields["o"],
            how="discarded" if discarded else "expired",
            ended_at=moment(fields["d"] if discarded else ended_at),
            title=fields.get("t") or "",
            step=fields.get("s"),
            restorable_until=moment(fields["r"]) if discarded and set_aside and "r" in fields else None,
            draft=draft,
        )

    def _forget_keys(self, draft_id):
        return [
            make_key("draft", draft_id), make_key("tomb", draft_id), make_key("index"),
            make_key("index", "created"), make_key("index", "expiry"), make_key("search"),
        ]

    def _forget(self, draft_ids, mode, *, tail=(0,)):
        """The forget script for each draft, in one round trip: [(removed, step), ...].
        One id runs the script itself, not a one-entry pipeline (which checks SCRIPT EXISTS first);
        ``tail``: the counts that go with it (one id only)."""
        forget = script(FORGET)
        prefix = make_key("")
        now = clock.now().timestamp()

        def run(draft_id, client=None, tail=(0,)):
            args = [draft_id, prefix, mode, now, settings.DRAFT_TOMBSTONE_TTL, ENDED_MAX, *tail]
            return forget(keys=self._forget_keys(draft_id), args=args, client=client)

        if len(draft_ids) == 1:
            replies = [run(draft_ids[0], tail=tail)]
        else:
            pipe = redis().pipeline(transaction=False)
            for draft_id in draft_ids:
                run(draft_id, client=pipe)
            replies = pipe.execute()
        return [(removed, step.decode() if isinstance(step, bytes) else step) for removed, step in replies]

    # --- many drafts -------------------------------------------------------------------------

    @unavailable_on_redis_error
    def list_for_owner(self, owner_key):
        owner_index = make_key("owner", owner_key)
        ids = [item.decode() for item in redis().zrevrange(owner_index, 0, OWNER_LIST_MAX - 1)]
        drafts, gone = self._fetch(ids)
        if gone:
            self._expire_gone(gone)  # noted among the owner's ended drafts
            # Also those whose tombstone has run out, which FORGET cannot trace to this owner.
            pipe = redis().pipeline(transaction=False)
            pipe.zrem(owner_index, *gone)
            pipe.hdel(make_key("uploads", owner_key), *gone)
            pipe.execute()
        return drafts

    @unavailable_on_redis_error
    def list_ended(self, owner_key):
        now = clock.now().timestamp()
        entries = redis().zrevrangebyscore(
            make_key("ended", owner_key), "+inf", now - settings.DRAFT_TOMBSTONE_TTL, start=0, num=ENDED_MAX, withscores=True
        )
        if not entries:
            return []
        ids = [member.decode() for member, _ in entries]
        pipe = redis().pipeline(transaction=False)
        for draft_id in ids:
            pipe.exists(make_key("draft", draft_id))
            pipe.get(make_key("tomb", draft_id))
            pipe.exists(make_key("discarded", draft_id))
        replies = pipe.execute()
        ended = []
        for (draft_id, score), alive, tomb, aside in zip(
            zip(ids, (score for _, score in entries)), replies[::3], replies[1::3], replies[2::3]
        ):
            fields = tomb_fields(tomb)
            if not alive and fields.get("o") == owner_key:
                ended.append(self._ended(draft_id, fields, score, bool(aside)))
        return ended

    @unavailable_on_redis_error
    def erase_owner(self, owner_key):
        owner_index, ended_index = make_key("owner", owner_key), make_key("ended", owner_key)
        pipe = redis().pipeline(transaction=False)
        pipe.zrange(owner_index, 0, -1)
        pipe.zrange(ended_index, 0, -1)
        live, ended = pipe.execute()
        ids = sorted({member.decode() for member in live + ended})
        if ids:
            self._forget(ids, "delete")  # record, tombstone, set-aside record, lock, every index
        pipe = redis().pipeline(transaction=False)
        pipe.delete(owner_index, ended_index, make_key("uploads", owner_key))
        pipe.zrem(make_key("owners", "over"), owner_key)
        pipe.execute()
        return ids

    @unavailable_on_redis_error
    def set_aside(self, draft_ids):
        ids = list(draft_ids)
        if not ids:
            return set()
        pipe = redis().pipeline(transaction=False)
        for draft_id in ids:
            pipe.exists(make_key("discarded", draft_id))
            pipe.get(make_key("tomb", draft_id))
        replies = pipe.execute()
        now = clock.now().timestamp()
        return {
            draft_id
            for draft_id, aside, tomb in zip(ids, replies[::2], replies[1::2])
            if aside and float(tomb_fields(tomb).get("r") or 0) > now
        }

    @unavailable_on_redis_error
    def get_many(self, draft_ids):
        return self._fetch(list(draft_ids))[0]

    def _fetch(self, ids):
        """``(drafts, gone ids)``: drafts by id with their real remaining lifetime."""
        if not ids:
            return [], []
        pipe = redis().pipeline(transaction=False)
        for draft_id in ids:
            pipe.get(make_key("draft", draft_id))
            pipe.pttl(make_key("draft", draft_id))
        replies = pipe.execute()
        drafts, gone = [], []
        for draft_id, raw, pttl in zip(ids, replies[::2], replies[1::2]):
            if raw is None:
                gone.append(draft_id)
                continue
            draft = Draft.from_json(raw)
            if pttl and pttl > 0:
                draft.expires_at = clock.now() + timedelta(seconds=pttl / 1000)
            drafts.append(draft)
        return drafts, gone

    # --- counters ------------------------------------------------------------------------------

    @unavailable_on_redis_error
    def counts(self, *, days=(), hours=()):
        """``({day label: {name: n}}, {hour label: {name: n}})`` in one round trip (one HGETALL
        per day and hour asked for), carrying this thread's deferred counts."""
        pipe = redis().pipeline(transaction=False)
        with carrying() as tail:
            counters.add_to_pipeline(pipe, tail(as_counts=True))  # first, so that they are read too
            for label in days:
                pipe.hgetall(counters.day_key(label))
            for label in hours:
                pipe.hgetall(counters.hour_key(label))
            replies = pipe.execute()
        reads = replies[len(replies) - len(days) - len(hours):]
        decoded = [{name.decode(): int(value) for name, value in reply.items()} for reply in reads]
        return dict(zip(days, decoded)), dict(zip(hours, decoded[len(days):]))

    # --- locks and health --------------------------------------------------------------------

    def lock(self, name, *, timeout):
        return RedisLock(name, timeout=timeout)

    def location(self, draft_id):
        return make_key("draft", draft_id)

    @unavailable_on_redis_error
    def ping(self):
        started = time.perf_counter()
        redis().ping()
        return (time.perf_counter() - started) * 1000


class carrying:
    """The counts that ride on one store call: this thread's deferred ones, plus ``extra`` (a
    draft's, counted only with its write). ``tail()`` gives the script's ARGV tail
    (``as_counts=True``: the Counter, for a pipeline). The deferred ones are given back when the
    call raises or when ``kept()`` says its write did not happen."""

    def __init__(self, extra=None, *, kept=lambda: True):
        self.extra, self.kept, self.pending = extra or Counter(), kept, None

    def __enter__(self):
        self.pending = counters.take()
        return self.tail

    def tail(self, *, as_counts=False):
        counts = self.pending + self.extra
        return counts if as_counts else counters.script_tail(counts)

    def __exit__(self, kind, error, trace):
        if kind is not None or not self.kept():
            counters.give_back(self.pending)
        return False
