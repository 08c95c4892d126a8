"""CPU per completed wizard inside one Django process: the quick A/B of a performance lever.

    .venv/bin/python bench/wizard_cpu.py                      # 30 warm-up + 200 measured wizards
    .venv/bin/python bench/wizard_cpu.py --wizards 400 --profile var/wizard.prof --top 10
    .venv/bin/python bench/wizard_cpu.py --against FORM_RENDERER=django.forms.renderers.DjangoTemplates
    .venv/bin/python bench/wizard_cpu.py --wizards 60 --per-request   # and the CPU of each step's GET and POST

The app's production settings (DEBUG off) on PostgreSQL (``--database``) and the machine's Redis
(db ``--redis-db``, FLUSHDB'd before and after), driven by Django's test client in this process:
one signed-in user completes whole wizards, the PDF upload and the commit included, as
bench/stock_compare.py's client does over HTTP. Only the CPU time (``time.process_time``) spent
inside the request handler is counted, so the client's own work is not; the machine's other load
barely moves it (unlike wall-clock figures). Run it before and after a change, on the same
machine, and compare; bench/stock_compare.py is the side-by-side with the stock wizard. With
``--against SETTING=VALUE`` the same process alternates batches of 10 wizards with the settings as
they are and with that one changed, and reports both: the A/B of a lever that is a setting.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import options  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wizards", type=int, default=200, help="measured wizards (default 200)")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured wizards first (default 30)")
    options.storage(parser, database="pw_i14b", redis_db=11)
    options.profile(parser, help="write a cProfile of the measured requests (CPU time) to this file")
    parser.add_argument("--against", help="SETTING=VALUE: alternate batches with this setting changed")
    parser.add_argument("--per-request", action="store_true", help="also the CPU of each kind of request (method and path)")
    return parser.parse_args(argv)


def configure(args, media):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="wizard_site.settings",
        DEBUG="0",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        REDIS_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
        MEDIA_ROOT=str(media / "media"),
        STATIC_ROOT=str(media / "static"),
        SECRET_KEY="bench-cpu-" + "k" * 50,
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="testserver",
        SESSION_RATE_LIMIT="1000000000",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest DEBUG off needs


class HandlerClock:
    """CPU seconds spent inside Django's request handler (the test client's work left out)."""

    def __init__(self, profiler=None):
        from django.test.client import ClientHandler

        self.seconds, self.on, self.profiler = 0.0, False, profiler
        self.kinds = {}  # "POST /projects/new/<id>/sources/": [requests, CPU seconds]
        original = ClientHandler.__call__
        clock = self

        def timed(handler, environ):
            if not clock.on:
                return original(handler, environ)
            if clock.profiler:
                clock.profiler.enable()
            started = time.process_time()
            try:
                return original(handler, environ)
            finally:
                spent = time.process_time() - started
                clock.seconds += spent
                if clock.profiler:
                    clock.profiler.disable()
                kind = environ["REQUEST_METHOD"] + " " + re.sub(r"[0-9a-f-]{36}", "<id>", environ["PATH_INFO"])
                tally = clock.kinds.setdefault(kind, [0, 0.0])
                tally[0], tally[1] = tally[0] + 1, tally[1] + spent

        ClientHandler.__call__ = timed


def one_wizard(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench.wizard_payload import DOCUMENT, DOCUMENT_FIELD, DOCUMENT_NAME, STEP_NAMES, visible_fields
    from tests.support.browser import parse_forms

    path = "/projects/new/"
    for step in STEP_NAMES:
        page = client.get(path, secure=True)
        if page.status_code != 200:
            raise RuntimeError(f"GET {step}: {page.status_code}")
        form = next(form for form in parse_forms(page.content.decode()) if form["id"] == "step-form")
        data = {}
        for name, value in form["hidden"]:  # what the page carries; then what a person types
            data.setdefault(name, []).append(value)
        data.update(visible_fields(step))
        if step == "requirements":
            data[DOCUMENT_FIELD] = SimpleUploadedFile(DOCUMENT_NAME, DOCUMENT, "application/pdf")
        answer = client.post(path, data, secure=True)
        if answer.status_code != 302:
            raise RuntimeError(f"POST {step}: {answer.status_code} {answer.content[:300]!r}")
        path = answer["Location"]
    if not path.startswith("/projects/") or not path.rstrip("/").split("/")[-1].isdigit():
        raise RuntimeError(f"the commit went to {path}")


def main(argv=None):
    args = parse_args(argv)
    media = Path(tempfile.mkdtemp(prefix="wizard-cpu-"))
    try:
        configure(args, media)
        import cProfile

        import redis
        from django.contrib.auth import get_user_model
        from django.test import Client

        r = redis.Redis(host="127.0.0.1", port=6379, db=args.redis_db)
        r.flushdb()
        user, _ = get_user_model().objects.get_or_create(username="bench-cpu")
        client = Client()
        client.force_login(user)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        clock = HandlerClock(profiler)
        for _ in range(args.warmup):
            one_wizard(client)
        batches = [(None, args.wizards)]
        if args.against:
            from django.test import override_settings

            name, value = args.against.split("=", 1)
            batches = [(override, 10) for _ in range(max(1, args.wizards // 10)) for override in (None, {name: value})]
        spent = {}
        for override, count in batches:
            clock.seconds, clock.on = 0.0, True
            if override:
                with override_settings(**override):
                    for _ in range(count):
                        one_wizard(client)
            else:
                for _ in range(count):
                    one_wizard(client)
            clock.on = False
            key = "with " + args.against if override else "as configured"
            done, seconds = spent.get(key, (0, 0.0))
            spent[key] = (done + count, seconds + clock.seconds)
        for key, (done, seconds) in spent.items():
            print(f"{seconds * 1000 / done:.2f} ms CPU per wizard in the request handler, {key} "
                  f"({done} wizards, 8 requests each)")
        if args.per_request:
            for kind, (count, seconds) in clock.kinds.items():
                print(f"  {seconds * 1000 / count:6.2f} ms CPU per request  {kind}  ({count} requests)")
        if profiler:
            import pstats

            profiler.dump_stats(args.profile)
            pstats.Stats(args.profile).sort_stats("cumulative").print_stats(args.top)
        r.flushdb()
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
