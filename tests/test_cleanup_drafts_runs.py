"""``manage.py cleanup_drafts`` as a command: a full scene of everything it deals with, for a dry
run, a second run, any batch size, progress output and its record of the last run; the lock
between two runs; and the failures an operator must see.

Real Redis, real files under a per-test DRAFT_UPLOAD_ROOT, drafts made through the wizard, and
drafts that expire as Redis expires them: see cleanup_helpers.py.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from copy import deepcopy
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management.base import CommandError
from django.urls import reverse

from sessions_store import clock

from .cleanup_helpers import (
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
from .wizard_helpers import complete_until_review, expire_for_real, start_draft

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent


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
    expire_for_real(redis, ids["at-requirements"], ids["at-sources"], ids["at-review"], tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)

    write(root / ids["live"] / "0123456789ab.pdf", ORPHAN, older_than_ttl=True)
    write(root / ids["live"] / "fresh0000000.pdf", 50)
    ids["ghost"] = str(uuid.uuid4())
    write(root / ids["ghost"] / "abcdefabcdef.pdf", GHOST)
    write(root / "upload.tmp", STRAY, older_than_ttl=True)
    write(root / "fresh.tmp", 60)
    ids["stale-tomb"] = str(uuid.uuid4())
    redis.set(store.key("tomb", ids["stale-tomb"]), json.dumps({"o": "u:999", "s": "details", "k": "user", "q": f"x|{ids['stale-tomb']}"}))
    past_their_search_generation()

    removed = SIZES["sources"] + SIZES["review-1"] + SIZES["review-2"] + ORPHAN + GHOST + STRAY
    expected = {
        "expired": 3,
        "files": 6,
        "mb": megabytes(removed),
        "tombstones": 1,
        "rescheduled": 1,
        "search": 1,  # the generation they were written in
        "steps": "requirements=1, review=1, sources=1",
    }
    return ids, expected


def normalized_state(store, redis, root, ids):
    """Redis and the upload area with the draft ids replaced by their roles, to compare runs."""

    def norm(text):
        for label, draft_id in ids.items():
            text = text.replace(draft_id, label)
        return text

    def norm_member(member):  # search index entries name a draft by its id's 16 bytes
        for label, draft_id in ids.items():
            member = member.replace(uuid.UUID(draft_id).bytes, f"<{label}>".encode())
        return norm(member.decode(errors="backslashreplace"))

    keys = {}
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key).decode()
        if kind == "zset":
            value = sorted(norm_member(member) for member in redis.zrange(key, 0, -1))
        elif key == store.key("stats", "cleanup").encode():
            value = sorted(redis.hkeys(key))  # when the last run was, and its summary
        elif kind == "hash":
            value = {norm(field.decode()): number.decode() for field, number in redis.hgetall(key).items()}
        else:
            value = kind
        keys[norm(key.decode())] = (value, "persistent" if redis.ttl(key) == -1 else "expiring")
    files = sorted((norm(str(path.parent.relative_to(root))), path.stat().st_size) for path in root.rglob("*") if path.is_file())
    return keys, files


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
    owner_key = json.loads(drafts_redis.get(store.key("tomb", ids["at-review"])))["o"]
    assert keys_mentioning(drafts_redis, ids["at-review"]) == [store.key("owner", owner_key)]  # till the owner's next visit
    assert owner_client.get(reverse("projects:drafts")).status_code == 200
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

    assert out.startswith("expired 0 drafts, removed 0 files (0.0 MB), trimmed 0 stale tombstones, rescheduled 0 live index entries, swept 0 search index generations; expired by step reached: none (")
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


@pytest.mark.parametrize("size", ["0", "-5", "5001", "20000"])
def test_it_refuses_a_batch_size_below_1_or_above_5000(owner_client, store, drafts_redis, size):
    draft_id = start_draft(owner_client)
    expire_for_real(drafts_redis, draft_id, tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()
    before = redis_dump(drafts_redis)

    with pytest.raises(CommandError, match="--batch-size must be from 1 to 5000"):
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
    expire_for_real(drafts_redis, *(draft.id for draft in drafts), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
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
