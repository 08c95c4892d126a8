"""The draft store's contract: what every DraftStore backend must do, in the manner of Django's
SessionTestsMixin. ``DraftStoreContract`` is written against the interface only; a backend's
test class provides two fixtures: ``store`` and ``expire`` (make drafts' records expire for real,
as at the end of their lifetime)."""

import inspect
import json
from datetime import timedelta

import pytest

from sessions_store.drafts import SCHEMA_VERSION, Draft, Owner, upgrade, user_agent_hash
from sessions_store.redis_store import RedisDraftStore
from sessions_store.store import DraftConflict, DraftGone, DraftStore, DraftStoreUnavailable, DraftTooLarge, StoreLock

from .wizard_helpers import expire_for_real


def new_draft(owner_key="u:1", name=None, step="details"):
    draft = Draft.new(owner=Owner(key=owner_key, user_agent_hash=user_agent_hash("pytest")), metadata={"ip_address": "127.0.0.1"})
    draft.wizard["step"] = step
    if name:
        draft.wizard["step_data"]["details"] = {"details-project_name": [name], "details-client_email": [f"{name.lower()}@example.com"]}
    return draft


class DraftStoreContract:
    # --- one draft ---------------------------------------------------------------------------

    def test_it_loads_nothing_for_an_unknown_id(self, store):
        assert store.load("0d5c1a52-0f38-4c1e-9d2e-5b7f4cc0d8a1") == (None, None)

    def test_it_reads_back_what_it_created(self, store):
        draft = store.create(new_draft(name="Round trip"))
        loaded, tomb_owner = store.load(draft.id)
        assert loaded.to_dict() == draft.to_dict()
        assert tomb_owner == "u:1"
        assert (loaded.writes, loaded.revision) == (1, 1)

    def test_it_never_creates_over_an_existing_draft(self, store):
        draft = store.create(new_draft())
        twin = Draft.from_dict({**draft.to_dict(), "writes": 0})
        twin.saved_data = None
        with pytest.raises(DraftConflict):
            store.create(twin)
        with pytest.raises(DraftConflict):
            store.create(draft)  # saved already

    def test_it_moves_the_revision_only_when_the_data_changes(self, store):
        draft = store.create(new_draft())
        draft.wizard["step"] = "requirements"  # navigation
        store.save(draft)
        assert (draft.writes, draft.revision) == (2, 1)
        draft.wizard["step_data"]["details"] = {"details-project_name": ["Changed"]}
        store.save(draft)
        assert (draft.writes, draft.revision) == (3, 2)
        assert store.load(draft.id)[0].revision == 2

    def test_it_refuses_a_write_from_a_stale_read(self, store):
        draft = store.create(new_draft())
        first, second = store.load(draft.id)[0], store.load(draft.id)[0]
        first.pending["details"] = {"data": {"details-project_name": ["First"]}, "saved_at": "x"}
        store.save(first)
        second.pending["details"] = {"data": {"details-project_name": ["Second"]}, "saved_at": "x"}
        with pytest.raises(DraftConflict):
            store.save(second)
        assert (second.writes, second.revision) == (1, 1)  # unchanged: reload and retry
        assert store.load(draft.id)[0].pending_data("details") == {"details-project_name": ["First"]}

    def test_it_refuses_to_update_a_draft_that_is_gone(self, store):
        draft = store.create(new_draft())
        store.delete(draft)
        with pytest.raises(DraftGone):
            store.save(draft)

    def test_it_refuses_a_record_over_the_size_cap_and_keeps_the_stored_one(self, store, settings):
        draft = store.create(new_draft())
        settings.SESSION_MAX_BYTES = 2048
        draft.pending["details"] = {"data": {"details-project_description": ["x" * 4000]}, "saved_at": "x"}
        with pytest.raises(DraftTooLarge):
            store.save(draft)
        assert draft.writes == 1 and store.load(draft.id)[0].pending == {}

    def test_it_extends_without_counting_it_as_the_users_activity(self, store, frozen_clock):
        draft = store.create(new_draft())
        frozen_clock.travel(timedelta(hours=3))
        store.extend(draft, 7 * 86400)
        loaded = store.load(draft.id, slide=False)[0]
        assert loaded.last_activity == draft.last_activity
        assert loaded.expires_at - frozen_clock.now() > timedelta(days=6)
        assert loaded.revision == 1

    def test_it_deletes_a_draft_and_forgets_its_owner(self, store):
        draft = store.create(new_draft())
        store.delete(draft)
        assert store.load(draft.id) == (None, None)
        assert store.list_for_owner("u:1") == []

    def test_it_remembers_the_owner_of_an_expired_draft(self, store, expire):
        draft = store.create(new_draft(owner_key="a:browser"))
        expire(draft.id)
        assert store.load(draft.id) == (None, "a:browser")

    def test_it_upgrades_a_record_of_an_older_schema(self, store):
        draft = new_draft(name="Old")
        record = draft.to_dict()
        old = {key: value for key, value in record.items() if key not in ("writes", "schema")}
        old.update({"schema": 1, "version": 3})
        assert upgrade(dict(old)) == {**record, "writes": 3, "version": 3, "schema": SCHEMA_VERSION}
        loaded = Draft.from_dict(old)
        assert (loaded.writes, loaded.revision, loaded.stored_schema) == (3, record["revision"], 1)

    def test_it_sets_a_discarded_draft_aside_and_restores_it_as_it_was(self, store, frozen_clock):
        draft = store.create(new_draft(name="Aside", step="sources"))
        draft.files = [{"id": "f1", "name": "brief.pdf", "tmp_name": f"{draft.id}/f1.pdf"}]
        store.save(draft)
        store.discard(draft, seconds=600)
        assert store.load(draft.id) == (None, "u:1")
        assert store.list_for_owner("u:1") == []
        assert store.page() == (0, [])
        ended = store.ended(draft.id)
        assert (ended.how, ended.title, ended.step, ended.owner, ended.restorable) == ("discarded", "Aside", "sources", "u:1", True)
        assert ended.draft.files == draft.files
        assert store.set_aside([draft.id, "0d5c1a52-0f38-4c1e-9d2e-5b7f4cc0d8a1"]) == {draft.id}

        frozen_clock.travel(timedelta(minutes=9))
        restored = store.restore(draft.id)
        assert (restored.wizard, restored.files, restored.revision) == (draft.wizard, draft.files, draft.revision)
        assert restored.expires_at - frozen_clock.now() > timedelta(hours=23)  # its lifetime restarts
        assert store.load(draft.id)[0].to_dict() == restored.to_dict()
        assert store.ended(draft.id) is None and store.set_aside([draft.id]) == set()
        assert [d.id for d in store.list_for_owner("u:1")] == [draft.id]
        assert store.page()[0] == 1
        with pytest.raises(DraftGone):
            store.restore(draft.id)  # restored already

    def test_it_refuses_to_restore_once_the_window_has_passed(self, store, frozen_clock):
        draft = store.create(new_draft())
        store.discard(draft, seconds=600)
        frozen_clock.travel(timedelta(minutes=10, seconds=1))
        ended = store.ended(draft.id)
        assert ended.how == "discarded" and not ended.restorable
        assert store.set_aside([draft.id]) == set()
        with pytest.raises(DraftGone):
            store.restore(draft.id)
        assert store.load(draft.id) == (None, "u:1")

    def test_it_refuses_to_discard_a_draft_that_is_gone(self, store):
        draft = store.create(new_draft())
        store.delete(draft)
        with pytest.raises(DraftGone):
            store.discard(draft, seconds=600)
        assert store.ended(draft.id) is None

    # --- many drafts ---------------------------------------------------------------------------

    def test_it_lists_an_owners_drafts_most_recent_first(self, store, frozen_clock, expire):
        older = store.create(new_draft(name="Older"))
        frozen_clock.travel(timedelta(minutes=5))
        newer = store.create(new_draft(name="Newer"))
        store.create(new_draft(owner_key="u:2", name="Other"))
        gone = store.create(new_draft(name="Gone"))
        expire(gone.id)
        assert [draft.id for draft in store.list_for_owner("u:1")] == [newer.id, older.id]

    def test_it_lists_an_owners_ended_drafts_for_the_tombstones_lifetime(self, store, frozen_clock, expire, settings):
        lapsed = store.create(new_draft(name="Lapsed"))
        swept = store.create(new_draft(name="Swept"))
        binned = store.create(new_draft(name="Binned"))
        store.create(new_draft(name="Live"))
        store.create(new_draft(owner_key="u:2", name="Other"))
        expire(lapsed.id, swept.id)
        frozen_clock.travel(timedelta(days=2))
        list(store.clear_expired())  # forgets both; their owner's keys wait for the owner's next visit
        assert len(store.list_for_owner("u:1")) == 2  # Binned and Live; it notes both expiries
        assert sorted(d.title for d in store.list_ended("u:1")) == ["Lapsed", "Swept"]
        store.discard(binned, seconds=600)
        ended = store.list_ended("u:1")
        assert [(d.how, d.title) for d in ended][0] == ("discarded", "Binned")
        assert sorted((d.how, d.title) for d in ended[1:]) == [("expired", "Lapsed"), ("expired", "Swept")]
        assert all(d.ended_at <= frozen_clock.now() for d in ended)
        assert store.list_ended("u:2") == []
        frozen_clock.travel(timedelta(seconds=settings.DRAFT_TOMBSTONE_TTL + 60))
        assert store.list_ended("u:1") == []

    def test_it_notices_an_expiry_when_it_lists_the_owners_drafts(self, store, expire):
        lapsed = store.create(new_draft(name="Lapsed"))
        expire(lapsed.id)
        assert store.list_for_owner("u:1") == []
        assert [(d.id, d.how, d.title) for d in store.list_ended("u:1")] == [(lapsed.id, "expired", "Lapsed")]

    def test_it_gets_many_drafts_leaving_out_the_gone(self, store, expire):
        first, second, gone = (store.create(new_draft(name=name)) for name in ("First", "Second", "Gone"))
        expire(gone.id)
        assert [draft.id for draft in store.get_many([second.id, gone.id, first.id])] == [second.id, first.id]

    def test_it_pages_sorts_filters_and_searches(self, store, frozen_clock):
        made = []
        for number, (owner, step) in enumerate([("u:1", "details"), ("a:x", "sources"), ("u:2", "sources")]):
            made.append(store.create(new_draft(owner_key=owner, name=f"Harbour{number}", step=step)))
            frozen_clock.travel(timedelta(minutes=1))
        total, drafts = store.page(per_page=2)
        assert total == 3 and [d.id for d in drafts] == [made[2].id, made[1].id]
        assert [d.id for d in store.page(sort="created", number=2, per_page=2)[1]] == [made[2].id]
        assert store.page(step="sources", kind="user")[0] == 1
        total, drafts = store.page(query="harbour1")
        assert total == 1 and drafts[0].id == made[1].id
        assert store.page(query="harbour2@example")[1][0].id == made[2].id
        assert store.page(query="nowhere") == (0, [])

    # --- locks ------------------------------------------------------------------------------------

    def test_it_lends_a_lock_to_one_holder_at_a_time(self, store):
        first, second = store.lock("job", timeout=5), store.lock("job", timeout=5)
        assert isinstance(first, StoreLock)
        assert first.acquire() and not second.acquire()
        assert first.refresh() and not second.refresh()
        second.release()  # not its lock: changes nothing
        assert not second.acquire()
        first.release()
        assert second.acquire(wait=0.2)
        second.release()

    def test_it_takes_the_commit_lock_with_the_load_for_the_owner_only(self, store):
        draft = store.create(new_draft())
        _, _, stranger = store.load_for_commit(draft.id, owner_key="u:2")
        assert stranger is None
        loaded, _, lock = store.load_for_commit(draft.id, owner_key="u:1")
        assert loaded.id == draft.id and lock is not None
        assert store.load_for_commit(draft.id, owner_key="u:1")[2] is None  # held
        assert not store.lock(f"commit:{draft.id}", timeout=5).acquire()
        store.delete(draft)  # deleting the draft gives its commit lock back
        assert store.lock(f"commit:{draft.id}", timeout=5).acquire()

    # --- upkeep ------------------------------------------------------------------------------------

    def test_it_clears_expired_drafts_once(self, store, expire, frozen_clock):
        live = store.create(new_draft(step="details"))
        gone = [store.create(new_draft(step=step)) for step in ("sources", "sources", "review")]
        expire(*[draft.id for draft in gone])
        frozen_clock.travel(timedelta(days=2))
        store.load(live.id)  # slides its lifetime: still live, though past its indexed expiry

        dry = list(store.clear_expired(batch_size=2, dry_run=True))
        assert sorted(step for batch in dry for _, step in batch.expired) == ["review", "sources", "sources"]
        batches = list(store.clear_expired(batch_size=2))
        assert sorted(draft_id for batch in batches for draft_id, _ in batch.expired) == sorted(d.id for d in gone)
        assert sum(batch.rescheduled for batch in batches) == 1, (batches, live.id, dry)
        assert list(store.clear_expired()) == []
        assert store.load(gone[0].id) == (None, "u:1")  # the tombstone stays
        assert store.load(live.id)[0] is not None

    def test_it_trims_tombstones_that_would_outlive_their_bound(self, store, expire):
        cut_short = store.create(new_draft())
        store.create(new_draft())  # alive: its tombstone is left alone
        expire(cut_short.id)  # its tombstone still has the record's unused lifetime on top
        assert [stale for _, stale in store.trim_tombstones(dry_run=True)] == [1]
        assert [stale for _, stale in store.trim_tombstones()] == [1]
        assert [stale for _, stale in store.trim_tombstones()] == [0]
        assert store.load(cut_short.id) == (None, "u:1")  # trimmed, not removed

    def test_it_records_the_last_cleanup(self, store, frozen_clock):
        assert store.last_cleanup() is None
        store.note_cleanup("expired 0 drafts")
        assert abs(store.last_cleanup() - frozen_clock.now()) < timedelta(seconds=5)

    def test_it_erases_every_draft_of_one_owner_and_nothing_else(self, store, expire, frozen_clock):
        live, discarded, gone = (store.create(new_draft()) for _ in range(3))
        store.discard(discarded, seconds=600)
        expire(gone.id)
        store.list_for_owner("u:1")  # notices the expiry: an ended draft now
        others = store.create(new_draft(owner_key="u:2"))

        assert sorted(store.erase_owner("u:1")) == sorted([live.id, discarded.id, gone.id])
        assert store.list_for_owner("u:1") == [] and store.list_ended("u:1") == []
        for draft in (live, discarded, gone):
            assert store.load(draft.id) == (None, None) and store.ended(draft.id) is None
        assert store.page()[0] == 1 and store.load(others.id)[0] is not None
        assert store.erase_owner("u:1") == []

    def test_it_reports_its_vitals_with_the_errors_of_the_last_minutes(self, store, frozen_clock):
        store.create(new_draft())
        store.note_cleanup("expired 0 drafts")
        store.note_error()
        frozen_clock.travel(timedelta(minutes=2))
        store.note_error()
        vitals = store.vitals(minutes=5)
        assert vitals.live_drafts == 1 and vitals.memory_used > 0 and vitals.eviction_policy
        assert vitals.last_cleanup is not None and vitals.recent_errors == 2
        assert store.vitals(minutes=2).recent_errors == 1
        frozen_clock.travel(timedelta(minutes=5))
        assert store.vitals(minutes=5).recent_errors == 0

    def test_it_answers_a_ping_with_its_latency(self, store):
        assert store.ping() >= 0

    def test_it_says_where_a_draft_is_kept(self, store):
        draft = store.create(new_draft())
        assert draft.id in store.location(draft.id)


# Every interface method, called the way callers call it.
CALLS = {
    "load": lambda s, d: s.load(d.id),
    "load_for_commit": lambda s, d: s.load_for_commit(d.id, owner_key="u:1"),
    "create": lambda s, d: s.create(new_draft()),
    "save": lambda s, d: s.save(d),
    "extend": lambda s, d: s.extend(d, 60),
    "delete": lambda s, d: s.delete(d),
    "discard": lambda s, d: s.discard(d, seconds=60),
    "restore": lambda s, d: s.restore(d.id),
    "ended": lambda s, d: s.ended(d.id),
    "list_ended": lambda s, d: s.list_ended("u:1"),
    "set_aside": lambda s, d: s.set_aside([d.id]),
    "erase_owner": lambda s, d: s.erase_owner("u:1"),
    "list_for_owner": lambda s, d: s.list_for_owner("u:1"),
    "get_many": lambda s, d: s.get_many([d.id]),
    "page": lambda s, d: s.page(),
    "lock": lambda s, d: s.lock("job", timeout=5).acquire(),
    "clear_expired": lambda s, d: list(s.clear_expired()),
    "trim_tombstones": lambda s, d: list(s.trim_tombstones()),
    "sweep_search": lambda s, d: list(s.sweep_search()),
    "last_cleanup": lambda s, d: s.last_cleanup(),
    "note_cleanup": lambda s, d: s.note_cleanup("x"),
    "tombstones_checked_for": lambda s, d: s.tombstones_checked_for(),
    "ping": lambda s, d: s.ping(),
    "counts": lambda s, d: s.counts(days=["2026-01-01"]),
    "vitals": lambda s, d: s.vitals(),
    "note_error": lambda s, d: s.note_error(),
    "location": lambda s, d: s.location(d.id),
}


def interface_methods(cls):
    return {name for name, _ in inspect.getmembers(cls, callable) if not name.startswith("_")}


def test_it_declares_every_method_callers_use_with_a_docstring():
    assert interface_methods(DraftStore) == set(CALLS)
    for name in CALLS:
        assert getattr(DraftStore, name).__doc__, name
    # The Redis backend adds only its key layout and its bulk-load command, for tests and benchmarks.
    assert interface_methods(RedisDraftStore) - interface_methods(DraftStore) == {"key", "save_command"}


class TestRedisDraftStore(DraftStoreContract):
    @pytest.fixture
    def store(self, db):
        return RedisDraftStore()

    @pytest.fixture
    def expire(self, drafts_redis):
        return lambda *ids: expire_for_real(drafts_redis, *ids)

    @pytest.mark.parametrize("method", sorted(set(CALLS) - {"location"}))  # location() asks Redis nothing
    def test_it_raises_its_one_exception_on_every_redis_error(self, store, redis_outage, method):
        draft = store.create(new_draft())
        redis_outage.begin()
        with pytest.raises(DraftStoreUnavailable):
            CALLS[method](RedisDraftStore(), draft)

    def test_it_counts_expired_drafts_by_the_step_they_reached(self, store, expire, drafts_redis, frozen_clock):
        gone = [store.create(new_draft(step=step)) for step in ("sources", "sources", "review")]
        expire(*[draft.id for draft in gone])
        frozen_clock.travel(timedelta(days=2))
        assert sum(len(batch.expired) for batch in store.clear_expired()) == 3
        assert drafts_redis.hgetall(store.key("stats", "expired")) == {b"sources": b"2", b"review": b"1"}

    def test_it_stores_json_never_pickles(self, store, drafts_redis):
        draft = store.create(new_draft(name="Json"))
        record = json.loads(drafts_redis.get(store.key("draft", draft.id)))
        assert record["schema"] == SCHEMA_VERSION and record["writes"] == 1
