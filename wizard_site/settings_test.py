"""Test settings: the real settings, plus a fast password hasher and an isolated Redis database."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
# The tests run with DEBUG off, against the embedded Redis that conftest starts (or REDIS_URL).
os.environ.setdefault("ALLOW_EMBEDDED_REDIS", "1")

from .settings import *  # noqa: E402,F403
from .settings import CACHES, EMBEDDED_REDIS_SOCKET, REDIS_IS_EMBEDDED  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

if REDIS_IS_EMBEDDED:
    # The development server uses db 0 of the embedded Redis; tests flush db 1 only.
    CACHES["drafts"]["LOCATION"] = f"unix://{EMBEDDED_REDIS_SOCKET}?db=1"
CACHES["drafts"]["KEY_PREFIX"] = "pwtest"
SESSION_TTL = int(os.environ.get("SESSION_TTL", 86400))
WHITENOISE_AUTOREFRESH = True
# Tests look up many missing drafts from one address; the limits have tests of their own.
SESSION_MAX_ATTEMPTS = 1000
SESSION_RATE_LIMIT = 1000
