"""Benchmark: how long a drafts-admin filter holds Redis's one thread, before and after the
chunked intersection (issue 14). Everyone's wizard requests wait while a script runs.

    VAR_DIR=$PWD/var/bench-filter .venv/bin/python bench/admin_filter_blocking.py --size 100000

Populates ``size`` live drafts with bench/drafts_admin_cleanup.py's writer (its own embedded Redis
under VAR_DIR, or REDIS_URL: that database is FLUSHED), then for each filter that needs an
intersection, alternating before/after, ROUNDS times: the first (cold) page through the app's
AdminQueries (after) or the previous release's one-script ZINTERSTORE (before, its Lua below);
meanwhile a second connection PINGs in a loop, as a wizard request would wait. Reported: the
page's wall time, the longest single Redis command (SLOWLOG, threshold 0) and the longest PING.
"""

import argparse
import hashlib
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import drafts_admin_cleanup as bench  # noqa: E402 (sets up paths and the environment)

ROUNDS = 3
# The previous release's INTERSECTION_PAGE (9b0abaa): one ZINTERSTORE inside the script.
BEFORE = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local command = {'ZINTERSTORE', KEYS[1], #KEYS - 1}
  for i = 2, #KEYS do command[#command + 1] = KEYS[i] end
  command[#command + 1] = 'WEIGHTS'
  command[#command + 1] = 1
  for i = 3, #KEYS do command[#command + 1] = 0 end
  redis.call(unpack(command))
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
local ids = redis.call(ARGV[4] == 'desc' and 'ZREVRANGE' or 'ZRANGE', KEYS[1], ARGV[2], ARGV[3])
table.insert(ids, 1, redis.call('ZCARD', KEYS[1]))
return ids
"""
CASES = {
    "step + owner kind": ("last_activity", "sources", "user"),
    "step, sorted by created": ("created", "sources", None),
    "owner kind, sorted by created": ("created", None, "user"),
}


def pinger(connection_class, kwargs, stop, worst):
    """In a process of its own (no GIL shared with the page): PING in a loop, keep the slowest."""
    import redis as redis_py

    client = redis_py.Redis(connection_pool=redis_py.ConnectionPool(connection_class=connection_class, **kwargs))
    while not stop.is_set():
        started = time.perf_counter()
        client.ping()
        elapsed = (time.perf_counter() - started) * 1000
        if elapsed > worst.value:
            worst.value = elapsed
        time.sleep(0.001)


def one(redis, make_key, run):
    redis.slowlog_reset()
    stop, worst = multiprocessing.Event(), multiprocessing.Value("d", 0.0)
    pool = redis.connection_pool
    process = multiprocessing.Process(target=pinger, args=(pool.connection_class, pool.connection_kwargs, stop, worst))
    process.start()
    time.sleep(0.2)  # the pinger is up
    started = time.perf_counter()
    total = run()
    wall = (time.perf_counter() - started) * 1000
    stop.set()
    process.join()
    longest = max((entry["duration"] for entry in redis.slowlog_get(100000)), default=0) / 1000
    for key in redis.scan_iter(match=make_key("tmp") + "*", count=1000):
        redis.delete(key)
    return {"wall": wall, "longest_command": longest, "longest_ping": worst.value, "total": total}


def distinct_times(redis, make_key):
    """The writer gives every draft one of eight templates' times; real drafts each have their own.
    Each draft gets its own (its order kept: a microsecond apart per rank) in the activity,
    creation, step and kind indexes, so that a draft's scores agree across them."""
    activity = {}
    for source in (make_key("index"), make_key("index:created")):
        entries = redis.zrange(source, 0, -1, withscores=True)  # all first: rescoring reorders ties
        for at in range(0, len(entries), 10000):
            scored = {member: score + rank * 1e-6 for rank, (member, score) in enumerate(entries[at : at + 10000], at)}
            redis.zadd(source, scored, xx=True)
            if source == make_key("index"):
                activity.update(scored)
    for key in list(redis.scan_iter(match=make_key("index") + ":step:*")) + list(redis.scan_iter(match=make_key("index") + ":kind:*")):
        members = [member for member, _ in redis.zscan_iter(key, count=10000)]
        for at in range(0, len(members), 10000):
            redis.zadd(key, {member: activity[member] for member in members[at : at + 10000]}, xx=True)
    print(f"one time per draft: {len(activity):,} drafts rescored", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--chunk", type=int, help="INTERSECTION_CHUNK for the after code (default: the app's)")
    parser.add_argument("--shared-times", action="store_true", help="keep the writer's eight shared activity and creation times (every draft ties with an eighth of the others) instead of one time per draft, as real drafts have")
    options = parser.parse_args()
    bench.setup()
    from sessions_store import redis_admin

    if options.chunk:
        redis_admin.INTERSECTION_CHUNK = options.chunk
    from sessions_store.connection import make_key
    from sessions_store.redis_admin import SORT_INDEXES
    from sessions_store.redis_scripts import script

    redis = bench.store().redis
    redis.flushdb()
    started = time.perf_counter()
    bench.child_populate(options.size)
    print(f"{options.size} drafts in {time.perf_counter() - started:.0f} s", flush=True)
    if not options.shared_times:
        distinct_times(redis, make_key)
    redis.config_set("slowlog-log-slower-than", 0)
    redis.config_set("slowlog-max-len", 100000)
    queries = bench.store()
    results = {}
    for round_ in range(options.rounds):
        for label, (sort, step, kind) in CASES.items():
            filters = [make_key("index", f"step:{step}")] * bool(step) + [make_key("index", f"kind:{kind}")] * bool(kind)
            sort_key = make_key(SORT_INDEXES[sort])

            def before():
                result = make_key("tmp", hashlib.sha1("|".join([sort_key, *filters]).encode()).hexdigest())
                return script(BEFORE)(keys=[result, sort_key, *filters], args=[30, 0, 49, "desc"])[0]

            def after():
                return queries.page(sort="-" + sort, step=step, kind=kind)[0]

            for name, run in (("before", before), ("after", after)) if round_ % 2 == 0 else (("after", after), ("before", before)):
                results.setdefault((label, name), []).append(one(redis, make_key, run))
    redis.config_set("slowlog-log-slower-than", 10000)
    print(f"\n{options.size:,} live drafts; median of {options.rounds} cold first pages each, ms:\n")
    print("| filter | code | page wall | longest Redis command | longest wait of a concurrent PING | drafts listed |")
    print("|---|---|---:|---:|---:|---:|")
    for (label, name), runs in results.items():
        med = {key: statistics.median(run[key] for run in runs) for key in ("wall", "longest_command", "longest_ping")}
        print(f"| {label} | {name} | {med['wall']:.0f} | {med['longest_command']:.1f} | {med['longest_ping']:.1f} | {runs[0]['total']:,} |")


if __name__ == "__main__":
    main()
