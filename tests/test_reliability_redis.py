"""Reliability (issue 5): Redis failing mid-wizard. It stops, hangs or turns read-only (the user
gets a quick 503 with the input kept, never a 500, and continues when it is back), and it
restarts with its append-only file (no draft is lost).

Everything runs on real services: a redis-server of the test's own where a test stops, kills or
restarts Redis (never the suite's shared test Redis). Nothing here mocks Redis or the database.
"""

import html
import re
import time

import pytest
from django.conf import settings as django_settings
from django_redis import get_redis_connection

from projects.models import Project
from projects.steps import draft_title
from sessions_store.store import get_draft_store

from .conftest import PASSWORD, pdf_bytes, upload
from .reliability_helpers import UNAVAILABLE, files_under, load_draft
from .support.browser import form_payload
from .support.redis_server import RedisServer, drafts_caches, forget_pool
from .wizard_helpers import VALID_DETAILS, details_post, management, move_drafts_after_sign_in, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db

DRIVE = "https://drive.google.com/drive/folders/reliability-<&>"
S3 = "s3://harbour-drawings/floors/"

FILES_AGAIN = "Files you selected will need to be chosen again."


# --- a Redis of the test's own ----------------------------------------------------------------------

@pytest.fixture
def own_redis(settings):
    """A redis-server this test may stop, kill and restart; the drafts cache points at it."""
    server = RedisServer(appendfsync="always").start()
    settings.CACHES = drafts_caches(settings.CACHES, server.url)
    yield server
    server.close()
    forget_pool(server.url)


def at_sources(client):
    """A draft with steps 1 and 2 saved (one document), waiting at step 3."""
    draft_id = start_draft(client)
    response = client.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload("spec.pdf", pdf_bytes("kept"))],
            "requirements-requirements_notes": "Chillers first.",
            **management("requirements"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return draft_id


def sources_input():
    return sources_post(connectors=[("google_drive", DRIVE), ("s3", S3)])


def assert_unavailable(response, started):
    """A 503 page that says what happened, quickly (REDIS_SOCKET_TIMEOUT), never a 500."""
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.content.decode()[:3000]
    assert response["Retry-After"] == "30"
    page = html.unescape(response.content.decode())
    assert UNAVAILABLE in page
    assert "Nothing you typed below has been lost" in page
    # A dead Redis fails fast: no retry loop or backoff keeps the user waiting.
    assert elapsed < 2 * django_settings.REDIS_SOCKET_TIMEOUT + 1, f"the 503 took {elapsed:.1f} s"
    return page


# --- Redis stops in the middle of a wizard -----------------------------------------------------------

def test_it_answers_503_with_the_input_when_redis_stops_mid_wizard_and_continues_when_it_is_back(
    owner_client, own_redis
):
    draft_id = at_sources(owner_client)
    own_redis.stop()

    started = time.monotonic()
    response = owner_client.post(step_url(draft_id, "sources"), sources_input())

    page = assert_unavailable(response, started)
    # Everything typed is on the page again, in the form, ready to be sent again.
    payload = form_payload(response.content.decode())
    assert payload["sources-connectors-0-connector_type"] == ["google_drive"]
    assert payload["sources-connectors-0-target"] == [DRIVE]
    assert payload["sources-connectors-1-connector_type"] == ["s3"]
    assert payload["sources-connectors-1-target"] == [S3]
    assert payload["sources-ai_sourcing_enabled"] == ["on"]
    assert re.search(rf'<form method="post" action="{step_url(draft_id, "sources")}"', response.content.decode())
    assert FILES_AGAIN not in page

    own_redis.start()

    # The user presses "Save and continue" on the 503 page as it is: the wizard goes on.
    response = owner_client.post(step_url(draft_id, "sources"), payload)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == step_url(draft_id, "review")
    review = owner_client.get(step_url(draft_id, "review")).content.decode()
    assert "spec.pdf" in review and html.escape(DRIVE) in review and S3 in review
    response = owner_client.post(step_url(draft_id, "review"), {"review-confirm": "on", **management("review")})
    assert response.status_code == 302
    project = Project.objects.get(draft_id=draft_id)
    assert [c.target for c in project.connectors.all()] == [DRIVE, S3]
    assert project.documents.get().file.read() == pdf_bytes("kept")


def test_it_stores_no_upload_while_redis_is_down_and_asks_for_the_files_again(owner_client, own_redis, settings):
    draft_id = start_draft(owner_client)
    own_redis.stop()

    started = time.monotonic()
    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload("spec.pdf", pdf_bytes()), upload("plan.pdf", pdf_bytes("plan"))],
            "requirements-requirements_notes": "Typed while Redis was down <b>",
            **management("requirements"),
        },
    )

    page = assert_unavailable(response, started)
    assert FILES_AGAIN in page
    assert form_payload(response.content.decode())["requirements-requirements_notes"] == [
        "Typed while Redis was down <b>"
    ]
    # The files written before the save failed were removed again: nothing is left behind.
    assert files_under(settings.DRAFT_UPLOAD_ROOT) == []

    own_redis.start()
    assert load_draft(draft_id).files == []
    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("spec.pdf", pdf_bytes())], **management("requirements")},
    )
    assert response.status_code == 302
    assert [item["name"] for item in load_draft(draft_id).files] == ["spec.pdf"]
    assert len(files_under(settings.DRAFT_UPLOAD_ROOT)) == 1


def test_it_answers_503_with_the_input_when_redis_is_down_at_the_first_step(owner_client, own_redis):
    own_redis.stop()

    started = time.monotonic()
    response = owner_client.post("/projects/new/", details_post(project_name="Typed <while> down"))

    assert_unavailable(response, started)
    payload = form_payload(response.content.decode())
    assert payload["details-project_name"] == ["Typed <while> down"]
    assert payload["details-client_email"] == [VALID_DETAILS["client_email"]]
    assert payload["details-building_type"] == [VALID_DETAILS["building_type"]]
    assert payload["details-priority"] == [VALID_DETAILS["priority"]]

    own_redis.start()
    response = owner_client.post("/projects/new/", payload)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft_id = re.search(r"/projects/new/([0-9a-f-]{36})/", response["Location"]).group(1)
    assert draft_title(load_draft(draft_id)) == "Typed <while> down"


def test_it_creates_no_project_while_redis_is_down_and_exactly_one_when_it_is_back(owner_client, own_redis):
    draft_id = at_sources(owner_client)
    assert owner_client.post(step_url(draft_id, "sources"), sources_input()).status_code == 302
    own_redis.stop()

    started = time.monotonic()
    response = owner_client.post(step_url(draft_id, "review"), {"review-confirm": "on", **management("review")})

    assert_unavailable(response, started)
    # The page's "Create project" button is the confirmation: a retry from it commits.
    assert re.search(r'<button type="submit" class="primary" name="review-confirm" value="1" id="id_review-confirm">Create project</button>', response.content.decode())
    assert not Project.objects.exists()

    own_redis.start()
    for _ in range(2):  # and a second click
        response = owner_client.post(step_url(draft_id, "review"), {"review-confirm": "on", **management("review")})
        assert response.status_code == 302
    project = Project.objects.get()
    assert response["Location"] == project.get_absolute_url()
    assert load_draft(draft_id) is None


def test_it_keeps_an_anonymous_draft_when_signing_in_while_redis_is_down(client, owner, own_redis):
    draft_id = start_draft(client)
    own_redis.stop()

    response = client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})

    # Handing the draft over needs Redis: the sign-in is refused (503) rather than the draft dropped.
    assert response.status_code == 503
    assert client.get("/projects/").status_code == 302  # not signed in
    own_redis.start()
    response = move_drafts_after_sign_in(client, client.post("/accounts/login/", {"username": "owner", "password": PASSWORD}))
    assert response.status_code == 302
    assert load_draft(draft_id).owner == f"u:{owner.pk}"


@pytest.mark.parametrize("path", ["step", "resume", "drafts", "discard"])
def test_it_answers_503_not_500_to_any_draft_page_while_redis_is_down(owner_client, own_redis, path):
    draft_id = at_sources(owner_client)
    own_redis.stop()
    urls = {
        "step": step_url(draft_id, "sources"),
        "resume": f"/projects/new/{draft_id}/",
        "drafts": "/projects/drafts/",
        "discard": f"/projects/new/{draft_id}/discard/",
    }

    started = time.monotonic()
    if path == "discard":
        response = owner_client.post(urls[path])
    else:
        response = owner_client.get(urls[path])

    assert response.status_code == 503, response.content.decode()[:2000]
    assert time.monotonic() - started < 2 * django_settings.REDIS_SOCKET_TIMEOUT + 1
    assert "not responding" in html.unescape(response.content.decode())

    own_redis.start()
    assert load_draft(draft_id) is not None
    assert owner_client.get(step_url(draft_id, "sources")).status_code == 200


def test_it_answers_503_within_the_timeout_when_redis_hangs_and_continues_when_it_answers_again(owner_client, own_redis):
    draft_id = at_sources(owner_client)
    own_redis.freeze()
    try:
        started = time.monotonic()
        response = owner_client.post(step_url(draft_id, "sources"), sources_input())

        assert_unavailable(response, started)
        assert time.monotonic() - started >= django_settings.REDIS_SOCKET_TIMEOUT * 0.9  # it did wait
        payload = form_payload(response.content.decode())
        assert payload["sources-connectors-1-target"] == [S3]
    finally:
        own_redis.thaw()

    response = owner_client.post(step_url(draft_id, "sources"), payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == step_url(draft_id, "review")


def test_it_answers_503_when_redis_turns_read_only_as_in_a_failover_and_continues_after(owner_client, own_redis):
    # After a failover the old primary becomes a replica: connections to it get READONLY errors.
    draft_id = at_sources(owner_client)
    with own_redis.client() as direct:
        direct.replicaof("127.0.0.1", "1")  # a primary that is not there: read-only, data kept
        try:
            started = time.monotonic()
            response = owner_client.post(step_url(draft_id, "sources"), sources_input())

            assert_unavailable(response, started)
            payload = form_payload(response.content.decode())
            assert payload["sources-connectors-0-target"] == [DRIVE]
        finally:
            direct.replicaof("NO", "ONE")

    response = owner_client.post(step_url(draft_id, "sources"), payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert load_draft(draft_id).validation["sources"] is True


# --- Redis restarts: the append-only file keeps every draft ------------------------------------------

@pytest.mark.parametrize(
    "appendfsync,how",
    [("everysec", "term"), ("everysec", "kill"), ("always", "kill")],
    ids=["everysec, clean restart", "everysec, crash", "always, crash"],
)
def test_it_keeps_drafts_when_redis_restarts_with_aof(owner_client, settings, appendfsync, how):
    with RedisServer(appendfsync=appendfsync) as server:
        settings.CACHES = drafts_caches(settings.CACHES, server.url)
        try:
            draft_id = at_sources(owner_client)
            before = load_draft(draft_id)
            with server.client() as direct:
                assert direct.exists(get_draft_store().key("draft", draft_id))  # in this server
            pid = server.process.pid
            ttl_before = get_redis_connection("drafts").ttl(get_draft_store().key("draft", draft_id))

            server.restart(how)
            assert server.process.pid != pid

            after = load_draft(draft_id)
            assert after is not None, f"the draft was lost:\n{server.log_tail()}"
            assert (after.wizard, after.files, after.validation, after.writes) == (
                before.wizard, before.files, before.validation, before.writes
            )
            # Its expiry came back with it (the AOF keeps absolute expiry times).
            ttl_after = get_redis_connection("drafts").ttl(get_draft_store().key("draft", draft_id))
            assert 0 < ttl_after <= ttl_before
            assert [d.id for d in get_draft_store().list_for_owner(f"u:{after.owner[2:]}")] == [draft_id]

            # The wizard continues where it was (the store's Lua scripts are loaded again).
            response = owner_client.post(step_url(draft_id, "sources"), sources_input())
            assert response.status_code == 302, response.content.decode()[:2000]
            response = owner_client.post(step_url(draft_id, "review"), {"review-confirm": "on", **management("review")})
            assert response.status_code == 302
            assert Project.objects.get(draft_id=draft_id).documents.count() == 1
        finally:
            forget_pool(server.url)
