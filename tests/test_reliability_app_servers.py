"""Reliability (issue 5): app servers restarting mid-wizard, several of them sharing one Redis, and
the wizard under load (the ``load`` test: deselected by default, ``make test-load`` runs it).

Everything runs on real services: gunicorn subprocesses with production settings sharing the
suite's test database and Redis (or a redis-server of the test's own where Redis stops), and
``requests`` as the browser. Nothing here mocks Redis or the database.
"""

import html
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.test import Client
from django_redis import get_redis_connection

from projects.models import Project
from sessions_store.store import get_draft_store

from .conftest import PASSWORD, pdf_bytes
from .factories import UserFactory
from .reliability_helpers import UNAVAILABLE, files_under, load_draft
from .support import wizard_http as flow
from .support.app_server import AppServer, current_database_url, production_env, rss_kib
from .support.browser import Browser
from .support.redis_server import RedisServer, drafts_caches, forget_pool
from .wizard_helpers import VALID_DETAILS

pytestmark = pytest.mark.django_db


# --- app servers: restarts, and several of them sharing one Redis ------------------------------------

@pytest.fixture
def server_redis_prefix(settings):
    """Read drafts as the app servers write them: production settings' key prefix ``pw``."""
    caches = drafts_caches(settings.CACHES, settings.CACHES["drafts"]["LOCATION"])
    caches["drafts"]["KEY_PREFIX"] = "pw"
    settings.CACHES = caches


@pytest.fixture
def app_servers(tmp_path, static_root, settings, server_redis_prefix):
    """Start production app servers on the test database, the suite's Redis and one MEDIA_ROOT."""
    started = []
    secret = os.urandom(32).hex()
    env = production_env(
        database_url=current_database_url(),
        redis_url=settings.CACHES["drafts"]["LOCATION"],
        media_root=tmp_path / "shared-media",
        static_root=static_root,
        var_dir=tmp_path / "var",
        secret_key=secret,
    )
    settings.MEDIA_ROOT = tmp_path / "shared-media"
    settings.DRAFT_UPLOAD_ROOT = tmp_path / "shared-media" / "drafts"

    def start(workers=2, name=None, redis_url=None, gunicorn_args=(), **extra_env):
        server_env = dict(env, **{key: str(value) for key, value in extra_env.items()})
        if redis_url:
            server_env["REDIS_URL"] = redis_url
        server = AppServer(server_env, tmp_path / f"{name or 'app'}-{len(started)}.log", workers=workers, gunicorn_args=gunicorn_args)
        started.append(server)
        return server.start()

    start.secret_key = secret
    yield start
    for server in started:
        server.stop("kill")
    for server in started:
        # No request may have failed with a 500 on a server, even one the test did not look at.
        assert server.server_errors() == [], server.log_tail()


def signed_in_user(settings, username="alice"):
    """A user who signs in through the login form of a production server (PBKDF2, as deployed)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return UserFactory(username=username)


def assert_project_complete(path, user, draft_id, content, settings):
    project = Project.objects.get(pk=flow.project_id(path))
    assert (project.owner, str(project.draft_id)) == (user, draft_id)
    assert project.project_name == VALID_DETAILS["project_name"]
    document = project.documents.get()
    assert (document.original_name, Path(document.file.path).read_bytes()) == ("spec.pdf", content)
    assert [(c.connector_type, c.target) for c in project.connectors.all()] == [flow.CONNECTOR]
    assert load_draft(draft_id) is None
    assert files_under(settings.DRAFT_UPLOAD_ROOT) == []
    return project


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["term", "kill"], ids=["graceful restart", "crash"])
def test_it_loses_nothing_when_the_app_server_restarts_mid_wizard(app_servers, settings, how):
    user = signed_in_user(settings)
    server = app_servers()
    browser = Browser(server.url)
    browser.sign_in("alice", PASSWORD)
    content = pdf_bytes("across a restart")
    path = flow.details(browser)
    draft_id, _ = flow.draft_of(path)
    path = flow.requirements(browser, path, files=[("spec.pdf", content)])

    server.restart(how)

    # The same browser carries on: sign-in, draft and document are all still there.
    page = flow.expect_step(browser, path, "sources")
    assert "Harbour Office Retrofit" in page.text
    path = flow.sources(browser, path)
    review = flow.expect_step(browser, path, "review")
    assert "spec.pdf" in review.text
    path = flow.review(browser, path)
    assert_project_complete(path, user, draft_id, content, settings)
    assert browser.get(path).status == 200


@pytest.mark.django_db(transaction=True)
def test_it_continues_a_draft_started_on_one_app_server_on_another(app_servers, settings):
    user = signed_in_user(settings)
    one, two = app_servers(name="one"), app_servers(name="two")
    on_one = Browser(one.url)
    on_two = on_one.on(two.url)  # the load balancer sends the next request elsewhere
    content = pdf_bytes("two servers")

    # Anonymous on server one: steps 1 and 2.
    path = flow.details(on_one)
    draft_id, _ = flow.draft_of(path)
    path = flow.requirements(on_one, path, files=[("spec.pdf", content)])
    # Server two resumes it, and takes step 3.
    assert on_two.location(on_two.get(f"/projects/new/{draft_id}/")) == path
    path = flow.sources(on_two, path)
    # Creating the project needs an account: sign in on server two; the draft comes along.
    login = flow.review(on_two, path)
    assert login.startswith("/accounts/login/")
    on_two.sign_in("alice", PASSWORD, next_path=path)
    assert load_draft(draft_id).owner == f"u:{user.pk}"
    # And server one creates the project.
    path = flow.review(on_one, path)
    assert_project_complete(path, user, draft_id, content, settings)
    # Both servers see it, and send a late request for the draft to the project.
    assert on_two.get(path).status == 200
    assert on_one.location(on_one.get(f"/projects/new/{draft_id}/review/")) == path


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_from_production_servers_while_redis_is_down_and_they_recover_by_themselves(app_servers, settings):
    """Every worker's pooled connections die with Redis; none may fail a request once it is back."""
    redis = RedisServer(appendfsync="everysec").start()
    try:
        caches = drafts_caches(settings.CACHES, redis.url)
        caches["drafts"]["KEY_PREFIX"] = "pw"
        settings.CACHES = caches
        user = signed_in_user(settings)
        server = app_servers(workers=2, redis_url=redis.url)
        browser = Browser(server.url)
        browser.sign_in("alice", PASSWORD)
        content = pdf_bytes("outage")
        path = flow.details(browser)
        draft_id, _ = flow.draft_of(path)
        path = flow.requirements(browser, path, files=[("spec.pdf", content)])
        for _ in range(8):  # both workers now hold pooled connections to this Redis
            assert browser.get(path).status == 200

        redis.stop()
        page = browser.get(path)
        assert page.status == 503, page.text[:2000]
        typed = {
            "sources-connectors-TOTAL_FORMS": "1",
            "sources-connectors-0-connector_type": flow.CONNECTOR[0],
            "sources-connectors-0-target": flow.CONNECTOR[1],
            "sources-ai_sourcing_enabled": "on",
        }
        down = browser.post(path, typed | {"project_wizard-current_step": "sources", "csrfmiddlewaretoken": page.form()["hidden"][0][1]})
        assert down.status == 503, down.text[:2000]
        assert down.response.headers["Retry-After"] == "30"
        assert UNAVAILABLE in html.unescape(down.text)
        assert "default-src 'self'" in down.response.headers["Content-Security-Policy"]
        assert down.form()["fields"]["sources-connectors-0-target"] == [flow.CONNECTOR[1]]
        assert browser.get("/projects/drafts/").status == 503

        redis.start()
        for _ in range(8):  # whichever worker answers, its pool reconnects by itself
            assert browser.get("/projects/drafts/").status == 200
        # The user sends the 503 page again as it was: the wizard continues, and completes.
        response = browser.submit(down, keep_fields=True)
        path = browser.location(response)
        assert path.endswith("/review/"), path
        path = flow.review(browser, path)
        assert_project_complete(path, user, draft_id, content, settings)
    finally:
        redis.close()
        forget_pool(redis.url)


@pytest.mark.django_db(transaction=True)
def test_it_sends_a_content_security_policy_from_a_production_server(app_servers):
    server = app_servers(workers=1)
    response = Browser(server.url).get("/projects/new/").response
    policy = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- load: 50 users completing wizards for a minute ------------------------------------------------

LOAD_SECONDS = float(os.environ.get("LOAD_TEST_SECONDS", "60"))
LOAD_USERS = int(os.environ.get("LOAD_TEST_USERS", "50"))
LOAD_WORKERS = int(os.environ.get("LOAD_TEST_WORKERS", "4"))
# A worker's memory after warm-up may move a little (allocator arenas, the pools filling up), but a
# leak of what one wizard touches (a draft record, an upload, a form, a query) grows with the
# thousands of requests each worker serves here. These bounds sit far above the few MB of noise
# seen on a healthy server and far below what such a leak would add.
RSS_GROWTH_MAX_KIB = 20 * 1024
RSS_GROWTH_MAX_RATIO = 0.20


def sessions_for(users, secret_key, settings):
    """Signed-in session cookies, made as the server makes them (same SECRET_KEY and engine).

    Signing in 50 users through the form costs 50 PBKDF2 hashes (~25 CPU-seconds on a 2-core
    machine) before the load even starts; the restart tests above sign in through the form.
    """
    settings.SECRET_KEY = secret_key
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return cookies


def complete_one_wizard(browser, label):
    path = flow.details(browser, project_name=label)
    path = flow.requirements(browser, path, files=[("spec.pdf", pdf_bytes(label))])
    path = flow.sources(browser, path)
    path = flow.review(browser, path)
    flow.project_id(path)
    page = browser.get(path)
    assert page.status == 200 and label in page.text, (page.status, path)


def workers_rss(server):
    return {pid: rss_kib(pid) for pid in server.worker_pids()}


@pytest.mark.load
@pytest.mark.timeout(LOAD_SECONDS + 240)
@pytest.mark.django_db(transaction=True)
def test_it_serves_concurrent_users_completing_wizards_without_errors_or_memory_growth(app_servers, settings, capsys):
    # Every simulated user comes from 127.0.0.1: the per-address limits would refuse them.
    server = app_servers(workers=LOAD_WORKERS, name="load", SESSION_RATE_LIMIT=10**6, SESSION_MAX_ATTEMPTS=10**6)
    users = [UserFactory(username=f"load{n}") for n in range(LOAD_USERS)]
    browsers = []
    for cookie in sessions_for(users, app_servers.secret_key, settings):
        browser = Browser(server.url, timeout=60)
        # Host-only, like the cookie the server sets: a new one from the server replaces it.
        browser.session.cookies.set(settings.SESSION_COOKIE_NAME, cookie, domain="127.0.0.1", path="/")
        browsers.append(browser)

    errors, completed = [], [0] * LOAD_USERS
    lock = threading.Lock()

    def run(index, until):
        while True:
            try:
                complete_one_wizard(browsers[index], f"Load {index}-{completed[index]}")
                completed[index] += 1
            except Exception as exc:  # every failure counts, whatever it is
                with lock:
                    errors.append(f"user {index}: {type(exc).__name__}: {str(exc)[:300]}")
            if until is None or time.monotonic() >= until:
                return

    with ThreadPoolExecutor(max_workers=LOAD_USERS) as pool:
        # Warm-up: every user completes one wizard (imports, templates, pools, Lua scripts loaded).
        list(pool.map(run, range(LOAD_USERS), [None] * LOAD_USERS))
        warm_errors, warm_done = list(errors), sum(completed)
        before = workers_rss(server)
        started = time.monotonic()
        list(pool.map(run, range(LOAD_USERS), [started + LOAD_SECONDS] * LOAD_USERS))
        elapsed = time.monotonic() - started
    after = workers_rss(server)

    timings = sorted(t for browser in browsers for t in browser.timings)
    report = (
        f"{sum(completed) - warm_done} wizards ({len(timings)} requests in all) by {LOAD_USERS} users in "
        f"{elapsed:.0f} s; p50 {timings[len(timings) // 2] * 1000:.0f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)] * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms; "
        f"worker RSS (MiB) {[round(v / 1024, 1) for v in before.values()]} -> "
        f"{[round(v / 1024, 1) for v in after.values()]}"
    )
    with capsys.disabled():
        print(f"\nload: {report}")
    assert warm_errors == [] and errors == [], f"{len(errors)} errors: {errors[:10]}\n{report}"
    assert all(count >= 2 for count in completed), f"a user was starved: {completed}\n{report}"
    assert Project.objects.count() == sum(completed)
    # Every commit cleaned up after itself: no draft left in Redis, no temporary file on disk.
    assert get_redis_connection("drafts").zcard(get_draft_store().key("index")) == 0
    assert files_under(settings.DRAFT_UPLOAD_ROOT) == []
    # The same workers served it all (none crashed or was recycled), and their memory stayed flat.
    assert sorted(after) == sorted(before), f"workers changed: {before} -> {after}\n{server.log_tail()}"
    for pid, start_kib in before.items():
        growth = after[pid] - start_kib
        assert growth < RSS_GROWTH_MAX_KIB and growth < start_kib * RSS_GROWTH_MAX_RATIO, (
            f"worker {pid} grew by {growth / 1024:.1f} MiB\n{report}"
        )
