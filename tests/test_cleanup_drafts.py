"""``manage.py cleanup_drafts``: what abandoned drafts leave behind, removed for real.

Real Redis, real files under a per-test DRAFT_UPLOAD_ROOT, drafts made through the wizard. A draft
"expires" the way Redis expires it (PEXPIRE on its record, then wait until it is gone; its
tombstone then has DRAFT_TOMBSTONE_TTL left, as it would at a natural expiry), and the app clock
is moved past its expiry so that the expiry index considers it due.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from copy import deepcopy
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from sessions_store import clock
from sessions_store.drafts import Draft, Owner, user_agent_hash
from sessions_store.store import get_draft_store

from .conftest import pdf_bytes, upload
from .wizard_helpers import complete_until_review, management, start_draft, step_url

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(
    r"^(?P<dry>dry run: )?(?:would have )?expired (?P<expired>\d+) drafts, "
    r"(?:would have )?removed (?P<files>\d+) files \((?P<mb>\d+\.\d) MB\), "
    r"(?:would have )?trimmed (?P<tombstones>\d+) stale tombstones, "
    r"(?:would have )?rescheduled (?P<rescheduled>\d+) live index entries; "
    r"expired by step reached: (?P<steps>.*) \(\d+\.\d s\)$"
)
DAY = 86400


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture
def store():
    return get_draft_store()


@pytest.fixture
def root():
    return django_settings.DRAFT_UPLOAD_ROOT


def cleanup(*args, **options):
    """Run the command as cron would; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("cleanup_drafts", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def summary(out):
    """The one-line summary, parsed (and checked to be the only line on stdout)."""
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    counts = {name: int(match[name]) for name in ("expired", "files", "tombstones", "rescheduled")}
    counts["mb"] = match["mb"]
    counts["steps"] = match["steps"]
    counts["dry_run"] = bool(match["dry"])
    return counts


def megabytes(size):
    return f"{size / 1_000_000:.1f}"


def big_pdf(name, size):
    """A real PDF of exactly ``size`` bytes."""
    content = pdf_bytes("x" * (size - len(pdf_bytes(""))))
    assert len(content) == size
    return upload(name, content, "application/pdf")


def post_requirements(client, draft_id, documents):
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": documents, "requirements-requirements_notes": "See the spec.", **management("requirements")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def expire(store, redis, *draft_ids):
    """Let Redis expire the drafts for real; their tombstones keep DRAFT_TOMBSTONE_TTL (as at a
    natural expiry, when the record's TTL reaches 0 with the tombstone's DRAFT_TOMBSTONE_TTL left)."""
    pipe = redis.pipeline(transaction=False)
    for draft_id in draft_ids:
        pipe.pexpire(store.key("draft", draft_id), 1)
    pipe.execute()
    deadline = time.monotonic() + 5
    while any(redis.exists(store.key("draft", draft_id)) for draft_id in draft_ids):
        assert time.monotonic() < deadline, "Redis did not expire the drafts"
        time.sleep(0.005)
    pipe = redis.pipeline(transaction=False)
    for draft_id in draft_ids:
        pipe.expire(store.key("tomb", draft_id), django_settings.DRAFT_TOMBSTONE_TTL)
    pipe.execute()


def past_their_expiry():
    """Move the app clock past the drafts' expiry: the expiry index now considers them due."""
    clock.travel(timedelta(seconds=django_settings.SESSION_TTL + 60))


def age(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def write(path, size, *, older_than_ttl=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    if older_than_ttl:
        age(path, django_settings.SESSION_TTL + 3600)
    return path


def keys_mentioning(redis, draft_id):
    """Every index-like key (sorted set) that still names the draft."""
    found = []
    for key in redis.scan_iter(count=1000):
        if redis.type(key) != b"zset":
            continue
        for member, _ in redis.zscan_iter(key, count=1000):
            if draft_id in member.decode():
                found.append(key.decode())
    return found


def redis_dump(redis):
    """Every key: its serialized value and remaining lifetime (ms)."""
    return {key: (redis.dump(key), redis.pttl(key)) for key in redis.scan_iter(count=1000)}


def assert_same_redis(before, after):
    assert sorted(after) == sorted(before)
    for key, (dump, pttl) in before.items():
        assert after[key][0] == dump, key
        if pttl < 0:
            assert after[key][1] == pttl, key
        else:
            assert abs(after[key][1] - pttl) < 5000, key


def disk(root):
    """Every file and folder under the upload root, with file sizes."""
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): (path.stat().st_size if path.is_file() else "dir")
        for path in sorted(root.rglob("*"))
    }


def new_draft(owner_key="u:1"):
    owner = Owner(key=owner_key, user_agent_hash=user_agent_hash("pytest"))
    return Draft.new(owner=owner, metadata={"user_agent": "pytest", "ip_address": "127.0.0.1", "platform": "Linux"})


# --- a full scene: everything cleanup deals with, at once --------------------------------------------

SIZES = {"sources": 600_123, "review-1": 450_321, "review-2": 300_456, "live": 200_000}
ORPHAN, GHOST, STRAY = 1_111, 2_222, 3_333


def build_scene(client, store, redis, root):
    """Three abandoned drafts (one per step reached), one live draft with an old orphan file, the
    folder of a draft that never existed, stray files and a stale tombstone. Returns (ids, expected)."""
    ids = {}
    ids["at-requirements"] = start_draft(client)
    ids["at-sources"] = start_draft(client)
    post_requirements(client, ids["at-sources"], [big_pdf("sources.pdf", SIZES["sources"])])
    ids["at-review"] = complete_until_review(
        client, [big_pdf("one.pdf", SIZES["review-1"]), big_pdf("two.pdf", SIZES["review-2"])]
    )
    ids["live"] = complete_until_review(client, [big_pdf("live.pdf", SIZES["live"])])
    expire(store, redis, ids["at-requirements"], ids["at-sources"], ids["at-review"])

    write(root / ids["live"] / "0123456789ab.pdf", ORPHAN, older_than_ttl=True)
    write(root / ids["live"] / "fresh0000000.pdf", 50)
    ids["ghost"] = str(uuid.uuid4())
    write(root / ids["ghost"] / "abcdefabcdef.pdf", GHOST)
    write(root / "upload.tmp", STRAY, older_than_ttl=True)
    write(root / "fresh.tmp", 60)
    ids["stale-tomb"] = str(uuid.uuid4())
    redis.set(store.key("tomb", ids["stale-tomb"]), json.dumps({"o": "u:999", "s": "details", "k": "user", "q": f"x|{ids['stale-tomb']}"}))
    past_their_expiry()

    removed = SIZES["sources"] + SIZES["review-1"] + SIZES["review-2"] + ORPHAN + GHOST + STRAY
    expected = {
        "expired": 3,
        "files": 6,
        "mb": megabytes(removed),
        "tombstones": 1,
        "rescheduled": 1,
        "steps": "requirements=1, review=1, sources=1",
    }
    return ids, expected


def normalized_state(store, redis, root, ids):
    """Redis and the upload area with the draft ids replaced by their roles, to compare runs."""

    def norm(text):
        for label, draft_id in ids.items():
            text = text.replace(draft_id, label)
        return text

    keys = {}
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key).decode()
        if kind == "zset":
            value = sorted(norm(member.decode()) for member in redis.zrange(key, 0, -1))
        elif key == store.key("stats", "cleanup").encode():
            value = sorted(redis.hkeys(key))  # when the last run was, and its summary
        elif kind == "hash":
            value = {field.decode(): number.decode() for field, number in redis.hgetall(key).items()}
        else:
            value = kind
        keys[norm(key.decode())] = (value, "persistent" if redis.ttl(key) == -1 else "expiring")
    files = sorted((norm(str(path.parent.relative_to(root))), path.stat().st_size) for path in root.rglob("*") if path.is_file())
    return keys, files


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
    expire(store, drafts_redis, *gone)
    past_their_expiry()

    out, err = cleanup()

    assert err == ""
    counts = summary(out)
    assert "expired 3 drafts" in out
    assert f"removed 3 files ({megabytes(700_001 + 500_002 + 250_003)} MB)" in out
    assert counts["mb"] == "1.5"
    assert "expired by step reached: requirements=1, review=1, sources=1" in out
    assert counts["rescheduled"] == 0 and counts["tombstones"] == 0
    for draft_id in gone:
        assert keys_mentioning(drafts_redis, draft_id) == []  # index, index:*, owner:*, search
        assert not (root / draft_id).exists()
    assert list(drafts_redis.scan_iter(match="*index*")) == []
    assert list(drafts_redis.scan_iter(match="*owner:*")) == []
    assert drafts_redis.zcard(store.key("search")) == 0
    assert list(root.iterdir()) == []
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
    expire(store, drafts_redis, first)
    past_their_expiry()
    cleanup()
    second, third = start_draft(owner_client), complete_until_review(owner_client, [big_pdf("a.pdf", 1000)])
    expire(store, drafts_redis, second, third)
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


# --- the upload area ---------------------------------------------------------------------------------

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
        "expired": 0, "files": 0, "mb": "0.0", "tombstones": 0, "rescheduled": 0, "steps": "none", "dry_run": False,
    }


def test_it_never_deletes_files_outside_the_upload_area(root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    precious = write(elsewhere / "precious.pdf", 1000)
    root.mkdir(parents=True)
    (root / str(uuid.uuid4())).symlink_to(elsewhere, target_is_directory=True)

    cleanup()

    assert precious.exists()


# --- tombstones -----------------------------------------------------------------------------------------

def test_it_cuts_back_stale_tombstones_and_leaves_those_of_live_drafts_alone(store, drafts_redis, settings):
    persisted = store.create(new_draft("u:1"))
    too_long = store.create(new_draft("u:2"))
    alive = store.create(new_draft("u:3"))
    expire(store, drafts_redis, persisted.id, too_long.id)
    drafts_redis.persist(store.key("tomb", persisted.id))
    drafts_redis.expire(store.key("tomb", too_long.id), 10 * settings.DRAFT_TOMBSTONE_TTL)
    drafts_redis.persist(store.key("tomb", alive.id))
    just_expired = store.create(new_draft("u:4"))
    expire(store, drafts_redis, just_expired.id)
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
    expire(store, drafts_redis, draft.id)
    drafts_redis.persist(store.key("tomb", draft.id))
    settings.DRAFT_TOMBSTONE_TTL = 0

    out, _ = cleanup()

    assert "trimmed 1 stale tombstones" in out
    assert not drafts_redis.exists(store.key("tomb", draft.id))


# --- dry run, idempotence, batch sizes -----------------------------------------------------------------

def test_it_changes_nothing_on_a_dry_run(owner_client, store, drafts_redis, root):
    ids, expected = build_scene(owner_client, store, drafts_redis, root)
    redis_before, disk_before = redis_dump(drafts_redis), disk(root)

    out, _ = cleanup(dry_run=True)

    assert out.startswith("dry run: would have expired 3 drafts")
    assert summary(out)["dry_run"] is True
    assert_same_redis(redis_before, redis_dump(drafts_redis))
    assert disk(root) == disk_before

    out, _ = cleanup()  # then a real run does the work

    assert summary(out) == {**expected, "dry_run": False}
    assert not (root / ids["at-review"]).exists()
    assert not (root / ids["ghost"]).exists()
    assert not (root / ids["live"] / "0123456789ab.pdf").exists()
    assert keys_mentioning(drafts_redis, ids["at-review"]) == []


def test_it_reports_on_a_dry_run_the_counts_of_the_real_run(owner_client, store, drafts_redis, root):
    ids, expected = build_scene(owner_client, store, drafts_redis, root)

    dry = summary(cleanup(dry_run=True)[0])
    real = summary(cleanup()[0])

    assert real == {**expected, "dry_run": False}
    assert dry == {**expected, "dry_run": True}


def test_it_reports_nothing_to_do_right_after_a_run(owner_client, store, drafts_redis, root):
    ids, expected = build_scene(owner_client, store, drafts_redis, root)
    assert summary(cleanup()[0]) == {**expected, "dry_run": False}
    state = normalized_state(store, drafts_redis, root, ids)

    out, _ = cleanup()

    assert out.startswith("expired 0 drafts, removed 0 files (0.0 MB), trimmed 0 stale tombstones, rescheduled 0 live index entries; expired by step reached: none (")
    assert normalized_state(store, drafts_redis, root, ids) == state


def test_it_gives_the_same_result_whatever_the_batch_size(owner_client, store, drafts_redis, root):
    results = {}
    for batch_size in (None, 1, 2):
        drafts_redis.flushdb()
        shutil.rmtree(root, ignore_errors=True)
        clock.reset()
        ids, expected = build_scene(owner_client, store, drafts_redis, root)

        out, _ = cleanup() if batch_size is None else cleanup("--batch-size", str(batch_size))

        assert summary(out) == {**expected, "dry_run": False}, batch_size
        results[batch_size] = normalized_state(store, drafts_redis, root, ids)
    assert results[1] == results[None]
    assert results[2] == results[None]
    keys, files = results[None]
    assert sorted(files) == sorted([("live", 50), ("live", SIZES["live"]), (".", 60)])
    assert store.key("draft", "live") in keys
    assert not any("at-" in key for key in keys if "tomb:" not in key)


def test_it_prints_progress_at_verbosity_2(owner_client, store, drafts_redis, root):
    build_scene(owner_client, store, drafts_redis, root)

    out, err = cleanup("--batch-size", "2", verbosity=2)

    assert "expired 3 drafts" in out
    progress = err.strip().splitlines()
    assert "... 2 expired index entries checked" in progress
    assert "... 4 expired index entries checked" in progress
    assert any(re.fullmatch(r"\.\.\. \d+ upload folders checked", line) for line in progress)
    assert any(re.fullmatch(r"\.\.\. \d+ tombstones checked", line) for line in progress)
    assert all(line.startswith("... ") for line in progress)
    _, quiet = cleanup("--batch-size", "2")
    assert quiet == ""


@pytest.mark.parametrize("size", ["0", "-5"])
def test_it_refuses_a_batch_size_below_1(owner_client, store, drafts_redis, size):
    draft_id = start_draft(owner_client)
    expire(store, drafts_redis, draft_id)
    past_their_expiry()
    before = redis_dump(drafts_redis)

    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        cleanup("--batch-size", size)

    assert_same_redis(before, redis_dump(drafts_redis))


def test_it_records_its_last_run_and_warns_when_cron_has_stopped(store, drafts_redis, settings):
    record = store.key("stats", "cleanup")
    cleanup(dry_run=True)
    assert not drafts_redis.exists(record)  # a dry run is not a run

    out, err = cleanup()

    assert err == ""
    assert drafts_redis.hget(record, "last_summary").decode() == out.strip()
    last_run = datetime.fromisoformat(drafts_redis.hget(record, "last_run").decode())
    assert abs((clock.now() - last_run).total_seconds()) < 5
    clock.travel(timedelta(seconds=2 * settings.SESSION_CLEANUP_INTERVAL - 60))
    assert cleanup()[1] == ""
    clock.travel(timedelta(seconds=2 * settings.SESSION_CLEANUP_INTERVAL + 60))

    out, err = cleanup()

    assert "expired 0 drafts" in out
    assert err.startswith("warning: the previous run was at ")
    assert "check the cron job" in err


# --- concurrency ----------------------------------------------------------------------------------------

def test_it_does_nothing_while_another_run_holds_the_lock(owner_client, store, drafts_redis, root):
    build_scene(owner_client, store, drafts_redis, root)
    lock = store.redis.lock(store.key("lock", "cleanup"), timeout=60)
    assert lock.acquire(blocking=False)
    try:
        redis_before, disk_before = redis_dump(drafts_redis), disk(root)

        out, err = cleanup()

        assert out.strip() == "another cleanup_drafts run holds the lock; nothing done"
        assert err == ""
        assert_same_redis(redis_before, redis_dump(drafts_redis))
        assert disk(root) == disk_before
    finally:
        lock.release()
    assert "expired 3 drafts" in cleanup()[0]


def test_it_expires_each_draft_once_when_two_runs_start_together(store, drafts_redis):
    drafts = [store.create(new_draft(f"u:{index % 7}")) for index in range(200)]
    expire(store, drafts_redis, *(draft.id for draft in drafts))
    past_their_expiry()
    barrier = threading.Barrier(2)
    outputs, errors = [], []

    def run():
        try:
            barrier.wait()
            outputs.append(cleanup("--batch-size", "10")[0])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(outputs) == 2
    busy = [out for out in outputs if out.strip() == "another cleanup_drafts run holds the lock; nothing done"]
    expired = [summary(out)["expired"] for out in outputs if out not in busy]
    assert sum(expired) == 200
    assert len(expired) + len(busy) == 2
    assert drafts_redis.zcard(store.key("index", "expiry")) == 0
    assert drafts_redis.hgetall(store.key("stats", "expired")) == {b"details": b"200"}  # never left step 1
    assert not drafts_redis.exists(store.key("lock", "cleanup"))


# --- failures an operator must see -------------------------------------------------------------------

def test_it_fails_loudly_when_redis_is_unreachable(settings):
    caches = deepcopy(settings.CACHES)
    caches["drafts"]["LOCATION"] = "redis://127.0.0.1:1/0"
    settings.CACHES = caches

    with pytest.raises(CommandError, match="Redis is unreachable") as failure:
        cleanup()

    assert "stopped without finishing" in str(failure.value)


def test_it_exits_non_zero_from_the_command_line_when_redis_is_unreachable(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wizard_site.settings",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DEBUG": "1",
        "DRAFT_UPLOAD_ROOT": str(tmp_path / "drafts"),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "cleanup_drafts"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1, result.stderr
    assert "Redis is unreachable" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_it_fails_loudly_when_the_upload_area_is_not_a_directory(owner_client, store, drafts_redis, settings, tmp_path):
    draft_id = complete_until_review(owner_client, [big_pdf("spec.pdf", 3000)])
    not_a_folder = tmp_path / "drafts-is-a-file"
    not_a_folder.write_text("not a directory")
    settings.DRAFT_UPLOAD_ROOT = not_a_folder

    with pytest.raises(CommandError, match="upload area is unreachable") as failure:
        cleanup()

    assert str(not_a_folder) in str(failure.value)
    assert not_a_folder.read_text() == "not a directory"
    assert drafts_redis.exists(store.key("draft", draft_id))


# --- scale ------------------------------------------------------------------------------------------------

def test_it_works_through_thousands_of_expired_entries_in_small_batches(store, drafts_redis):
    drafts = [store.create(new_draft(f"u:{index % 50}")) for index in range(2000)]
    expire(store, drafts_redis, *(draft.id for draft in drafts))
    past_their_expiry()

    started = time.perf_counter()
    out, _ = cleanup("--batch-size", "100")
    elapsed = time.perf_counter() - started

    assert "expired 2000 drafts" in out
    assert elapsed < 10, elapsed
    assert list(drafts_redis.scan_iter(match="*index*")) == []
    assert list(drafts_redis.scan_iter(match="*owner:*")) == []
    assert len(list(drafts_redis.scan_iter(match="*tomb:*", count=1000))) == 2000
