"""CPU per completed wizard: the app against a bare stock formtools wizard (issue 14, goals 1 and 2).

    .venv/bin/python bench/stock_compare.py                           # app vs stock, 6 rounds of 10 s
    .venv/bin/python bench/stock_compare.py --targets app,stock,c     # and the like-for-like ceiling
    .venv/bin/python bench/stock_compare.py --targets app,c,f          # and the floor of any Redis draft store
    .venv/bin/python bench/stock_compare.py --profile var/bench-profile --rounds 4
    .venv/bin/python bench/stock_compare.py --targets app,stock,c --before /tmp/before   # and main, side by side

Targets, each its own gunicorn (``--workers`` sync workers, DEBUG off) over PostgreSQL (database
``--database``) and the machine's Redis (db ``--redis-db``: FLUSHDB'd before and after):

  app    the real site, full accessible pages
  stock  formtools' NamedUrlSessionWizardView as its docs show it: Django cache sessions on
         django-redis, login required, the same forms, a template of ``{{ wizard.form.as_div }}``
         and a button (bench/reference/templates/bench/stock_wizard.html), the upload saved to
         disk and the Project written by the app's project_create
  c      the like-for-like ceiling of bench/wizard_load.py: the app's pages, nothing stored
  f      the floor of any Redis draft store: (c) plus the signed-in user loaded on every request
         and one Redis round trip a request (a page reads the wizard's state, a step's POST
         writes its step blind, the final POST reads and deletes); no ownership or revision
         check, index, history or log line (bench/reference/views.py, FloorStorage)
  before the app from another checkout (``--before DIR``, e.g. ``git worktree add /tmp/before
         main``, or ``git archive``), same settings, database and Redis: a before/after in one
         run. Its code, static files and WSGI wrapper come from DIR; the client from here

One client (``--clients``) completes whole wizards, upload and commit included, on one target at a
time; targets alternate in rounds (``--slice`` seconds each, the order rotating) after an
unmeasured warm-up, so the machine's other load falls on every target alike. Server CPU is read
from /proc/<pid>/stat of each gunicorn's master and workers before and after every slice (plus the
PostgreSQL backends and Redis' INFO cpu), divided by the wizards completed. With --profile each
worker runs cProfile (CPU time) and the top functions by cumulative time are printed.

It reuses bench/wizard_load.py's pieces (bench/load/): the servers, the clients, the snapshots.
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
from bench.load.measure import redis_client  # noqa: E402
from bench.load.report import machine  # noqa: E402
from bench.load.summary import summarise  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", default="app,stock", help="comma-separated, from app,stock,c,f,before (default app,stock); "
                        "f is (c) plus the least any Redis draft store must do (the floor under goal 2)")
    parser.add_argument("--before", help="a checkout of an earlier version of the app (e.g. git worktree add /tmp/before main), "
                        "run as the target 'before' on the same database and Redis: before and after in one run")
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds (default 6)")
    parser.add_argument("--slice", type=float, default=10, help="seconds per target per round (default 10)")
    parser.add_argument("--warmup", type=float, default=6, help="unmeasured seconds per target first (default 6)")
    parser.add_argument("--clients", type=int, default=1, help="concurrent clients (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per target (default 2)")
    options.storage(parser, database="pw_i14b", redis_db=11, redis_help="Redis db for drafts and stock's sessions (FLUSHDB'd)")
    options.profile(parser)
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if args.before and "before" not in args.targets:
        args.targets.insert(1, "before")
    if "app" not in args.targets or not set(args.targets) <= {"app", "stock", "c", "f", "before"}:
        parser.error("--targets: app and any of stock, c, f, before")
    if "before" in args.targets and not (args.before and (Path(args.before) / "manage.py").exists()):
        parser.error("the target 'before' needs --before DIR, a checkout of the app")
    # What bench/load expects of wizard_load's arguments.
    args.duration = args.slice * args.rounds
    args.session_redis_db = args.redis_db  # stock's session keys never collide with the drafts'
    args.sample_memory = False  # not measured here: keep the client's CPU off the machine
    return args


# Each target's ratios, against these.
COMPARED = {"app": ("stock", "c", "f"), "before": ("stock", "c", "f"), "f": ("c",)}


def cpu_ms(result):
    return result["gunicorn_cpu_ms"] + result["pg_cpu_ms"] + result["redis_cpu_ms"]


def report(results, args, started_at):
    out = [
        f"Run {started_at}: {machine()}. {args.clients} client(s), {args.workers} gunicorn sync workers per target, "
        f"{args.rounds} rounds of {args.slice:g} s per target (order rotating; {args.warmup:g} s unmeasured warm-up each).",
        "",
        "| target | wizards/s (per round) | errors | server CPU ms / wizard: gunicorn + PostgreSQL + Redis = total | wizards per server CPU-second |",
        "|---|---:|---:|---:|---:|",
    ]
    for target, res in results.items():
        rounds = ", ".join(f"{rate:.1f}" for rate in res["slice_rates"])
        total = cpu_ms(res)
        out.append(
            f"| {targets.TARGETS[target]['label']}: {targets.TARGETS[target]['desc']} | {res['completions_s']:.2f} ({rounds}) "
            f"| {res['errors']} | {res['gunicorn_cpu_ms']:.1f} + {res['pg_cpu_ms']:.1f} + {res['redis_cpu_ms']:.1f} = {total:.1f} "
            f"| {1000 / total if total else 0:.1f} |"
        )
    out.append("")
    for mine, others in COMPARED.items():
        if mine not in results or not results[mine]["completions_s"]:
            continue
        app = results[mine]
        for other in others:
            if other not in results or not results[other]["completions_s"]:
                continue
            res = results[other]
            out.append(
                f"- {targets.TARGETS[mine]['label']} / {targets.TARGETS[other]['label']}: throughput {app['completions_s'] / res['completions_s']:.2f}×; "
                f"server CPU per wizard {cpu_ms(app) / cpu_ms(res):.2f}× (gunicorn only {app['gunicorn_cpu_ms'] / res['gunicorn_cpu_ms']:.2f}×); "
                f"by CPU per wizard {targets.TARGETS[mine]['label']} does {cpu_ms(res) / cpu_ms(app):.0%} of its work per CPU-second"
            )
    return "\n".join(out)


def print_profile(root, target_names, top):
    import pstats

    for target in target_names:
        files = sorted((root / target).glob("*.prof"))
        if files:
            print(f"\n=== profile: {target} (all workers, top {top} by cumulative CPU) ===")
            pstats.Stats(*map(str, files)).sort_stats("cumulative").print_stats(top)


def main(argv=None):
    args = parse_args(argv)
    targets.stop_on_signals()
    tmp = Path(tempfile.mkdtemp(prefix="stock-compare-"))
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        env = targets.base_env(args, tmp)
        print(f"setting up {args.database} and Redis db {args.redis_db} in {tmp}", flush=True)
        targets.prepare_database(args, env)
        targets.reset_state(args, tmp)
        servers, runs = start_and_drive(args, tmp, env)
        results = {target: summarise(target, runs[target], []) for target in args.targets}
        targets.stop_servers()
        for target, res in results.items():
            if res["error_samples"]:
                print(f"  {target} errors, e.g. {res['error_samples'][0]}", flush=True)
        print()
        print(report(results, args, started_at))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        if args.profile:
            print_profile(Path(args.profile).resolve(), args.targets, args.top)
    finally:
        targets.stop_servers()
        try:
            redis_client(args.redis_db).flushdb()
        except Exception:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
