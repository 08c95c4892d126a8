"""Benchmark: `cleanup_drafts` over 100,000 and 1,000,000 expired index entries, and the drafts
admin list page with 100,000 live drafts.

    .venv/bin/python bench/drafts_admin_cleanup.py                 # 100k and 1M, admin with 100k
    .venv/bin/python bench/drafts_admin_cleanup.py --sizes 10000 --admin-drafts 10000   # quick

Runs against its own embedded Redis and SQLite under var/bench/ (or REDIS_URL / DATABASE_URL if
set: it FLUSHES that Redis database). Entries are written with the store's own save script, so
the indexes and tombstones are exactly what the app writes; "expired" entries are drafts whose
record was then deleted (as Redis expiry does) with the app clock moved past their expiry.
Each cleanup runs in a fresh process, which reports its own peak RSS.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DRAFT_LOG_LEVEL", "WARNING")  # measure the work, not a million log lines
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")


def setup():
    if not os.environ.get("REDIS_URL"):
        from sessions_store import embedded

        embedded.start()
    import django

    django.setup()


def populate(store, count, *, live):
    """``count`` drafts through the store's save script, in pipelines of 1,000."""
    from sessions_store.drafts import Draft, Owner

    redis = store.redis
    steps = ["details", "requirements", "sources", "review"]
    made = 0
    while made < count:
        pipe = redis.pipeline(transaction=False)
        ids = []
        for n in range(made, min(count, made + 1000)):
            owner = Owner(key=f"u:{n % 500 + 1}" if n % 3 else f"a:token{n % 997}", user_agent_hash="x")
            draft = Draft.new(owner=owner, metadata={"user_agent": "bench", "ip_address": "127.0.0.1", "platform": "Linux"})
            step = steps[n % 4]
            draft.wizard["step"] = step
            draft.wizard["step_data"]["details"] = {
                "details-project_name": [f"Project {n}"],
                "details-client_name": [f"Client {n % 1000}"],
                "details-client_email": [f"client{n % 1000}@example.com"],
                "details-building_type": ["commercial"],
                "details-square_footage": ["1200"],
                "details-priority": ["medium"],
            }
            draft.validation = {name: True for name in steps[: steps.index(step)]}
            _save_in_pipeline(store, draft, pipe)
            ids.append(draft.id)
        pipe.execute()
        if not live:
            # What Redis expiry leaves: no record, a tombstone with DRAFT_TOMBSTONE_TTL to go.
            from django.conf import settings

            pipe = redis.pipeline(transaction=False)
            pipe.delete(*[store.key("draft", draft_id) for draft_id in ids])
            for draft_id in ids:
                pipe.expire(store.key("tomb", draft_id), settings.DRAFT_TOMBSTONE_TTL)
            pipe.execute()
        made += len(ids)
    return made


def _save_in_pipeline(store, draft, pipe):
    from sessions_store.redis_scripts import SAVE, script

    keys, args = store.save_command(draft)
    script(SAVE)(keys=keys, args=args, client=pipe)


def child_cleanup(batch_size, travel_seconds):
    """Runs in a fresh process: one cleanup, then its wall time and peak RSS as JSON."""
    import resource

    setup()
    from django.core.management import call_command

    from sessions_store import clock

    clock.travel(timedelta(seconds=travel_seconds))
    started = time.perf_counter()
    call_command("cleanup_drafts", batch_size=batch_size, verbosity=1)
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_cleanup(batch_size):
    from django.conf import settings

    out = subprocess.run(
        [sys.executable, __file__, "--child-cleanup", str(batch_size), str(settings.SESSION_TTL + 60)],
        capture_output=True, text=True, check=True,
    )
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]), lines[-2] if len(lines) > 1 else ""


def admin_timings(store, repeats=5):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(admin)
    total = store.redis.zcard(store.key("index"))
    cases = {
        "first page, newest activity": "",
        "page 1,000 (deep)": "?p=1000",
        "sorted by created": "?o=-created",
        "filter: step": "?step=sources",
        "filter: step + owner kind": "?step=sources&kind=user",
        "search: client name": "?q=client 42",
        "search: draft id prefix": "?q=" + store.redis.zrange(store.key("index"), 0, 0)[0].decode()[:13],
    }
    results = {}
    for label, query in cases.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get("/admin/sessions_store/draftrecord/" + query, HTTP_HOST="127.0.0.1")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        results[label] = statistics.median(times)
    return total, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--admin-drafts", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--child-cleanup", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_cleanup:
        return child_cleanup(*args.child_cleanup)

    setup()
    from sessions_store.store import get_draft_store

    store = get_draft_store()
    redis = store.redis
    print(f"# cleanup_drafts, batch size {args.batch_size}")
    print("| expired index entries | populate (s) | cleanup (s) | entries/s | peak RSS of the run (MB) | Redis used before → after (MB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        redis.flushdb(asynchronous=True)
        started = time.perf_counter()
        populate(store, size, live=False)
        populated = time.perf_counter() - started
        before = redis.info("memory")["used_memory"] / 1e6
        result, summary = run_cleanup(args.batch_size)
        after = redis.info("memory")["used_memory"] / 1e6
        assert redis.zcard(store.key("index")) == 0, "index not emptied"
        print(
            f"| {size:,} | {populated:.1f} | {result['seconds']:.1f} | {size / result['seconds']:,.0f} "
            f"| {result['max_rss_mb']:.0f} | {before:.0f} → {after:.0f} |"
        )
        print(f"<!-- {summary} -->")

    redis.flushdb(asynchronous=True)
    populate(store, args.admin_drafts, live=True)
    total, results = admin_timings(store)
    print(f"\n# Drafts admin list page, {total:,} live drafts (median of 5, ms, in-process test client)")
    print("| page | ms |")
    print("|---|---:|")
    for label, ms in results.items():
        print(f"| {label} | {ms:.1f} |")
    redis.flushdb(asynchronous=True)


if __name__ == "__main__":
    main()
