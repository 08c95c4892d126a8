"""Where EXPIRE_DUE's Redis time goes: variants of the script (parts cut out) run alternately, batch
by batch, on slices of one expired population, with the Redis CPU (INFO cpu) per entry of each.

    VAR_DIR=$PWD/var/bench .venv/bin/python bench/cleanup_script_variants.py make 100000   # once
    VAR_DIR=$PWD/var/bench .venv/bin/python bench/cleanup_script_variants.py run [--baseline DIR]

``make`` populates and expires N drafts as bench/drafts_admin_cleanup.py does and keeps them in
database 2 (it FLUSHES databases 0 and 2); ``run`` copies them into database 0 and runs ROUNDS
rounds of BATCHES batches of BATCH entries per variant (environment; 3, 8, 500). --baseline adds
the EXPIRE_DUE of an export of an earlier commit. Numbers are comparable within one run only.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))

import drafts_admin_cleanup as bench  # noqa: E402

CUT_LEFT = "now - keep + expired_tomb_left(tomb, keep)"
CUT_BOUND = "local flagged = n_owners > 0 and redis.call('ZMSCORE', over, unpack(owners)) or {}"
CUT_TOMB = "  local old = redis.call('GET', tomb)\n"


def variants(base):
    """EXPIRE_DUE with parts cut out. (Before search generations it also removed every search
    entry; --baseline with an export of a723d2f or earlier measures that. Before the owner's keys
    were left to the owner's next visit it also wrote them; --baseline with an export of cee3924
    or earlier measures that.)"""
    cut = {
        "current": base,
        "without the tombstone's cut-back": base.replace(CUT_LEFT, "now"),
        "without the owners:over check (one ZMSCORE a batch)": base.replace(CUT_BOUND, "local flagged = {}"),
        "without the tombstone (nothing but the three main indexes)": base.replace(CUT_TOMB, "  local old = nil\n"),
    }
    for name, source in cut.items():
        assert name == "current" or source != base, f"{name}: the script changed, update the cuts"
    return cut


def main():
    bench.setup()
    from django.conf import settings

    from sessions_store import clock
    from sessions_store.connection import make_key
    from sessions_store.redis_scripts import EXPIRE_DUE
    from sessions_store.redis_upkeep import OWNER_LIST_MAX

    redis = bench.store().redis
    if sys.argv[1] == "make":
        redis.flushdb()
        bench.child_populate(int(sys.argv[2]))
        bench.expire_all(bench.store())
        bench.clone_db(redis, 2)
        redis.flushdb()
        print("kept in database 2:", bench.database(redis, 2).dbsize(), "keys")
        return
    redis.flushdb()
    bench.clone_db(bench.database(redis, 2), 0)
    # The copy's writes start an append-only file rewrite: measured during it, the same batches
    # cost up to twice the Redis CPU (the fork's copy-on-write faults).
    bench.settle_aof(redis)
    scripts = variants(EXPIRE_DUE)
    if "--baseline" in sys.argv:
        scripts["baseline"] = bench.baseline_script(sys.argv[sys.argv.index("--baseline") + 1], "EXPIRE_DUE")
    clock.travel(timedelta(seconds=settings.SESSION_TTL + 60))  # due; the search sweep is not measured here
    shas = {name: redis.script_load(source) for name, source in scripts.items()}
    totals = {name: [0, 0.0] for name in scripts}

    batch, batches, rounds = (int(os.environ.get(name, default)) for name, default in (("BATCH", 500), ("BATCHES", 8), ("ROUNDS", 3)))
    for _ in range(rounds):
        for name in scripts:
            for _ in range(batches):
                args = [make_key(""), clock.now().timestamp(), batch, settings.DRAFT_TOMBSTONE_TTL, 50, settings.SESSION_TTL, OWNER_LIST_MAX]
                started = bench.redis_cpu(redis)
                seen = redis.evalsha(shas[name], 0, *args)[0]
                totals[name][0] += seen
                totals[name][1] += bench.redis_cpu(redis) - started
    for name, (seen, seconds) in totals.items():
        print(f"| {name} | {seconds / seen * 1e6:.0f} | {seen:,} |" if seen else f"| {name} | — | 0 |")
    redis.flushdb()


if __name__ == "__main__":
    main()
