"""Benchmark: the admin's "Wizard analytics" page (HTML, JSON, CSV) over 7, 30 and 90 days of
counters, with no live drafts and then with 100,000, side by side in one run.

    .venv/bin/python bench/analytics_page.py                      # 90 days of counters, 100k drafts
    .venv/bin/python bench/analytics_page.py --drafts 10000 --repeats 5   # quick

Runs against its own embedded Redis and SQLite under var/bench/ (or REDIS_URL / DATABASE_URL if
set: it FLUSHES that Redis database). Counters are written as the app writes them (the same
hashes, about 90 fields a day, shaped like a day of 500 drafts); drafts with the store's own save
script (bench/drafts_admin_cleanup.populate). Timings are the in-process test client's, median
and 95th percentile of ``--repeats`` requests.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drafts_admin_cleanup import populate, setup  # noqa: E402  (also sets the environment)

URL = "/admin/projects/wizardanalytics/"
STEPS = ("details", "requirements", "sources", "review")
FIELDS = ("project_name", "client_email", "budget", "square_footage", "estimated_end_date", "client_phone")


def day_of_counters(rng):
    """About a day of 500 drafts, as the counters hold it."""
    created = rng.randint(400, 600)
    counts = {"created": created, "autosave": created * 12, "conflict:merged": 9, "conflict:shown": 2,
              "resume:idle": 60, "resume:list": 40, "resume:link": 8, "discarded": 30}
    reached = created
    for step in STEPS:
        reached = int(reached * rng.uniform(0.7, 0.9))
        counts[f"submitted:{step}"] = reached
        counts[f"invalid:{step}"] = reached // 5
        counts[f"expired:{step}"] = reached // 10
        counts[f"error:{step}"] = rng.randint(0, 2)
        counts[f"redis_error:{step}"] = rng.randint(0, 1)
        for field in FIELDS if step == "details" else ("documents", "connectors-*-target", "requirements_notes"):
            counts[f"invalid:{step}:{field}"] = rng.randint(0, 40)
        for bound in ("10", "30", "60", "120", "300", "600", "1800", "3600", "14400", "86400", "inf"):
            counts[f"time:{step}:{bound}"] = rng.randint(0, reached // 4)
    counts["committed"] = reached
    for bound in ("60", "300", "600", "1800", "3600", "14400", "86400", "259200", "604800", "inf"):
        counts[f"complete_time:{bound}"] = rng.randint(0, reached // 4)
    return counts


def fill_counters(redis, days):
    from sessions_store import clock, counters

    rng = random.Random(13)
    today = clock.now().date()
    pipe = redis.pipeline(transaction=False)
    for offset in range(days):
        key = counters.day_key((today - timedelta(days=offset)).isoformat())
        pipe.hset(key, mapping=day_of_counters(rng))
        pipe.expire(key, counters.day_keep())
    for offset in range(48):
        key = counters.hour_key(counters.hour_label(clock.now() - timedelta(hours=offset)))
        pipe.hset(key, mapping={name: value // 24 for name, value in day_of_counters(rng).items()})
        pipe.expire(key, counters.HOUR_KEEP)
    pipe.execute()
    return len(redis.hgetall(counters.day_key(today.isoformat())))


def timings(client, repeats):
    from sessions_store import clock

    today = clock.now().date()
    cases = {}
    for days in (7, 30, 90):
        start = (today - timedelta(days=days - 1)).isoformat()
        cases[f"page, {days} days"] = {"start": start, "end": today.isoformat()}
    cases["JSON, 90 days"] = {**cases["page, 90 days"], "format": "json"}
    cases["CSV, 90 days"] = {**cases["page, 90 days"], "format": "csv"}
    results = {}
    for label, query in cases.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(URL, query, HTTP_HOST="127.0.0.1")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        times.sort()
        results[label] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from sessions_store.store import get_draft_store

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    store = get_draft_store()
    redis = store.redis
    redis.flushdb(asynchronous=True)
    fields = fill_counters(redis, args.days)
    client.get(URL, HTTP_HOST="127.0.0.1")  # warm: templates, URL resolver
    empty = timings(client, args.repeats)
    started = time.perf_counter()
    populate(store, args.drafts, live=True)
    populated = time.perf_counter() - started
    full = timings(client, args.repeats)
    print(f"# Wizard analytics page: {args.days} days of counters ({fields} fields a day), "
          f"{args.repeats} requests each, ms (median / p95)")
    print(f"# {args.drafts:,} live drafts written in {populated:.0f} s; Redis used {redis.info('memory')['used_memory'] / 1e6:.0f} MB")
    print(f"| request | no live drafts | {args.drafts:,} live drafts |")
    print("|---|---:|---:|")
    for label in empty:
        print(f"| {label} | {empty[label][0]:.1f} / {empty[label][1]:.1f} | {full[label][0]:.1f} / {full[label][1]:.1f} |")
    redis.flushdb(asynchronous=True)


if __name__ == "__main__":
    main()
