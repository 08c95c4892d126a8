"""The load benchmark's four targets: what each one is, the state they share, their app servers.

Every target is a gunicorn of tests/support/app_server.py (production settings, DEBUG off) over
bench/wizard_load_wsgi.py, the WSGI wrapper that counts Redis round trips. They share PostgreSQL
(database ``--database``, created if missing, migrated and emptied here) and the machine's Redis
(db ``--redis-db`` for drafts, ``--session-redis-db`` for (b)'s sessions).

``python -m bench.load.targets CLIENTS`` (run by ``prepare_database`` with the app's settings):
migrate, collectstatic and the benchmark's users, in a Django process of its own.
"""

import shutil
import signal
import subprocess
import sys
from pathlib import Path

from bench.load.measure import POSTGRES, redis_client
from tests.support.app_server import BASE_DIR as ROOT, AppServer, production_env

PASSWORD = "bench-load-password-1"
TARGETS = {
    "app": {"label": "app", "desc": "the app: Redis draft store", "settings": "wizard_site.settings", "start": "/projects/new/", "ref": None},
    "a": {"label": "(a) db sessions", "desc": "stock formtools, database sessions", "settings": "bench.reference.settings", "start": "/ref/new/details/", "ref": "a"},
    "b": {"label": "(b) cache sessions", "desc": "stock formtools, django-redis cache sessions", "settings": "bench.reference.settings", "start": "/ref/new/details/", "ref": "b"},
    "c": {"label": "(c) ceiling", "desc": "no storage between requests", "settings": "bench.reference.settings", "start": "/ref/new/details/", "ref": "c"},
    "f": {"label": "(f) floor", "desc": "(c) plus one Redis round trip a request (state read or step written), the user checked", "settings": "bench.reference.settings", "start": "/ref/new/details/", "ref": "f"},
    # bench/stock_compare.py's: the app from another checkout (--before DIR), the same settings.
    "before": {"label": "app before", "desc": "the app at --before's checkout", "settings": "wizard_site.settings", "start": "/projects/new/", "ref": None},
    # bench/stock_compare.py's: a bare stock formtools wizard (its own one-line template).
    "stock": {"label": "stock", "desc": "bare stock formtools wizard, cache sessions", "settings": "bench.reference.settings", "start": "/ref/new/details/", "ref": "s"},
}
LOAD_TARGETS = ("app", "a", "b", "c")  # bench/wizard_load.py's


def base_env(args, tmp):
    """The servers' environment: production settings on the benchmark's database and Redis."""
    env = production_env(
        database_url=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        redis_url=f"redis://127.0.0.1:6379/{args.redis_db}",
        media_root=tmp / "media",
        static_root=tmp / "static",
        var_dir=tmp / "var",
        secret_key="bench-load-" + "k" * 50,
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        # The app's default log levels (production_env quiets them for the tests): one structured
        # line per draft action is part of the work measured.
        DJANGO_LOG_LEVEL="INFO",
        DRAFT_LOG_LEVEL="INFO",
        PYTHONPATH=ROOT,
        # Every client comes from 127.0.0.1: lift the per-IP draft-creation limit (100 a minute by
        # default). The limiter still runs (its Redis round trip is in the figures).
        SESSION_RATE_LIMIT="1000000000",
    )
    env = {key: value for key, value in env.items() if not key.startswith("BENCH_")}  # none inherited
    env["BENCH_SESSION_REDIS_URL"] = f"redis://127.0.0.1:6379/{args.session_redis_db}"
    return env


def prepare_database(args, env):
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (args.database,)).fetchone():
            conn.execute(f'create database "{args.database}"')
    subprocess.run(
        [sys.executable, "-m", "bench.load.targets", str(args.clients)],
        env={**env, "DJANGO_SETTINGS_MODULE": "wizard_site.settings"},
        cwd=ROOT,
        check=True,
    )


def setup_in_django(clients):
    """Run in a subprocess with the app's settings: migrate, collectstatic, the bench users."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    User = get_user_model()
    hashed = make_password(PASSWORD)
    names = [f"bench-{n}" for n in range(clients)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=name, password=hashed) for name in names if name not in existing])
    User.objects.filter(username__in=names).update(password=hashed)


def reset_state(args, tmp):
    import psycopg

    with psycopg.connect(f"{POSTGRES}/{args.database}", autocommit=True) as conn:
        conn.execute(
            "truncate projects_dataconnector, projects_projectdocument, projects_project, django_session cascade"
        )
        conn.execute("vacuum analyze")
    for db in (args.redis_db, args.session_redis_db):
        redis_client(db).flushdb()
    for target in TARGETS:
        shutil.rmtree(tmp / f"media-{target}", ignore_errors=True)


# --- the servers -------------------------------------------------------------------------------

_servers = []  # every server started, for the signal handler and the final clean-up


def start_servers(args, tmp, env):
    """{target: AppServer}, booted side by side, each answering its login page."""
    servers = {}
    for target in args.targets:
        spec = TARGETS[target]
        target_env = {**env, "DJANGO_SETTINGS_MODULE": spec["settings"], "MEDIA_ROOT": str(tmp / f"media-{target}")}
        if spec["ref"]:
            target_env["BENCH_REF"] = spec["ref"]
        cwd = ROOT
        if target == "before":  # another checkout of the app: its own code and static manifest
            cwd = Path(args.before).resolve()
            target_env.update(PYTHONPATH=str(cwd), STATIC_ROOT=str(tmp / "static-before"))
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=cwd, env={**target_env, "DJANGO_SETTINGS_MODULE": "wizard_site.settings"}, check=True, timeout=300,
            )
        if args.profile:
            profile_dir = Path(args.profile).resolve() / target
            shutil.rmtree(profile_dir, ignore_errors=True)
            profile_dir.mkdir(parents=True)
            target_env["BENCH_PROFILE"] = str(profile_dir)
        server = AppServer(
            target_env, tmp / f"gunicorn-{target}.log", workers=args.workers,
            app="bench.wizard_load_wsgi:application",
            gunicorn_args=["--backlog", 2048, "--timeout", 120, "--log-level", "warning"],
            ready_path="/accounts/login/", cwd=cwd,
        )
        _servers.append(server)
        servers[target] = server.launch()
    for target, server in servers.items():
        try:
            server.wait_ready(timeout=60)
        except RuntimeError as exc:
            raise RuntimeError(f"gunicorn for {target}: {exc}") from None
    return servers


def stop_servers():
    for server in list(_servers):
        try:
            server.stop(timeout=10)
        except subprocess.TimeoutExpired:
            server.stop("kill", timeout=5)
        _servers.remove(server)


def stop_on_signals():
    """SIGTERM and SIGINT stop the servers (their own sessions: nothing else would) and exit."""

    def handler(signum, frame):
        stop_servers()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


if __name__ == "__main__":
    setup_in_django(int(sys.argv[1]))
