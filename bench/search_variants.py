"""Where staff search's time goes: the SEARCH script of this checkout and of earlier exports, run
alternately on the drafts a benchmark left in Redis, with the Redis time of each (INFO
commandstats: EVALSHA's microseconds per call, and the server's CPU) for the admin benchmark's
searches.

    .venv/bin/python bench/drafts_admin_cleanup.py --sizes 1000000 --admin-only   # populates, keeps
    .venv/bin/python bench/search_variants.py [--baseline DIR ...] [--rounds N]

It reads database 0 of the benchmark's Redis (var/bench, or REDIS_URL) and writes nothing. Each
round runs every query once per script, in turn (every other round in the other order); the
table gives the median per call. Numbers are comparable within one run only.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))

import drafts_admin_cleanup as bench  # noqa: E402

QUERIES = {
    "project name": "project 4242",
    "client name": "client 42",
    "client email": "client42@example.com",
    "one common word": "client",
}


def evalsha_usec(redis):
    stats = redis.info("commandstats")
    return stats.get("cmdstat_evalsha", {}).get("usec", 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", nargs="*", default=[], help="exports of earlier commits, measured alongside")
    parser.add_argument("--rounds", type=int, default=9)
    options = parser.parse_args()
    bench.setup()
    from sessions_store import redis_admin
    from sessions_store.connection import make_key
    from sessions_store.redis_scripts import SEARCH

    redis = bench.store().redis
    some_id = redis.zrange(make_key("index"), 0, 0)[0].decode()
    queries = {**QUERIES, "draft id prefix": some_id[:13]}
    scripts = {"this checkout": SEARCH, **{str(path): bench.baseline_script(path, "SEARCH") for path in options.baseline}}
    print(f"{redis.zcard(make_key('index')):,} live drafts; {options.rounds} rounds\n")
    queries_page = redis_admin.AdminQueries()
    times = {(name, label): [] for name in scripts for label in queries}
    found = {}
    for round_number in range(options.rounds):
        for label, query in queries.items():
            # Every other round in the other order: the script that runs second finds the entries
            # and tombstones the first one read still in the CPU's caches.
            order = list(scripts.items())
            for name, source in order if round_number % 2 else order[::-1]:
                redis_admin.SEARCH = source
                started, wall = evalsha_usec(redis), time.perf_counter()
                total, ids = queries_page._search_page(query, make_key("index"), [], True, 0, 50)
                times[(name, label)].append(((evalsha_usec(redis) - started) / 1000, (time.perf_counter() - wall) * 1000))
                answer = found.setdefault(label, (total, ids))
                assert answer == (total, ids), f"{name} found other drafts for {query!r}"
    print("| Search | Found | " + " | ".join(f"{name}: Redis ms / wall ms" for name in scripts) + " |")
    print("|---|---|" + "---|" * len(scripts))
    for label in queries:
        cells = []
        for name in scripts:
            redis_ms = statistics.median(t[0] for t in times[(name, label)])
            wall_ms = statistics.median(t[1] for t in times[(name, label)])
            cells.append(f"{redis_ms:.1f} / {wall_ms:.1f}")
        print(f"| {label} | {found[label][0]:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
