import copy
import io
import json
import logging
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_redis import get_redis_connection

from sessions_store import clock

from .factories import UserFactory

PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    if not os.environ.get("REDIS_URL"):
        from sessions_store import embedded

        embedded.start()


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests (real outages of a database server) are deselected on SQLite rather
    # than skipped: CI counts a skip as a failure, and runs them in its PostgreSQL pass.
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_sessionfinish(session, exitstatus):
    # In CI a test skipped for want of a service is a failure.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every test must run in CI.", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic once, for the tests' production app servers (WhiteNoise serves the
    manifest-named files)."""
    from .support.app_server import collect_static, production_env

    root = tmp_path_factory.mktemp("static")
    env = production_env(
        database_url="sqlite:///unused.sqlite3", redis_url="redis://127.0.0.1:1/0",
        media_root=root / "media", static_root=root, var_dir=root / "var",
    )
    return collect_static(root, env)


@pytest.fixture(autouse=True)
def drafts_redis():
    """A clean drafts database for every test (real Redis, never a stand-in)."""
    connection = get_redis_connection("drafts")
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DRAFT_UPLOAD_ROOT = tmp_path / "media" / "drafts"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_deferred_counts():
    """Counts deferred by one test's requests (sessions_store.counters) never reach the next."""
    from sessions_store import counters

    counters.forget_pending()
    yield
    counters.forget_pending()


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.reset()
    yield clock
    clock.reset()


class RedisOutage:
    """Points the drafts store at an address where nothing listens, and back."""

    def __init__(self, settings):
        self.settings = settings
        self.working = None

    def begin(self):
        from sessions_store.store import DraftStoreUnavailable, get_draft_store

        self.working = copy.deepcopy(self.settings.CACHES)
        broken = copy.deepcopy(self.settings.CACHES)
        broken["drafts"]["LOCATION"] = "redis://127.0.0.1:1/0"
        broken["drafts"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] = 0.5
        broken["drafts"]["OPTIONS"]["SOCKET_TIMEOUT"] = 0.5
        self.settings.CACHES = broken
        # The setting change really rebuilt the drafts connection.
        with pytest.raises(DraftStoreUnavailable):
            get_draft_store().ping()

    def end(self):
        self.settings.CACHES = self.working


@pytest.fixture
def redis_outage(settings):
    """``redis_outage.begin()`` makes Redis unreachable for the drafts store; ``.end()`` ends it
    (and the settings fixture restores it after the test anyway)."""
    return RedisOutage(settings)


@pytest.fixture
def sessions_log(caplog):
    """The JSON lines written on the ``sessions_store`` logger, from INFO: ``sessions_log()`` all of
    them, ``sessions_log(logging.DEBUG)`` those at one level; ``.clear()`` and ``.set_level()`` are
    caplog's. The logger does not propagate to root, so caplog's handler is attached to it."""
    logger = logging.getLogger("sessions_store")
    attached = not logger.propagate
    if attached:
        logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="sessions_store")

    def lines(level=None):
        return [
            json.loads(record.getMessage())
            for record in caplog.records
            if record.name == "sessions_store" and level in (None, record.levelno)
        ]

    lines.clear, lines.set_level = caplog.clear, caplog.set_level
    yield lines
    if attached:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def other_user(db):
    return UserFactory(username="other")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


# A browser of its own (its own cookies, the desktop user agent), signed out or signed in as owner.
# (Imported here, not at the top: wizard_helpers imports this module.)

@pytest.fixture
def anonymous():
    from .wizard_helpers import browser

    return browser()


@pytest.fixture
def signed_in(owner):
    from .wizard_helpers import browser

    return browser(owner)


# --- Documents with real content ----------------------------------------------------------------

def pdf_bytes(text="Requirements"):
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        + f"% {text}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def office_bytes(kind):
    buffer = io.BytesIO()
    part = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed timestamp: the same call gives the same bytes.
        for name, body in (("[Content_Types].xml", "<Types/>"), (part, "<document/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), body)
    return buffer.getvalue()


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def pdf():
    return lambda name="spec.pdf", text="Requirements": upload(name, pdf_bytes(text), "application/pdf")


@pytest.fixture
def round_trips(monkeypatch):
    """The Redis round trips sent from here on (see test_round_trips.py: one per call of redis-py's
    ``send_packed_command``, leaving out the connection's own health checks and handshake)."""
    from redis.connection import AbstractConnection

    counted = []
    original = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        if check_health:
            counted.append(command)
        return original(self, command, check_health=check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return counted
