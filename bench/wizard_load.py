"""Load benchmark (issue 5): complete wizards over HTTP, the app against stock formtools.

    .venv/bin/python bench/wizard_load.py                      # 12 clients, 4 s warm-up + 20 s per target
    .venv/bin/python bench/wizard_load.py --clients 16 --duration 40 --slice 5
    .venv/bin/python bench/wizard_load.py --targets app,c --no-write --profile var/bench-profile

Four targets, each served by its own gunicorn (sync workers, same count) with DEBUG off, against
PostgreSQL (database ``pw_bench``, created if missing, its project and session tables emptied
first) and the machine's Redis (db 9 for drafts, db 10 for reference (b)'s sessions: only those
two are FLUSHDB'd). The four servers run side by side; the clients drive one target at a time in
short slices whose order rotates, so other load on a shared machine hits every target alike:

  app  the real site (projects/wizard.py over the Redis draft store)
  a    stock formtools NamedUrlSessionWizardView, Django database sessions (PostgreSQL)
  b    the same, Django cache sessions on django-redis
  c    the same views over a storage that keeps nothing between requests (the ceiling)

The references live in bench/reference/ (same forms, template, upload handling and commit).
Each client is its own user, logs in to every target through /accounts/login/ (CSRF), then runs
complete wizards in a closed loop: GET and POST each of the four steps (a real PDF upload in step
2; every hidden input of the scraped form is posted back), the final POST creates the Project. A
wizard in progress when its target's slice ends is parked and resumed (GET of its step) at the
target's next slice. The load generator is this one process, a thread per client, each with the
test suite's ``Browser`` (tests/support/browser.py) for every target; it shares the 2 cores with
the servers, which are the test suite's ``AppServer`` (tests/support/app_server.py).

Reports completions/s, requests/s, latency percentiles per step, Redis round trips per request
(counted exactly in the server process, bench/wizard_load_wsgi.py) and commands (INFO
commandstats deltas), Redis memory per draft, server CPU per wizard and peak worker RSS; checks
the issue's targets and writes the section "## Wizard load: the app against stock formtools" of
docs/benchmarks.md (between its markers; text after the end marker is kept).

The pieces are in bench/load/ (targets, clients, measure, summary, report); this is the command.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import targets  # noqa: E402
from bench.load.clients import start_and_drive  # noqa: E402
from bench.load import options  # noqa: E402
from bench.load.measure import index_entry_cost, redis_client  # noqa: E402
from bench.load.report import DOC, SECTION, print_profile, report, write_doc  # noqa: E402
from bench.load.summary import summarise  # noqa: E402
from tests.support.app_server import rss_kib  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=12, help="concurrent clients, each its own user (default 12)")
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per target (default 20)")
    parser.add_argument("--warmup", type=float, default=4, help="unmeasured seconds first (default 4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per target (default 4)")
    parser.add_argument("--targets", default="app,a,b,c", help="comma-separated, from app,a,b,c (default all)")
    parser.add_argument("--slice", type=float, default=5, help="seconds a target is driven before the next takes its turn (default 5)")
    options.storage(parser, database="pw_bench", redis_db=9, redis_help="Redis db for the app's drafts (FLUSHDB'd)")
    parser.add_argument("--session-redis-db", type=int, default=10, help="Redis db for (b)'s sessions (FLUSHDB'd)")
    options.profile(parser, top=False)
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not update {DOC.relative_to(targets.ROOT)}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, media)")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args()
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in args.targets if t not in targets.TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}")
    return args


def peak_rss_mb(pid):
    try:
        return rss_kib(pid, "VmHWM") / 1024
    except (OSError, RuntimeError):
        return 0.0


def main():
    argv = sys.argv[1:]
    args = parse_args()
    targets.stop_on_signals()
    tmp = Path(tempfile.mkdtemp(prefix="wizard-load-"))
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = {}
    try:
        env = targets.base_env(args, tmp)
        print(f"setting up ({args.database}, migrate, collectstatic, {args.clients} users) in {tmp}", flush=True)
        targets.prepare_database(args, env)
        index_cost = index_entry_cost(args)
        targets.reset_state(args, tmp)
        servers, runs = start_and_drive(args, tmp, env)
        for target, server in servers.items():
            rss = [peak_rss_mb(pid) for pid in server.worker_pids()]
            results[target] = result = summarise(target, runs[target], rss)
            print(f"  {target}: {result['completions_s']:.2f} wizards/s, {result['requests_s']:.1f} req/s, "
                  f"{result['errors']} errors", flush=True)
            if result["error_samples"]:
                print("     e.g. " + result["error_samples"][0], flush=True)
        targets.stop_servers()
        text, verdicts, combined = report(results, args, argv, started_at, index_cost)
        print()
        print(text)
        if args.json:
            Path(args.json).write_text(json.dumps(combined, indent=1, default=str))
        if not args.no_write and set(args.targets) == set(targets.LOAD_TARGETS):
            write_doc(text)
            print(f"\nwrote the section “{SECTION[3:]}” of {DOC.relative_to(targets.ROOT)}")
        elif not args.no_write:
            print(f"\n(not all targets run: {DOC.relative_to(targets.ROOT)} left as it is)")
        if args.profile:
            print_profile(Path(args.profile).resolve(), args.targets)
    finally:
        targets.stop_servers()
        for db in (args.redis_db, args.session_redis_db):
            try:
                redis_client(db).flushdb()  # leave no benchmark drafts or sessions behind
            except Exception:
                pass
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
