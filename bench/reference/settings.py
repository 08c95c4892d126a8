"""Settings of the reference wizards: the app's settings, with the reference URLs and a session engine.

BENCH_REF selects the reference:
  a  stock NamedUrlSessionWizardView, Django database sessions (PostgreSQL)
  b  stock NamedUrlSessionWizardView, Django cache sessions on django-redis (BENCH_SESSION_REDIS_URL)
  s  the bare stock wizard (BareStockWizard: its own one-line template), cache sessions as b
  c  the same views over a storage that keeps nothing between requests (the ceiling); the login
     in the app's own session engine (a signed cookie), as the app has
  f  (c) plus the floor of any Redis draft store: the user checked and one Redis round trip per
     request (views.FloorStorage)
"""

import os

from wizard_site.settings import *  # noqa: F401,F403
from wizard_site.settings import CACHES as _APP_CACHES

ROOT_URLCONF = "bench.reference.urls"
BENCH_REF = os.environ.get("BENCH_REF", "a")
if BENCH_REF not in ("a", "b", "c", "f", "s"):
    raise RuntimeError(f"BENCH_REF must be a, b, c, f or s, got {BENCH_REF!r}")

if BENCH_REF == "s":
    FORM_RENDERER = "django.forms.renderers.DjangoTemplates"  # stock: Django's default
    TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "reference" / "templates"]}]  # noqa: F405
if BENCH_REF in ("b", "s"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    SESSION_CACHE_ALIAS = "sessions"
    CACHES = {
        **_APP_CACHES,
        # Stock django-redis: default client and serializer (pickle), as a formtools user would.
        "sessions": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ.get("BENCH_SESSION_REDIS_URL", "redis://127.0.0.1:6379/10"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        },
    }
elif BENCH_REF == "a":
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
# (c) keeps the app's SESSION_ENGINE: the ceiling is the app with nothing persisted, nothing else.
