"""What abandoned drafts leave behind, and its removal (run by ``manage.py cleanup_drafts``).

Redis expires a draft's record by itself, but not what points at it or what it pointed at:
its entries in the indexes, its temporary upload folder, files orphaned by failed saves, and
tombstones without a bound. This pass removes them in batches (memory bounded by the batch size),
under a lock, and counts the expired drafts by the step they had reached.
"""

import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from redis.exceptions import LockError, RedisError

from . import clock
from .drafts import is_draft_id
from .files import delete_draft_files
from .log import log_action
from .store import DraftStoreUnavailable, get_draft_store

LOCK_TIMEOUT = 300


class CleanupBusy(Exception):
    """Another cleanup holds the lock."""


@dataclass
class CleanupReport:
    dry_run: bool = False
    expired: int = 0
    by_step: Counter = field(default_factory=Counter)
    rescheduled: int = 0
    files: int = 0
    bytes: int = 0
    tombstones: int = 0
    seconds: float = 0.0
    previous_run: object = None  # when the last real run finished, if any

    @property
    def overdue(self):
        """The previous run is more than twice SESSION_CLEANUP_INTERVAL ago (is cron running?)."""
        if self.previous_run is None:
            return False
        return (clock.now() - self.previous_run).total_seconds() > 2 * settings.SESSION_CLEANUP_INTERVAL

    def summary(self):
        verb = "would have " if self.dry_run else ""
        steps = ", ".join(f"{step}={count}" for step, count in sorted(self.by_step.items())) or "none"
        return (
            f"{'dry run: ' if self.dry_run else ''}{verb}expired {self.expired} drafts, "
            f"{verb}removed {self.files} files ({self.bytes / 1_000_000:.1f} MB), "
            f"{verb}trimmed {self.tombstones} stale tombstones, "
            f"{verb}rescheduled {self.rescheduled} live index entries; "
            f"expired by step reached: {steps} ({self.seconds:.1f} s)"
        )


def cleanup_drafts(*, batch_size=500, dry_run=False, progress=None):
    """Run one cleanup pass. Raises DraftStoreUnavailable, OSError or CleanupBusy."""
    try:
        return _cleanup(batch_size, dry_run, progress)
    except RedisError as exc:
        raise DraftStoreUnavailable(f"draft store unavailable: {exc}") from exc


def _cleanup(batch_size, dry_run, progress):
    store = get_draft_store()
    started = time.perf_counter()
    report = CleanupReport(dry_run=dry_run)
    lock = store.redis.lock(store.key("lock", "cleanup"), timeout=LOCK_TIMEOUT)
    if not lock.acquire(blocking=False):
        raise CleanupBusy("another cleanup_drafts run is in progress")
    try:
        def tick(stage, count):
            lock.reacquire()  # keep the lock for as long as the run makes progress
            if progress:
                progress(stage, count)

        report.previous_run = _previous_run(store)
        _expire_index_entries(store, report, batch_size, dry_run, tick)
        _sweep_upload_area(store, report, batch_size, dry_run, tick)
        _sweep_tombstones(store, report, batch_size, dry_run, tick)
        if not dry_run:
            store.redis.hset(
                store.key("stats", "cleanup"),
                mapping={"last_run": clock.now().isoformat(), "last_summary": report.summary()},
            )
    finally:
        try:
            lock.release()
        except (RedisError, LockError):  # expired or Redis gone: it times out by itself
            pass
    report.seconds = time.perf_counter() - started
    return report


def _expire_index_entries(store, report, batch_size, dry_run, tick):
    """Index entries past their expiry: forget the gone drafts, reschedule the live ones."""
    redis = store.redis
    expiry_index = store.key("index", "expiry")
    offset = seen = 0
    while True:
        now = clock.now().timestamp()
        ids = [item.decode() for item in redis.zrangebyscore(expiry_index, "-inf", now, start=offset, num=batch_size)]
        if not ids:
            return
        pipe = redis.pipeline(transaction=False)
        for draft_id in ids:
            pipe.pttl(store.key("draft", draft_id))
        ttls = pipe.execute()
        live = {draft_id: pttl for draft_id, pttl in zip(ids, ttls) if pttl != -2}
        gone = [draft_id for draft_id in ids if draft_id not in live]
        if dry_run:
            report.rescheduled += len(live)
            steps = _steps_of(store, gone)
            for draft_id in gone:
                report.expired += 1
                report.by_step[steps.get(draft_id) or "unknown"] += 1
            # (their folders are counted once, by the upload-area sweep that follows)
            offset += len(ids)
        else:
            if live:
                # Reads slide a draft's TTL without rewriting the index: put it back in line.
                redis.zadd(
                    expiry_index,
                    {draft_id: now + (pttl / 1000 if pttl > 0 else settings.SESSION_TTL) for draft_id, pttl in live.items()},
                    xx=True,
                )
                report.rescheduled += len(live)
            expired_here = Counter()
            for draft_id, (removed, step) in zip(gone, store.forget_many(gone, "expire") if gone else []):
                if not removed:
                    continue  # another run got it first, or the draft came back to life
                step = step or "unknown"
                expired_here[step] += 1
                files, size = delete_draft_files(draft_id)
                report.files += files
                report.bytes += size
                log_action("expire", draft_id, step=step)
            if expired_here:
                pipe = redis.pipeline(transaction=False)
                for step, count in expired_here.items():
                    pipe.hincrby(store.key("stats", "expired"), step, count)
                pipe.execute()
                report.expired += sum(expired_here.values())
                report.by_step.update(expired_here)
        seen += len(ids)
        tick("expired index entries", seen)


def _previous_run(store):
    raw = store.redis.hget(store.key("stats", "cleanup"), "last_run")
    return datetime.fromisoformat(raw.decode()) if raw else None


def _steps_of(store, ids):
    """Step reached per draft id, from the tombstones (for a dry run's report)."""
    if not ids:
        return {}
    values = store.redis.mget([store.key("tomb", draft_id) for draft_id in ids])
    steps = {}
    for draft_id, raw in zip(ids, values):
        try:
            steps[draft_id] = json.loads(raw)["s"] if raw else None
        except (ValueError, KeyError, TypeError):
            steps[draft_id] = None
    return steps


def _sweep_upload_area(store, report, batch_size, dry_run, tick):
    """Folders of drafts that no longer exist; unreferenced files older than the TTL; strays."""
    root = settings.DRAFT_UPLOAD_ROOT
    if not root.exists():
        return  # nothing was ever uploaded
    max_age = settings.SESSION_TTL
    now = time.time()
    seen = 0
    with os.scandir(root) as entries:  # an unreadable upload area raises: a clear error
        batch = []
        for entry in entries:
            batch.append(entry)
            if len(batch) >= batch_size:
                _sweep_batch(store, report, batch, dry_run, now, max_age)
                seen += len(batch)
                tick("upload folders", seen)
                batch = []
        if batch:
            _sweep_batch(store, report, batch, dry_run, now, max_age)
            seen += len(batch)
            tick("upload folders", seen)


def _remove(report, path, dry_run):
    try:
        size = path.stat().st_size
        if not dry_run:
            path.unlink()
    except FileNotFoundError:
        return
    report.files += 1
    report.bytes += size


def _sweep_batch(store, report, entries, dry_run, now, max_age):
    # Never follow a symlink out of the upload area: a link is a stray, and only the link goes.
    folders = [entry for entry in entries if entry.is_dir(follow_symlinks=False) and is_draft_id(entry.name)]
    folder_names = {entry.name for entry in folders}
    strays = [entry for entry in entries if entry.name not in folder_names]
    drafts = {draft.id: draft for draft in store.get_many([entry.name for entry in folders])}
    for entry in folders:
        draft = drafts.get(entry.name)
        referenced = {Path(item["tmp_name"]).name for item in draft.files} if draft else set()
        for path in Path(entry.path).rglob("*"):
            if not path.is_file():
                continue
            if draft is None or (path.name not in referenced and now - path.stat().st_mtime > max_age):
                _remove(report, path, dry_run)
        if draft is None and not dry_run:
            delete_draft_files(entry.name)
    for entry in strays:
        path = Path(entry.path)
        if now - entry.stat(follow_symlinks=False).st_mtime <= max_age:
            continue
        if entry.is_dir(follow_symlinks=False):
            for inner in path.rglob("*"):
                if inner.is_file():
                    _remove(report, inner, dry_run)
            if not dry_run:
                shutil.rmtree(path, ignore_errors=True)
        else:
            _remove(report, path, dry_run)


def _sweep_tombstones(store, report, batch_size, dry_run, tick):
    """Tombstones of gone drafts that would outlive DRAFT_TOMBSTONE_TTL (no expiry, or one set
    under older settings or by an extension): cut back to DRAFT_TOMBSTONE_TTL, or removed."""
    redis = store.redis
    tomb_prefix, draft_prefix = store.key("tomb", "x")[:-1], store.key("draft", "x")[:-1]
    seen = 0

    def flush(keys):
        pipe = redis.pipeline(transaction=False)
        for key in keys:
            pipe.ttl(key)
            pipe.exists(draft_prefix + key.decode()[len(tomb_prefix):])
        replies = pipe.execute()
        stale = [
            key
            for key, ttl, draft_exists in zip(keys, replies[::2], replies[1::2])
            # A minute of slack: a tombstone whose draft just expired has about that TTL left.
            if not draft_exists and (ttl == -1 or ttl > settings.DRAFT_TOMBSTONE_TTL + 60)
        ]
        if stale and not dry_run:
            pipe = redis.pipeline(transaction=False)
            for key in stale:
                if settings.DRAFT_TOMBSTONE_TTL:
                    pipe.expire(key, settings.DRAFT_TOMBSTONE_TTL)
                else:
                    pipe.delete(key)
            pipe.execute()
        report.tombstones += len(stale)

    batch = []
    for key in redis.scan_iter(match=tomb_prefix + "*", count=batch_size):
        batch.append(key)
        if len(batch) >= batch_size:
            flush(batch)
            seen += len(batch)
            tick("tombstones", seen)
            batch = []
    if batch:
        flush(batch)
        seen += len(batch)
        tick("tombstones", seen)
