"""``manage.py cleanup_drafts``: what abandoned drafts leave behind, removed for real. Expired
drafts' index entries, files and funnel counts; live drafts rescheduled; orphan and stray files in
the upload area (and nothing outside it); stale tombstones; thousands of entries in small batches.

Real Redis, real files under a per-test DRAFT_UPLOAD_ROOT, drafts made through the wizard, and
drafts that expire as Redis expires them: see cleanup_helpers.py.
"""

import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from sessions_store import clock
from sessions_store.redis_scripts import SAVE, script
from sessions_store.redis_upkeep import ENDED_MAX

from .cleanup_helpers import (
    age,
    big_pdf,
    cleanup,
    disk,
    keys_mentioning,
    megabytes,
    new_draft,
    past_their_expiry,
    past_their_search_generation,
    post_requirements,
    summary,
    write,
)
from .cleanup_helpers import root, store  # noqa: F401 (fixtures)
from .admin_helpers import named_drafts
from .wizard_helpers import complete_until_review, expire_for_real, names_draft, start_draft, step_url

pytestmark = pytest.mark.django_db

DAY = 86400


# --- expired drafts ----------------------------------------------------------------------------------

def test_it_expires_abandoned_drafts_and_removes_their_index_entries_and_files(owner_client, store, drafts_redis, root):
    anonymous = Client()
    at_requirements = start_draft(anonymous)
    at_sources = start_draft(owner_client)
    post_requirements(owner_client, at_sources, [big_pdf("brief.pdf", 700_001)])
    at_review = complete_until_review(owner_client, [big_pdf("spec.pdf", 500_002), big_pdf("plan.pdf", 250_003)])
    gone = [at_requirements, at_sources, at_review]
    assert all(keys_mentioning(drafts_redis, draft_id) for draft_id in gone)
    assert (root / at_review).is_dir()
    expire_for_real(drafts_redis, *gone, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_search_generation()

    out, err = cleanup()

    assert err == ""
    counts = summary(out)
    assert "expired 3 drafts" in out
    assert f"removed 3 files ({megabytes(700_001 + 500_002 + 250_003)} MB)" in out
    assert counts["mb"] == "1.5"
    assert "expired by step reached: requirements=1, review=1, sources=1" in out
    assert counts["rescheduled"] == 0 and counts["tombstones"] == 0
    for draft_id in gone:
        # Out of every index staff and cleanup read; only its owner's own still names it.
        assert [key for key in keys_mentioning(drafts_redis, draft_id) if ":owner:" not in key] == []
        assert not (root / draft_id).exists()
    assert list(drafts_redis.scan_iter(match="*index*")) == []
    assert list(drafts_redis.scan_iter(match="*search*")) == []
    assert list(root.iterdir()) == []
    assert drafts_redis.hgetall(store.key("stats", "expired")) == {b"requirements": b"1", b"sources": b"1", b"review": b"1"}
    # The owners open their drafts: each is told which of theirs expired, and nothing names them
    # any more but the owner's ended list. Counted once (by the cleanup).
    for client, mine in ((anonymous, [at_requirements]), (owner_client, [at_sources, at_review])):
        response = client.get(reverse("projects:drafts"))
        assert response.status_code == 200
        assert response.context["rows"] == []
        assert sorted(ended.id for ended in response.context["expired"]) == sorted(mine)
    for draft_id in gone:
        assert keys_mentioning(drafts_redis, draft_id) == []  # index, index:*, owner:*, search
    assert list(drafts_redis.scan_iter(match="*owner:*")) == []
    assert list(drafts_redis.scan_iter(match="*uploads:*")) == []
    assert drafts_redis.hgetall(store.key("stats", "expired")) == {b"requirements": b"1", b"sources": b"1", b"review": b"1"}
    # The tombstones stay: the owners are told "expired" (410), not "not found" (404).
    for draft_id in gone:
        assert drafts_redis.exists(store.key("tomb", draft_id))
    for client, draft_id in ((anonymous, at_requirements), (owner_client, at_sources), (owner_client, at_review)):
        response = client.get(reverse("projects:wizard_resume", args=[draft_id]))
        assert response.status_code == 410, draft_id
    assert Client().get(reverse("projects:wizard_resume", args=[at_sources])).status_code == 404


def test_it_adds_to_the_funnel_counts_on_every_run(owner_client, store, drafts_redis):
    first = start_draft(owner_client)
    expire_for_real(drafts_redis, first, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()
    cleanup()
    second, third = start_draft(owner_client), complete_until_review(owner_client, [big_pdf("a.pdf", 1000)])
    expire_for_real(drafts_redis, second, third, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    out, _ = cleanup()

    assert "expired 2 drafts" in out
    assert "expired by step reached: requirements=1, review=1" in out
    assert drafts_redis.hgetall(store.key("stats", "expired")) == {b"requirements": b"2", b"review": b"1"}


def test_it_only_reschedules_a_live_draft_whose_index_expiry_is_past(owner_client, store, drafts_redis, root):
    draft_id = complete_until_review(owner_client, [big_pdf("spec.pdf", 4000)])
    past_their_expiry()
    # Reads slide the TTL in Redis, not the expiry index: the entry is due but the draft is alive.
    assert owner_client.get(step_url(draft_id, "review")).status_code == 200
    expiry_index = store.key("index", "expiry")
    assert drafts_redis.zscore(expiry_index, draft_id) < clock.now().timestamp()
    files_before = disk(root)

    out, _ = cleanup()

    counts = summary(out)
    assert counts["expired"] == 0 and counts["files"] == 0
    assert "rescheduled 1 live index entries" in out
    assert drafts_redis.exists(store.key("draft", draft_id))
    assert disk(root) == files_before
    new_expiry = drafts_redis.zscore(expiry_index, draft_id)
    remaining = drafts_redis.ttl(store.key("draft", draft_id))
    assert abs(new_expiry - (clock.now().timestamp() + remaining)) < 5
    assert owner_client.get(step_url(draft_id, "review")).status_code == 200
    # Back in line: the next run has nothing to do.
    assert summary(cleanup()[0])["rescheduled"] == 0


def test_it_removes_orphan_files_and_keeps_referenced_and_fresh_ones(owner_client, store, root):
    draft_id = complete_until_review(owner_client, [big_pdf("spec.pdf", 5000)])
    folder = root / draft_id
    [referenced] = list(folder.iterdir())
    age(referenced, 30 * DAY)  # referenced: kept however old
    orphan = write(folder / "0123456789ab.pdf", 700_000, older_than_ttl=True)
    fresh_orphan = write(folder / "ba9876543210.pdf", 100)
    never_existed = str(uuid.uuid4())
    ghost_files = [write(root / never_existed / "aaaaaaaaaaaa.pdf", 110_000), write(root / never_existed / "bbbbbbbbbbbb.txt", 130_000)]
    old_stray = write(root / "upload-1234.part", 170_000, older_than_ttl=True)
    fresh_stray = write(root / "upload-5678.part", 100)
    not_a_draft = write(root / "not-a-uuid" / "left.pdf", 190_000, older_than_ttl=True)
    age(not_a_draft.parent, django_settings.SESSION_TTL + 3600)

    out, _ = cleanup()

    removed = 700_000 + 110_000 + 130_000 + 170_000 + 190_000
    assert f"removed 5 files ({megabytes(removed)} MB)" in out
    assert megabytes(removed) == "1.3"
    assert "expired 0 drafts" in out
    assert referenced.exists() and fresh_orphan.exists() and fresh_stray.exists()
    assert not orphan.exists()
    assert not any(path.exists() for path in ghost_files)
    assert not (root / never_existed).exists()
    assert not old_stray.exists()
    assert not not_a_draft.parent.exists()
    assert sorted(path.name for path in root.iterdir()) == sorted([draft_id, "upload-5678.part"])
    # The draft still opens, with its document.
    draft, _ = store.load(draft_id, slide=False)
    assert [Path(item["tmp_name"]).name for item in draft.files] == [referenced.name]


def test_it_removes_nothing_when_nothing_was_ever_uploaded(owner_client, root):
    start_draft(owner_client)
    assert not root.exists()

    out, _ = cleanup()

    assert summary(out) == {
        "expired": 0, "files": 0, "mb": "0.0", "tombstones": 0, "rescheduled": 0, "search": 0, "steps": "none", "dry_run": False,
    }


def test_it_never_deletes_files_outside_the_upload_area(root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    precious = write(elsewhere / "precious.pdf", 1000)
    root.mkdir(parents=True)
    (root / str(uuid.uuid4())).symlink_to(elsewhere, target_is_directory=True)

    cleanup()

    assert precious.exists()


def test_it_cuts_back_stale_tombstones_and_leaves_those_of_live_drafts_alone(store, drafts_redis, settings):
    persisted = store.create(new_draft("u:1"))
    too_long = store.create(new_draft("u:2"))
    alive = store.create(new_draft("u:3"))
    expire_for_real(drafts_redis, persisted.id, too_long.id, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    drafts_redis.persist(store.key("tomb", persisted.id))
    drafts_redis.expire(store.key("tomb", too_long.id), 10 * settings.DRAFT_TOMBSTONE_TTL)
    drafts_redis.persist(store.key("tomb", alive.id))
    just_expired = store.create(new_draft("u:4"))
    expire_for_real(drafts_redis, just_expired.id, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    drafts_redis.expire(store.key("tomb", just_expired.id), settings.DRAFT_TOMBSTONE_TTL + 30)  # within the slack

    out, _ = cleanup()

    assert "trimmed 2 stale tombstones" in out
    assert "expired 0 drafts" in out  # their index entries are not due yet
    for draft in (persisted, too_long):
        ttl = drafts_redis.ttl(store.key("tomb", draft.id))
        assert settings.DRAFT_TOMBSTONE_TTL - 10 <= ttl <= settings.DRAFT_TOMBSTONE_TTL
    assert drafts_redis.ttl(store.key("tomb", alive.id)) == -1
    assert drafts_redis.ttl(store.key("tomb", just_expired.id)) > settings.DRAFT_TOMBSTONE_TTL
    assert store.load(persisted.id) == (None, "u:1")  # still "expired" for its owner
    assert "trimmed 0 stale tombstones" in cleanup()[0]


def test_it_removes_stale_tombstones_when_tombstones_are_disabled(store, drafts_redis, settings):
    draft = store.create(new_draft())
    expire_for_real(drafts_redis, draft.id, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    drafts_redis.persist(store.key("tomb", draft.id))
    settings.DRAFT_TOMBSTONE_TTL = 0

    out, _ = cleanup()

    assert "trimmed 1 stale tombstones" in out
    assert not drafts_redis.exists(store.key("tomb", draft.id))


def test_it_checks_every_tombstone_only_when_none_were_checked_against_this_ttl(store, drafts_redis, settings):
    """The tombstone pass reads a week of tombstones: it runs on the first cleanup, when
    DRAFT_TOMBSTONE_TTL is lowered, and on --tombstones; not on every hourly run."""
    drafts = [store.create(new_draft(f"u:{n}")) for n in range(3)]
    expire_for_real(drafts_redis, *(draft.id for draft in drafts), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    assert summary(cleanup()[0])["tombstones"] == 0  # the first run checks them all: none stale

    drafts_redis.persist(store.key("tomb", drafts[0].id))  # as an older release could have left it
    assert summary(cleanup()[0])["tombstones"] == 0  # not read again
    assert drafts_redis.ttl(store.key("tomb", drafts[0].id)) == -1

    assert summary(cleanup("--tombstones")[0])["tombstones"] == 1  # asked for
    assert 0 < drafts_redis.ttl(store.key("tomb", drafts[0].id)) <= settings.DRAFT_TOMBSTONE_TTL

    settings.DRAFT_TOMBSTONE_TTL = 86400  # lowered: the longer tombstones are now stale
    assert summary(cleanup()[0])["tombstones"] == 3
    assert summary(cleanup()[0])["tombstones"] == 0
    for draft in drafts:
        assert 0 < drafts_redis.ttl(store.key("tomb", draft.id)) <= 86400
    settings.DRAFT_TOMBSTONE_TTL = 7 * 86400  # raised: nothing can be stale
    drafts_redis.persist(store.key("tomb", drafts[1].id))
    assert summary(cleanup()[0])["tombstones"] == 0


def test_it_checks_every_tombstone_when_the_ttl_goes_back_down_after_a_raise(store, drafts_redis, settings):
    """Raised, the TTL makes no tombstone stale, but those written meanwhile live that long: put
    back to where it was checked, they are stale, and a pass must find them."""
    assert summary(cleanup()[0])["tombstones"] == 0  # the first run: checked against a week
    settings.DRAFT_TOMBSTONE_TTL = 30 * DAY
    draft = store.create(new_draft())
    expire_for_real(drafts_redis, draft.id, tombstone_ttl=30 * DAY)  # as its natural expiry leaves it
    assert summary(cleanup()[0])["tombstones"] == 0  # raised: nothing to check

    settings.DRAFT_TOMBSTONE_TTL = 7 * DAY  # back to a week

    assert summary(cleanup()[0])["tombstones"] == 1
    assert 0 < drafts_redis.ttl(store.key("tomb", draft.id)) <= 7 * DAY


def test_an_expiry_cuts_back_a_tombstone_written_under_a_longer_ttl_after_the_check(store, drafts_redis, settings):
    """The TTL was lowered and every tombstone checked against it, while an app server not yet
    restarted (a rolling deploy) still wrote tombstones under the old one: no later run checks
    them all again, so the expiry that meets one cuts it back."""
    settings.DRAFT_TOMBSTONE_TTL = DAY
    assert summary(cleanup()[0])["tombstones"] == 0  # lowered to a day: checked against it
    settings.DRAFT_TOMBSTONE_TTL = 7 * DAY  # the server not yet restarted
    draft = store.create(new_draft())
    expire_for_real(drafts_redis, draft.id, tombstone_ttl=7 * DAY)
    settings.DRAFT_TOMBSTONE_TTL = DAY
    past_their_expiry()

    assert summary(cleanup()[0])["expired"] == 1

    assert 0 < drafts_redis.ttl(store.key("tomb", draft.id)) <= DAY
    assert store.list_for_owner("u:1") == []  # the owner's next visit notes it among their ended drafts
    assert 0 < drafts_redis.ttl(store.key("tomb", draft.id)) <= DAY
    [ended] = store.list_ended("u:1")
    assert ended.id == draft.id and ended.how == "expired"


# --- scale ------------------------------------------------------------------------------------------------

def test_it_works_through_thousands_of_expired_entries_in_small_batches(store, drafts_redis):
    drafts = [store.create(new_draft(f"u:{index % 50}")) for index in range(2000)]
    expire_for_real(drafts_redis, *(draft.id for draft in drafts), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    out, _ = cleanup("--batch-size", "100")  # its speed is bench/drafts_admin_cleanup.py's business

    assert "expired 2000 drafts" in out
    assert list(drafts_redis.scan_iter(match="*index*")) == []
    assert len(list(drafts_redis.scan_iter(match="*tomb:*", count=1000))) == 2000


def test_it_takes_expired_drafts_out_of_the_search_index_and_leaves_the_others_findable(store, drafts_redis):
    drafts = named_drafts((f"Warehouse {n:03d}", f"Client {n % 9}", f"buyer{n}@firm.example") for n in range(200))
    expired, alive = drafts[::2], drafts[1::2]
    expire_for_real(drafts_redis, *(draft.id for draft in expired), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    out, _ = cleanup()

    assert "expired 100 drafts" in out
    total, found = store.page(query="warehouse", per_page=200)
    assert total == 100 and {draft.id for draft in found} == {draft.id for draft in alive}
    # Their entries go with their search generation, once it is over (SESSION_TTL after its end).
    past_their_search_generation()
    out, _ = cleanup()
    assert summary(out)["search"] == 1
    total, found = store.page(query="warehouse", per_page=200)
    assert total == 100 and {draft.id for draft in found} == {draft.id for draft in alive}
    entries = [member for key in drafts_redis.scan_iter(match="*search:*b:*") for member in drafts_redis.zrange(key, 0, -1)]
    assert len(entries) == 100 * 7  # the id, "warehouse", the number, "client", the digit, the email, its domain
    assert not [member for member in entries for draft in expired if names_draft(member, draft.id)]


# --- its log --------------------------------------------------------------------------------------------

def test_it_logs_one_line_per_batch_at_info_with_the_ids_and_a_line_per_draft_only_at_debug(store, drafts_redis, sessions_log):
    import logging

    drafts = [store.create(new_draft(f"u:{n}")) for n in range(5)]
    expire_for_real(drafts_redis, *(draft.id for draft in drafts), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()
    sessions_log.set_level(logging.INFO, logger="sessions_store")
    sessions_log.clear()

    cleanup("--batch-size", "2")

    lines = sessions_log(logging.INFO)
    assert [line["count"] for line in lines] == [2, 2, 1]
    assert {line["action"] for line in lines} == {"expire"} and all(line["success"] for line in lines)
    assert sorted(draft_id for line in lines for draft_id in line["draft_ids"]) == sorted(draft.id for draft in drafts)
    assert sum(line["steps"]["details"] for line in lines) == 5
    assert sessions_log(logging.DEBUG) == []

    again = [store.create(new_draft(f"u:{n}")) for n in range(3)]
    expire_for_real(drafts_redis, *(draft.id for draft in again), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()
    sessions_log.clear()
    sessions_log.set_level(logging.DEBUG, logger="sessions_store")

    cleanup()

    [batch] = sessions_log(logging.INFO)
    assert batch["count"] == 3
    per_draft = sessions_log(logging.DEBUG)
    assert sorted(line["draft_id"] for line in per_draft) == sorted(draft.id for draft in again)
    assert {(line["action"], line["step"]) for line in per_draft} == {("expire", "details")}


# --- the same end state as forgetting the drafts one by one ----------------------------------------

def _state(redis):
    """Every key but the run's own bookkeeping (lock, stats), with its contents and its TTL to the minute."""
    state = {}
    for key in redis.scan_iter(count=1000):
        name = key.decode()
        if ":lock:" in name or ":stats:" in name:
            continue
        kind = redis.type(key).decode()
        if kind == "string":
            value = redis.get(key)
        elif kind == "zset" and name.endswith(":index:expiry"):
            value = sorted(redis.zrange(key, 0, -1))  # live drafts are rescheduled, not forgotten
        elif kind == "zset":  # ended lists score by when the run saw the draft end: to the minute
            value = sorted((member, round(score / 60)) for member, score in redis.zrange(key, 0, -1, withscores=True))
        elif kind == "hash":
            value = sorted(redis.hgetall(key).items())
        else:
            value = kind
        ttl = redis.ttl(key)
        state[name] = (value, ttl if ttl < 0 else round(ttl / 60))
    return state


def test_a_cleanup_then_the_owners_visits_leave_what_forgetting_each_expired_draft_one_by_one_leaves(store, drafts_redis):
    """EXPIRE_DUE groups its work per batch and leaves each owner's keys to the owner's next
    visit (list_for_owner); the end state must be FORGET "expire" run draft by draft in the
    expiry index's order: indexes, search buckets (split and emptied), owners' ended lists (pushed
    past ENDED_MAX, their tombstones dropped), uploads hashes."""
    names = [(f"Warehouse {n:03d}", f"Client {n % 7}", f"buyer{n % 11}@firm{n % 3}.example") for n in range(180)]
    drafts = named_drafts(names[:120], owner_key="u:1")  # more than ENDED_MAX of one owner
    owners = ["u:1"]
    for n in range(120, 180, 10):
        drafts += named_drafts(names[n : n + 10], owner_key=f"a:token{n}")
        owners.append(f"a:token{n}")
    discarded = drafts[5]
    store.discard(discarded, seconds=django_settings.DRAFT_RESTORE_SECONDS)
    gone = [draft.id for draft in drafts[:150] if draft is not discarded]
    expire_for_real(drafts_redis, *gone, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    for n, draft_id in enumerate(gone):  # ended minutes apart, in no particular order: which stay is clear
        drafts_redis.expire(store.key("tomb", draft_id), django_settings.DRAFT_TOMBSTONE_TTL - 120 * ((n * 37) % 149))
    past_their_expiry()
    snapshot = {key: (drafts_redis.dump(key), drafts_redis.pttl(key)) for key in drafts_redis.scan_iter(count=1000)}
    taken = time.monotonic()
    due = [member.decode() for member in drafts_redis.zrangebyscore(store.key("index", "expiry"), "-inf", clock.now().timestamp())]

    cleanup("--batch-size", "40")
    for owner in owners:
        store.list_for_owner(owner)
    grouped = _state(drafts_redis)

    drafts_redis.flushdb()
    for key, (dumped, ttl) in snapshot.items():
        # As the TTLs stand now (the run took a while): an expiry is noted from its tombstone's TTL.
        left = ttl - int((time.monotonic() - taken) * 1000) if ttl > 0 else 0
        drafts_redis.restore(key, max(left, 1) if ttl > 0 else 0, dumped)
    for draft_id in due:  # the live ones it leaves alone
        store._forget([draft_id], "expire")
    for owner in owners:
        store.list_for_owner(owner)
    one_by_one = _state(drafts_redis)

    assert len(due) == 179 and len(gone) == 149
    assert grouped == one_by_one
    assert [key for key in grouped if ":search:" in key and ":b:" in key]  # the search generation is not over yet
    assert len([key for key in grouped if ":tomb:" in key]) < 150  # some pushed out of ended:u:1


def test_a_batch_of_thousands_of_one_owners_drafts_takes_them_all_out_of_every_index_and_notes_them(store, drafts_redis, settings):
    """A batch removes each shared index's members at once: 4,000 drafts at one step, of one kind
    and one owner (an owner without a cap, DRAFT_MAX_USER=0, or a backlog), due in one batch of
    --batch-size 4000, are 4,000 members of one step's index, more than one Lua call can take
    (unpack stops near 8,000 arguments). That owner's index holds more than a listing reads, so
    the batch notes them among the owner's ended drafts too, in one note of 8,000 scores and ids."""
    drafts = [new_draft("u:1") for _ in range(4000)]
    pipe = drafts_redis.pipeline(transaction=False)
    for draft in drafts:
        keys, args = store.save_command(draft, create=True)
        script(SAVE)(keys=keys, args=args, client=pipe)
    assert pipe.execute() == [1] * len(drafts)
    settings.DRAFT_MAX_USER = 0  # no cap, as such an owner has
    store.create(new_draft("u:1"))  # through the store: notes the owner's index as over the bound
    assert drafts_redis.zrange(store.key("owners", "over"), 0, -1) == [b"u:1"]
    expire_for_real(drafts_redis, *(draft.id for draft in drafts), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    out, _ = cleanup("--batch-size", "4000")

    assert summary(out)["expired"] == 4000
    assert [key for key in drafts_redis.scan_iter(match="*index*") if drafts_redis.zcard(key) != 1] == []  # but the live one
    assert drafts_redis.zcard(store.key("owner", "u:1")) == 1
    assert drafts_redis.zcard(store.key("ended", "u:1")) == ENDED_MAX


def test_an_owner_whose_index_holds_more_than_a_listing_reads_gets_its_expiries_noted_by_cleanup(store, drafts_redis, monkeypatch):
    """Cleanup leaves an owner's keys to the owner's next visit, unless the owner's index holds
    more ids than a listing reads (OWNER_LIST_MAX): one who never lists their drafts would
    otherwise keep every expired id there (and in uploads:<key>) while they keep saving, and the
    cap's and the upload total's checks read them all."""
    for module in ("redis_upkeep", "redis_store"):  # cleanup's bound, and the one its SAVE notes owners by
        monkeypatch.setattr(f"sessions_store.{module}.OWNER_LIST_MAX", 3)
    monkeypatch.setattr("sessions_store.redis_upkeep.ENDED_MAX", 2)
    drafts = [store.create(new_draft("u:1")) for _ in range(4)] + [store.create(new_draft("u:2")) for _ in range(2)]
    gone = [draft.id for draft in drafts[:3] + drafts[4:]]
    expire_for_real(drafts_redis, *gone, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    assert summary(cleanup()[0])["expired"] == 5

    assert [member.decode() for member in drafts_redis.zrange(store.key("owner", "u:1"), 0, -1)] == [drafts[3].id]
    assert drafts_redis.zcard(store.key("ended", "u:1")) == 2  # the newest two of three
    # An owner of two keeps theirs for their next visit.
    assert drafts_redis.zcard(store.key("owner", "u:2")) == 2 and not drafts_redis.exists(store.key("ended", "u:2"))
    assert not drafts_redis.exists(store.key("owners", "over"))  # u:1 holds no more than the bound now


def test_a_batch_line_names_at_most_500_drafts_so_no_log_system_cuts_it(sessions_log, caplog):
    import logging

    from sessions_store.log import log_batch

    sessions_log.set_level(logging.INFO, logger="sessions_store")
    items = [(f"00000000-0000-4000-8000-{n:012d}", "details") for n in range(1200)]

    log_batch("expire", items)

    lines = sessions_log(logging.INFO)
    assert [line["count"] for line in lines] == [500, 500, 200]
    assert [draft_id for line in lines for draft_id in line["draft_ids"]] == [draft_id for draft_id, _ in items]
    assert max(len(record.getMessage()) for record in caplog.records) < 48 * 1024
