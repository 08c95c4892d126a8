"""Benchmark: what sign-in throttling and the login-session check cost (issue 12 items 4 and 5).

    .venv/bin/python bench/sign_in.py            # Django's default password hasher (production)
    .venv/bin/python bench/sign_in.py --fast     # MD5 hasher: isolates the throttle's own cost

Side by side, interleaved in one run, in one process through Django's test client (the whole
middleware stack, a real Redis and SQLite; no network):

1. a sign-in (POST /accounts/login/, right password) through the throttled view against the same
   view without the throttle (bench-only URL), and a refused sign-in (429) once the pair is locked;
2. a signed-in page (GET /accounts/, GET /projects/drafts/) with our AuthenticationMiddleware
   (the login session joined into the user query) against Django's stock one.

Uses its own embedded Redis under var/bench/ (or REDIS_URL) and a SQLite file under var/bench/.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DRAFT_LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_LOG_LEVEL", "ERROR")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'sign_in.sqlite3'}"

PASSWORD = "correct horse battery staple"
STOCK_AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OUR_AUTH = "wizard_site.accounts.AuthenticationMiddleware"


def setup(fast):
    if not os.environ.get("REDIS_URL"):
        from sessions_store import embedded

        embedded.start()
    import django
    from django.conf import settings

    if fast:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ROOT_URLCONF = "bench.sign_in_urls"
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ms(samples):
    ordered = sorted(samples)
    return f"{statistics.median(ordered) * 1000:8.2f} {ordered[int(len(ordered) * 0.95) - 1] * 1000:8.2f}"


def timed(call):
    start = time.perf_counter()
    response = call()
    return time.perf_counter() - start, response


def bench_sign_in(rounds):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_redis import get_redis_connection

    User = get_user_model()
    User.objects.filter(username="bench").delete()
    User.objects.create_user("bench", "bench@example.com", PASSWORD)
    results = {"throttled": [], "unthrottled": [], "refused (429)": []}
    for _ in range(rounds):
        for name, url in (("throttled", "/accounts/login/"), ("unthrottled", "/bench/login-unthrottled/")):
            seconds, response = timed(lambda: Client().post(url, {"username": "bench", "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"))
            assert response.status_code == 302, response.status_code
            results[name].append(seconds)
    redis = get_redis_connection("drafts")
    from sessions_store.limits import _sign_in_keys
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.1")
    pair = _sign_in_keys(request, "login", "bench")[1]["pair"]
    redis.set(pair, 1000, ex=900)
    for _ in range(rounds):
        seconds, response = timed(lambda: Client().post("/accounts/login/", {"username": "bench", "password": PASSWORD}, REMOTE_ADDR="198.51.100.1"))
        assert response.status_code == 429
        results["refused (429)"].append(seconds)
    redis.delete(pair)
    return results


def bench_pages(rounds):
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings
    from django.conf import settings

    user = get_user_model().objects.get(username="bench")
    stock = [STOCK_AUTH if item == OUR_AUTH else item for item in settings.MIDDLEWARE]
    results = {}
    for url in ("/accounts/", "/projects/drafts/"):
        clients = {}
        for name, middleware in (("login session (ours)", settings.MIDDLEWARE), ("stock Django", stock)):
            with override_settings(MIDDLEWARE=middleware):
                client = Client()
                client.force_login(user)
                clients[name] = (client, middleware)
        for _ in range(rounds):
            for name, (client, middleware) in clients.items():
                with override_settings(MIDDLEWARE=middleware):
                    seconds, response = timed(lambda: client.get(url))
                    assert response.status_code == 200, (url, name, response.status_code)
                results.setdefault(f"GET {url:18} {name}", []).append(seconds)
    return results


def main():
    fast = "--fast" in sys.argv
    setup(fast)
    from django.conf import settings

    rounds = 200 if fast else 10
    print(f"hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}, {rounds} rounds, interleaved")
    print(f"{'':46} {'p50 ms':>8} {'p95 ms':>8}")
    for name, samples in bench_sign_in(rounds).items():
        print(f"POST /accounts/login/ {name:24} {ms(samples)}")
    for name, samples in bench_pages(rounds * 2 if fast else 300).items():
        print(f"{name:46} {ms(samples)}")


if __name__ == "__main__":
    main()
