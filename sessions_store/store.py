"""The draft store's interface, its one exception family, and the configured instance.

Like ``django.contrib.sessions.backends.base.SessionBase``, ``DraftStore`` lists every method a
backend provides and callers may use, each with a one-line docstring. The Redis backend is
``sessions_store.redis_store.RedisDraftStore`` (DRAFT_STORE_CLASS). Every method raises
``DraftStoreUnavailable`` when the backend cannot be reached or answers with an error, as
django-redis turns every Redis error into one type; nothing else about the backend leaks out.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from . import clock


class DraftStoreError(Exception):
    """The base of every error the draft store raises."""


class DraftStoreUnavailable(DraftStoreError):
    """The backend could not be reached or answered with an error. Never swallowed: users get a 503."""


class DraftConflict(DraftStoreError):
    """The draft changed since it was read (another tab or request wrote first)."""


class DraftTooLarge(DraftStoreError):
    """The draft record would be larger than SESSION_MAX_BYTES (its JSON, files excluded)."""


class OwnerAtCap(DraftStoreError):
    """A new draft was refused: its owner has as many live drafts as its kind may have
    (DRAFT_MAX_ANONYMOUS, DRAFT_MAX_USER). Nothing was written."""


class OwnerUploadsFull(DraftStoreError):
    """A discarded draft was not restored: with its documents, its owner's live drafts would take
    more than UPLOAD_MAX_OWNER_ANONYMOUS / UPLOAD_MAX_OWNER_USER. Nothing was written; ``limit``
    is that total in bytes."""

    def __init__(self, message, *, limit):
        super().__init__(message)
        self.limit = limit


class DraftGone(DraftStoreError):
    """An update of a draft that no longer exists (expired or deleted meanwhile)."""


@dataclass
class EndedDraft:
    """A draft that is gone, as its tombstone remembers it: discarded (restorable for a while) or
    expired."""

    id: str
    owner: str
    how: str  # "discarded" or "expired"
    ended_at: datetime
    title: str = ""
    step: str = None
    restorable_until: datetime = None  # a discarded draft still set aside: until when
    draft: object = None  # the set-aside record (a Draft), when ended() read it

    @property
    def restorable(self):
        return self.restorable_until is not None and clock.now() < self.restorable_until


@dataclass
class StoreVitals:
    """What a health check or a metrics scrape asks the backend, read in one round trip."""

    live_drafts: int
    memory_used: int  # bytes
    memory_max: int  # bytes; 0 = no limit
    eviction_policy: str
    aof_enabled: bool
    aof_ok: bool  # the last append-only write and rewrite succeeded (True when AOF is off)
    last_cleanup: datetime = None
    recent_errors: int = 0  # note_error() calls in the last ``minutes`` minutes

    @property
    def memory_share(self):
        return self.memory_used / self.memory_max if self.memory_max else None


class DraftStore:
    """The interface: every method callers use. Draft ids are strings (UUID4)."""

    # --- one draft ---------------------------------------------------------------------------

    def load(self, draft_id, *, slide=True, count_uploads=False):
        """``(draft or None, tombstone owner or None)``; ``slide`` restarts the draft's lifetime.
        ``count_uploads`` (with ``slide``): also count the bytes of the files of every live draft
        of its owner into ``draft.owner_upload_bytes`` (None otherwise), for a write that adds a
        file; other reads skip that work."""
        raise NotImplementedError

    def load_for_commit(self, draft_id, *, owner_key, timeout=60):
        """``(draft, tombstone owner, StoreLock or None)``: load() that also takes the draft's
        commit lock in the same round trip when ``owner_key`` owns the draft."""
        raise NotImplementedError

    def create(self, draft, *, step=None):
        """Write a new draft (one never saved); DraftConflict if a draft with its id exists,
        OwnerAtCap if its owner has as many live drafts as allowed, OwnerUploadsFull if its documents
        would take its owner past the upload total."""
        raise NotImplementedError

    def save(self, draft, *, action="update", step=None, ttl=None, touch=True):
        """Write a saved draft back unless another write came first (DraftConflict) or it is
        gone (DraftGone). Its revision moves when its data changed. ``action="claim"``: the draft
        moves to a new owner (its ``owner`` changed), held to that owner's limits as a new draft
        is: OwnerAtCap, OwnerUploadsFull (nothing written)."""
        raise NotImplementedError

    def extend(self, draft, seconds):
        """Staff: keep ``draft`` for ``seconds`` from now, not counted as the user's activity."""
        raise NotImplementedError

    def delete(self, draft, *, action="delete"):
        """Remove the draft, its tombstone, its index entries and its commit lock, for good."""
        raise NotImplementedError

    def discard(self, draft, *, seconds):
        """Set the draft aside for ``seconds`` (out of every index, restore() brings it back); DraftGone if gone."""
        raise NotImplementedError

    def restore(self, draft_id):
        """The set-aside draft back as it was, its lifetime restarted; DraftGone if not restorable (any more),
        OwnerAtCap if its owner has as many live drafts as allowed, OwnerUploadsFull if its documents
        would take its owner past the upload total."""
        raise NotImplementedError

    def ended(self, draft_id):
        """An ``EndedDraft`` for a draft that was discarded or expired (its tombstone lives), else None."""
        raise NotImplementedError

    # --- many drafts -----------------------------------------------------------------------------

    def list_for_owner(self, owner_key):
        """The live drafts of one owner key, most recent first, with their real remaining lifetime.
        Those it finds gone, it notes among the owner's ended drafts."""
        raise NotImplementedError

    def list_ended(self, owner_key):
        """``EndedDraft``s of one owner, newest first, for DRAFT_TOMBSTONE_TTL. An expired draft is
        among them once list_for_owner() has noticed it gone (clear_expired() leaves that to it):
        list the owner's drafts first."""
        raise NotImplementedError

    def erase_owner(self, owner_key):
        """Remove every draft of one owner for good (live, set aside or ended: records, tombstones,
        index entries, history) and the owner's own indexes; returns the ids removed (their files
        are the caller's)."""
        raise NotImplementedError

    def set_aside(self, draft_ids):
        """The ids among ``draft_ids`` of discarded drafts that can still be restored (keep their files)."""
        raise NotImplementedError

    def get_many(self, draft_ids):
        """The live drafts among ``draft_ids``, in that order."""
        raise NotImplementedError

    def page(self, *, sort="-last_activity", step=None, kind=None, query=None, number=1, per_page=50):
        """``(total, drafts)``: one page for staff, filtered and sorted, never a keyspace scan."""
        raise NotImplementedError

    # --- counters (sessions_store.counters) ----------------------------------------------------

    def counts(self, *, days=(), hours=()):
        """``({day label: {name: n}}, {hour label: {name: n}})``: the counters of those days and
        hours (labels as counters.day_label / hour_label make them), in one round trip."""
        raise NotImplementedError

    # --- locks -------------------------------------------------------------------------------------

    def lock(self, name, *, timeout):
        """A ``StoreLock`` named ``name`` (not yet taken) that expires ``timeout`` seconds after
        it is taken or refreshed."""
        raise NotImplementedError

    # --- upkeep (the role of clearsessions' clear_expired()) -------------------------------------------

    def clear_expired(self, *, batch_size=500, dry_run=False):
        """Yield one ``ExpiredBatch`` per batch of index entries past their expiry: forgets the
        drafts that are gone (keeping their tombstones) and reschedules the live ones. What only
        their owner reads is left to list_for_owner(), at the owner's next visit."""
        raise NotImplementedError

    def sweep_search(self, *, batch_size=500, dry_run=False):
        """Yield per step ``(part, entries read)`` while dropping the parts of
        the staff search index that only ended drafts can still be in."""
        raise NotImplementedError

    def trim_tombstones(self, *, batch_size=500, dry_run=False):
        """Yield per batch ``(tombstones checked, stale ones cut back to DRAFT_TOMBSTONE_TTL)``."""
        raise NotImplementedError

    def last_cleanup(self):
        """When the last real cleanup run finished (an aware datetime), or None."""
        raise NotImplementedError

    def note_cleanup(self, summary, *, tombstones_checked_for=None):
        """Record that a cleanup run finished now, with its one-line summary; and the longest
        DRAFT_TOMBSTONE_TTL a tombstone can have been written under since the last run that checked
        every tombstone (the TTL it checked them against, or a longer one set since)."""
        raise NotImplementedError

    def tombstones_checked_for(self):
        """What note_cleanup last recorded as ``tombstones_checked_for``, or None (no cleanup has
        checked every tombstone)."""
        raise NotImplementedError

    def ping(self):
        """The backend's round-trip time in milliseconds."""
        raise NotImplementedError

    def vitals(self, *, minutes=5):
        """A ``StoreVitals``: live drafts, memory, persistence, last cleanup, errors in the last ``minutes``."""
        raise NotImplementedError

    def note_error(self):
        """Count one server error in this minute's bucket (read back by vitals())."""
        raise NotImplementedError

    def location(self, draft_id):
        """Where the backend keeps the draft (a key or a path), for debugging output."""
        raise NotImplementedError


class StoreLock:
    """A named lock in the store, held by one token until released or expired."""

    def acquire(self, *, wait=0):
        """Take the lock, waiting up to ``wait`` seconds; True if taken."""
        raise NotImplementedError

    def refresh(self):
        """Restart the lock's timeout; True if it is still ours."""
        raise NotImplementedError

    def release(self):
        """Give the lock back if it is still ours; never raises (an expired lock needs nothing)."""
        raise NotImplementedError


_instance = None


def get_draft_store():
    """The configured store, one per process (rebuilt when the settings it reads change)."""
    global _instance
    if _instance is None:
        _instance = import_string(settings.DRAFT_STORE_CLASS)()
    return _instance


@receiver(setting_changed)
def _forget_store(setting, **kwargs):
    # Tests point the store at another Redis: its scripts are bound to the old connection.
    global _instance
    if setting in {"CACHES", "DRAFT_STORE_CLASS", "DRAFT_DESCRIBER"}:
        _instance = None
