"""The Redis draft store's cleanup entry points (what ``cleanup_drafts`` calls).

Redis expires a draft's record by itself, but not what points at it: its entries in the indexes
and its tombstone's bound. These walk the expiry index and the tombstones in batches.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from . import clock, counters
from .connection import make_key, redis, unavailable_on_redis_error, unavailable_on_redis_error_gen
from .describe import get_describer
from .log import log_action, log_batch
from .redis_admin import search_generation
from .redis_scripts import EXPIRE_DUE, SWEEP_SEARCH, TRIM_TOMBSTONES, script
from .store import StoreVitals

ENDED_MAX = 50  # an owner's ended drafts kept (and listed), newest first
# An owner's drafts listed at once (RedisDraftStore.list_for_owner), newest first, which notes the
# expired ones among them: cleanup notes them itself for an owner whose index holds more.
OWNER_LIST_MAX = 200
_FIRST_BUCKET = hashlib.sha1(b"").hexdigest()  # a search generation's first bucket (lower bound "")
# The field of stats:cleanup that records the TTL every tombstone was last checked against. Renamed
# when the pass began keeping the owners' keys alive past the tombstones (TRIM_TOMBSTONES), so that
# the first run of that release checks every tombstone once.
TOMBSTONES_CHECKED = "tombstones_and_owner_keys_checked_for"
ERROR_BUCKET_TTL = 3600  # per-minute error counters outlive any window vitals() is asked about


@dataclass
class ExpiredBatch:
    """One batch of index entries past their expiry."""

    seen: int = 0
    rescheduled: int = 0  # live drafts whose reads slid their expiry: put back in line
    expired: list = field(default_factory=list)  # [(draft id, step reached or "unknown")]


class Upkeep:
    @unavailable_on_redis_error_gen
    def clear_expired(self, *, batch_size=500, dry_run=False):
        if dry_run:
            yield from self._clear_expired_dry_run(batch_size)
            return
        while True:
            # One script per batch: the due entries are read, rescheduled or forgotten in Redis.
            args = [
                make_key(""), clock.now().timestamp(), batch_size, settings.DRAFT_TOMBSTONE_TTL, ENDED_MAX,
                settings.SESSION_TTL, OWNER_LIST_MAX,
            ]
            seen, rescheduled, *forgotten = script(EXPIRE_DUE)(keys=[], args=args)
            if not seen:
                return
            pairs = zip(forgotten[::2], forgotten[1::2])
            batch = ExpiredBatch(seen=seen, rescheduled=rescheduled)
            batch.expired = self._note_expired([(draft_id.decode(), step.decode()) for draft_id, step in pairs], batch=True)
            yield batch

    def _clear_expired_dry_run(self, batch_size):
        client = redis()
        expiry_index = make_key("index", "expiry")
        offset = 0
        while True:
            now = clock.now().timestamp()
            # By rank: O(log n + batch) where ZRANGEBYSCORE's offset walked past every entry read
            # before (quadratic over a million due drafts).
            entries = client.zrange(expiry_index, offset, offset + batch_size - 1, withscores=True)
            ids = [item.decode() for item, due in entries if due <= now]
            if not ids:
                return
            pipe = client.pipeline(transaction=False)
            for draft_id in ids:
                pipe.exists(make_key("draft", draft_id))
            gone = [draft_id for draft_id, alive in zip(ids, pipe.execute()) if not alive]
            steps = self._steps_of(gone)
            batch = ExpiredBatch(seen=len(ids), rescheduled=len(ids) - len(gone))
            batch.expired = [(draft_id, steps.get(draft_id) or "unknown") for draft_id in gone]
            offset += len(ids)  # nothing moves out of the index in a dry run
            yield batch

    def _expire_gone(self, gone):
        """Forget drafts whose records Redis expired (keeping their tombstones), log and count
        them by step: ``[(draft id, step)]`` of those this call forgot."""
        forgotten = zip(gone, self._forget(gone, "expire") if gone else [])
        return self._note_expired([(draft_id, step) for draft_id, (removed, step) in forgotten if removed])

    def _note_expired(self, forgotten, *, batch=False):
        """Log and count by step the drafts just forgotten (``[(draft id, step or "")]``); others
        were got first by another run, or came back to life. A cleanup ``batch`` is logged in one
        line (log.log_batch), a draft found expired on a visit in a line of its own."""
        expired = [(draft_id, step or "unknown") for draft_id, step in forgotten]
        if batch:
            log_batch("expire", expired)
        else:
            for draft_id, step in expired:
                log_action("expire", draft_id, step=step)
        if expired:
            pipe = redis().pipeline(transaction=False)
            names = Counter()
            for step, count in Counter(step for _, step in expired).items():
                pipe.hincrby(make_key("stats", "expired"), step, count)
                for name in get_describer().expiry_counts(step):
                    names[name] += count
            counters.add_to_pipeline(pipe, names)
            pipe.execute()
        return expired

    def _steps_of(self, ids):
        """Step reached per draft id, from the tombstones (for a dry run's report)."""
        if not ids:
            return {}
        steps = {}
        for draft_id, raw in zip(ids, redis().mget([make_key("tomb", draft_id) for draft_id in ids])):
            try:
                steps[draft_id] = json.loads(raw)["s"] if raw else None
            except (ValueError, KeyError, TypeError):
                steps[draft_id] = None
        return steps

    @unavailable_on_redis_error_gen
    def sweep_search(self, *, batch_size=500, dry_run=False):
        """Yield per step ``(generation, id entries read)`` while dropping the
        staff search index's generations that are over: those in which every draft written has
        expired unless a read slid it (their last second + SESSION_TTL has passed), and the
        release before generations (redis_scripts.SWEEP_SEARCH). The live drafts' entries move to
        this hour's generation. A dry run only names them."""
        client = redis()
        now = clock.now()
        into = search_generation(now)
        # Over: begun at least a generation + SESSION_TTL ago. (Were DRAFT_SEARCH_GENERATION
        # lowered, an older, longer one could be swept early: that only moves more live drafts.)
        over = now.timestamp() - settings.SESSION_TTL - settings.DRAFT_SEARCH_GENERATION
        generations = [gen.decode() for gen in client.zrangebyscore(make_key("search", "gens"), "-inf", over)]
        if client.exists(make_key("search", "buckets"), make_key("search", f"b:{_FIRST_BUCKET}")):
            generations.insert(0, "")
        if dry_run:
            yield from ((gen, 0) for gen in generations)
            return
        run = script(SWEEP_SEARCH)
        for gen in generations:
            cursor = b""
            while True:
                read, cursor = run(keys=[], args=[make_key(""), gen, into, batch_size, "ids", cursor])
                yield gen, read
                if not cursor:
                    break
            while run(keys=[], args=[make_key(""), gen, into, batch_size, "drop", ""]):
                yield gen, 0  # a step (the cleanup's lock is refreshed between steps)

    @unavailable_on_redis_error_gen
    def trim_tombstones(self, *, batch_size=500, dry_run=False):
        """Tombstones of gone drafts that would outlive DRAFT_TOMBSTONE_TTL (no expiry, or one set
        under a longer DRAFT_TOMBSTONE_TTL or by an older release): cut back to DRAFT_TOMBSTONE_TTL, or removed."""
        client = redis()
        tomb_prefix, draft_prefix = make_key("tomb", "x")[:-1], make_key("draft", "x")[:-1]

        def flush(keys):
            # A minute of slack: a tombstone whose draft just expired has about that TTL left.
            args = [tomb_prefix, draft_prefix, settings.DRAFT_TOMBSTONE_TTL + 60, settings.DRAFT_TOMBSTONE_TTL, "dry" if dry_run else ""]
            return len(keys), script(TRIM_TOMBSTONES)(keys=[], args=args + keys)

        batch = []
        for key in client.scan_iter(match=tomb_prefix + "*", count=batch_size):
            batch.append(key)
            if len(batch) >= batch_size:
                yield flush(batch)
                batch = []
        if batch:
            yield flush(batch)

    @unavailable_on_redis_error
    def last_cleanup(self):
        raw = redis().hget(make_key("stats", "cleanup"), "last_run")
        return datetime.fromisoformat(raw.decode()) if raw else None

    @unavailable_on_redis_error
    def note_cleanup(self, summary, *, tombstones_checked_for=None):
        fields = {"last_run": clock.now().isoformat(), "last_summary": summary}
        if tombstones_checked_for is not None:
            fields[TOMBSTONES_CHECKED] = tombstones_checked_for
        redis().hset(make_key("stats", "cleanup"), mapping=fields)

    @unavailable_on_redis_error
    def tombstones_checked_for(self):
        raw = redis().hget(make_key("stats", "cleanup"), TOMBSTONES_CHECKED)
        return int(raw) if raw is not None else None

    # --- health and metrics ---------------------------------------------------------------------

    @unavailable_on_redis_error
    def vitals(self, *, minutes=5):
        pipe = redis().pipeline(transaction=False)
        pipe.info("memory")
        pipe.info("persistence")
        pipe.zcard(make_key("index"))
        pipe.hget(make_key("stats", "cleanup"), "last_run")
        pipe.mget(_error_keys(minutes))
        memory, persistence, live, last_run, errors = pipe.execute()
        aof_enabled = bool(int(persistence.get("aof_enabled", 0)))
        return StoreVitals(
            live_drafts=live,
            memory_used=int(memory.get("used_memory", 0)),
            memory_max=int(memory.get("maxmemory", 0)),
            eviction_policy=str(memory.get("maxmemory_policy", "")),
            aof_enabled=aof_enabled,
            aof_ok=not aof_enabled or (
                persistence.get("aof_last_write_status") == "ok" and persistence.get("aof_last_bgrewrite_status") == "ok"
            ),
            last_cleanup=datetime.fromisoformat(last_run.decode()) if last_run else None,
            recent_errors=sum(int(count) for count in errors if count),
        )

    @unavailable_on_redis_error
    def note_error(self):
        key = _error_keys(1)[0]
        pipe = redis().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, ERROR_BUCKET_TTL)
        pipe.execute()


def _error_keys(minutes):
    """The per-minute error buckets of the last ``minutes`` minutes, this one first."""
    this_minute = int(clock.now().timestamp() // 60)
    return [make_key("stats", f"errors:{this_minute - back}") for back in range(minutes)]
