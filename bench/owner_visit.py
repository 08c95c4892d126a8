"""An expired draft's whole cost in Redis: the cleanup batch, then its owner's next visit (issue 14
goal 4). Since cleanup leaves each owner's keys (owner:<key>, uploads:<key>, ended:<key>) to the
owner's next listing of their drafts, the work for an owner who comes back moves to that page.

    REDIS_URL=... .venv/bin/python bench/owner_visit.py 20000 [--baseline DIR]

Populates N drafts, two per owner, as bench/drafts_admin_cleanup.py does (it FLUSHES databases 0
and 2), expires them and keeps that state in database 2. Then, for this code's EXPIRE_DUE and
--baseline's (an export of an earlier commit), alternating ROUNDS times (environment; 2), each on a
fresh copy of that state in database 0: the cleanup's batches of 500, then every owner's drafts
listed once (RedisDraftStore.list_for_owner, this code's). Reports Redis CPU (INFO cpu) per
expired draft for each part, and checks that both codes leave the same keys. Numbers compare
within one run only.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))
os.environ.setdefault("BENCH_DRAFTS_PER_OWNER", "2")

import drafts_admin_cleanup as bench  # noqa: E402


def main():
    bench.setup()
    from django.conf import settings

    from sessions_store import clock
    from sessions_store.connection import make_key
    from sessions_store.redis_scripts import EXPIRE_DUE
    from sessions_store.redis_upkeep import ENDED_MAX, OWNER_LIST_MAX

    drafts = bench.store()
    redis = drafts.redis
    size = int(sys.argv[1])
    redis.flushdb()
    bench.child_populate(size)
    owners = sorted({key.decode().rsplit("owner:", 1)[1] for key in redis.scan_iter(match=make_key("owner", "*"), count=10_000)})
    bench.expire_all(drafts)
    bench.clone_db(redis, 2)
    kept = bench.database(redis, 2)
    codes = {"this code": EXPIRE_DUE}
    if "--baseline" in sys.argv:
        codes["baseline"] = bench.baseline_script(sys.argv[sys.argv.index("--baseline") + 1], "EXPIRE_DUE")
    clock.travel(timedelta(seconds=settings.SESSION_TTL + 60))  # every draft is due
    totals = {name: [0, 0.0, 0.0] for name in codes}  # expired, cleanup CPU s, visits CPU s
    ends = {}
    for _ in range(int(os.environ.get("ROUNDS", 2))):
        for name, source in codes.items():
            redis.flushdb()
            bench.clone_db(kept, 0)
            bench.settle_aof(redis)
            sha = redis.script_load(source)
            started = bench.redis_cpu(redis)
            while True:
                args = [make_key(""), clock.now().timestamp(), 500, settings.DRAFT_TOMBSTONE_TTL, ENDED_MAX, settings.SESSION_TTL, OWNER_LIST_MAX]
                seen, _, *forgotten = redis.evalsha(sha, 0, *args)
                if not seen:
                    break
                totals[name][0] += len(forgotten) // 2
            between = bench.redis_cpu(redis)
            for owner in owners:
                assert drafts.list_for_owner(owner) == []
            ended = bench.redis_cpu(redis)
            totals[name][1] += between - started
            totals[name][2] += ended - between
            ends[name] = sorted(key for key in redis.scan_iter(count=10_000) if b":stats:" not in key)
    print(f"{size:,} expired drafts, {len(owners):,} owners; Redis CPU µs per expired draft")
    print("| code | cleanup | the owners' visits | both |")
    print("|---|---:|---:|---:|")
    for name, (expired, cleanup, visits) in totals.items():
        print(f"| {name} | {cleanup / expired * 1e6:.1f} | {visits / expired * 1e6:.1f} | {(cleanup + visits) / expired * 1e6:.1f} |")
    assert len({tuple(keys) for keys in ends.values()}) == 1, "the codes left different keys"
    redis.flushdb()
    kept.flushdb()


if __name__ == "__main__":
    main()
