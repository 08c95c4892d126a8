"""Where a whole `cleanup_drafts` run's time goes, stage by stage: the Redis CPU (INFO cpu) and
this process's CPU spent between the progress reports of each stage (expired index entries,
search generations, upload folders, tombstones), on a copy of the population that
bench/cleanup_script_variants.py ``make`` keeps in database 2.

    VAR_DIR=$PWD/var/bench .venv/bin/python bench/cleanup_script_variants.py make 100000   # once
    VAR_DIR=$PWD/var/bench .venv/bin/python bench/cleanup_stages.py [--steady]

The clock is moved past the drafts' expiry and the end of their search generation, so the run
expires them and drops the generation. ``--steady``: as an hourly run after others, the
tombstones were checked already (the first run ever reads every one of them).
"""

import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cleanup_script_variants as variants  # noqa: E402  (sets VAR_DIR's default)
import drafts_admin_cleanup as bench  # noqa: E402


def main():
    bench.setup()
    from django.conf import settings

    from sessions_store import clock
    from sessions_store.cleanup import cleanup_drafts

    redis = bench.store().redis
    redis.flushdb()
    bench.clone_db(bench.database(redis, 2), 0)
    if "--steady" in sys.argv:
        bench.note_tombstones_checked(bench.store())
    bench.settle_aof(redis)
    clock.travel(timedelta(seconds=settings.SESSION_TTL + settings.DRAFT_SEARCH_GENERATION + 60))

    def cpu():
        own = resource.getrusage(resource.RUSAGE_SELF)
        return bench.redis_cpu(redis), own.ru_utime + own.ru_stime

    stages = {}
    last = [time.perf_counter(), cpu()]

    def progress(stage, count):
        now, spent = time.perf_counter(), cpu()
        row = stages.setdefault(stage, {"count": 0, "wall": 0.0, "redis": 0.0, "python": 0.0})
        row["count"] = count
        row["wall"] += now - last[0]
        row["redis"] += spent[0] - last[1][0]
        row["python"] += spent[1] - last[1][1]
        last[:] = [now, spent]

    report = cleanup_drafts(progress=progress)
    print(f"# {report.summary()}")
    print("| stage | items | wall (s) | Redis CPU (s) | command CPU (s) | µs CPU per expired draft |")
    print("|---|---:|---:|---:|---:|---:|")
    for stage, row in stages.items():
        per = (row["redis"] + row["python"]) / max(report.expired, 1) * 1e6
        print(f"| {stage} | {row['count']:,} | {row['wall']:.2f} | {row['redis']:.2f} | {row['python']:.2f} | {per:.0f} |")
    redis.flushdb()


if __name__ == "__main__":
    main()
