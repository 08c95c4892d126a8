"""What abandoned drafts leave behind, and its removal (run by ``manage.py cleanup_drafts``).

Redis expires a draft's record by itself, but not what points at it or what it pointed at:
its entries in the indexes, its temporary upload folder, files orphaned by failed saves, and
tombstones without a bound. This pass removes them in batches (memory bounded by the batch size),
under a lock, and counts the expired drafts by the step they had reached.
"""

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from . import clock
from .drafts import is_draft_id
from .files import delete_draft_files
from .store import get_draft_store

LOCK_TIMEOUT = 300


class CleanupBusy(Exception):
    """Another cleanup holds the lock."""


class CleanupLockLost(CleanupBusy):
    """This run's lock expired (a batch took longer than LOCK_TIMEOUT) and another run took it:
    this run stops, so that two never work side by side."""


@dataclass
class CleanupReport:
    dry_run: bool = False
    expired: int = 0
    by_step: Counter = field(default_factory=Counter)
    rescheduled: int = 0
    files: int = 0
    bytes: int = 0
    tombstones: int = 0
    search_parts: int = 0  # parts of the staff search index dropped (store.sweep_search)
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
            f"{verb}rescheduled {self.rescheduled} live index entries, "
            f"{verb}swept {self.search_parts} search index generations; "
            f"expired by step reached: {steps} ({self.seconds:.1f} s)"
        )


def cleanup_drafts(*, batch_size=500, dry_run=False, progress=None, tombstones=False):
    """Run one cleanup pass. Raises DraftStoreUnavailable, OSError, CleanupBusy or CleanupLockLost.

    The tombstone pass reads every tombstone (a week of expired drafts: far more than one run
    expires), and only tombstones written under a longer DRAFT_TOMBSTONE_TTL or by an older
    release can be stale. So it runs when no complete pass is recorded for the current TTL or a
    longer one (the first run, or the TTL was lowered), or when asked (``tombstones``). A run
    without it records a raised TTL all the same: tombstones written since live that long, and
    are stale once it goes back down."""
    store = get_draft_store()
    started = time.perf_counter()
    report = CleanupReport(dry_run=dry_run)
    lock = store.lock("lock:cleanup", timeout=LOCK_TIMEOUT)
    if not lock.acquire():
        raise CleanupBusy("another cleanup_drafts run is in progress")
    with lock:
        def tick(stage, count):
            if not lock.refresh():  # keep the lock for as long as the run makes progress
                raise CleanupLockLost("this run's lock expired and another run took it")
            if progress:
                progress(stage, count)

        report.previous_run = store.last_cleanup()
        seen = 0
        for batch in store.clear_expired(batch_size=batch_size, dry_run=dry_run):
            report.rescheduled += batch.rescheduled
            for _, step in batch.expired:
                report.expired += 1
                report.by_step[step] += 1
            # Their upload folders go in the sweep below, which reads the upload area once instead
            # of looking for a folder per expired draft (most have none).
            seen += batch.seen
            tick("expired index entries", seen)
        # Their search entries go with their generation, once every draft of it has ended.
        seen, parts = 0, set()
        for part, read in store.sweep_search(batch_size=batch_size, dry_run=dry_run):
            parts.add(part)
            seen += read
            tick("search entries", seen)
        report.search_parts = len(parts)
        _sweep_upload_area(store, report, batch_size, dry_run, tick)
        checked_for = store.tombstones_checked_for()
        ttl = settings.DRAFT_TOMBSTONE_TTL
        trim = tombstones or checked_for is None or ttl < checked_for
        seen = 0
        for checked, stale in store.trim_tombstones(batch_size=batch_size, dry_run=dry_run) if trim else ():
            report.tombstones += stale
            seen += checked
            tick("tombstones", seen)
        report.seconds = time.perf_counter() - started
        if not dry_run:  # the summary it prints, its duration included
            store.note_cleanup(report.summary(), tombstones_checked_for=ttl)
    return report


def _sweep_upload_area(store, report, batch_size, dry_run, tick):
    """Folders of drafts that no longer exist (or were discarded and can no longer be restored);
    unreferenced files older than the TTL; strays."""
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
    # A discarded draft keeps its files while it can be restored; after that they go.
    set_aside = store.set_aside([entry.name for entry in folders if entry.name not in drafts])
    for entry in folders:
        if entry.name in set_aside:
            continue
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
