"""The draft record in real Redis: encoding, TTL, versions, ownership indexes and the action log."""

import json
import logging
import uuid
from types import SimpleNamespace
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Project
from projects.services import draft_claim
from projects.steps import draft_title
from sessions_store.owners import SESSION_KEY
from sessions_store.drafts import SCHEMA_VERSION, Draft, Owner, user_agent_hash
from sessions_store.store import DraftConflict, DraftGone, get_draft_store

from .wizard_helpers import (
    VALID_DETAILS,
    complete_until_review,
    confirm,
    management,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

WINDOWS_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
LOG_FIELDS = {"draft_id", "action", "step", "duration_ms", "success", "error"}


# --- helpers ---------------------------------------------------------------------------------------

def draft_key(redis, draft_id):
    keys = [key for key in redis.keys("*draft:*") if key.decode().endswith(f"draft:{draft_id}")]
    assert len(keys) == 1, keys
    return keys[0]


def tomb_key(redis, draft_id):
    keys = redis.keys(f"*tomb:{draft_id}")
    assert len(keys) == 1, keys
    return keys[0]


def stored(redis, draft_id):
    raw = redis.get(draft_key(redis, draft_id))
    assert raw is not None
    return json.loads(raw)


def new_draft(owner_key="u:1", ua="pytest", **metadata):
    owner = Owner(key=owner_key, user_agent_hash=user_agent_hash(ua))
    return Draft.new(owner=owner, metadata={"user_agent": ua, "ip_address": "127.0.0.1", "platform": "Linux", **metadata})


def with_name(draft, name):
    draft.wizard["step"] = "requirements"
    draft.wizard["step_data"]["details"] = {"details-project_name": [name]}
    draft.validation["details"] = True
    return draft


@pytest.fixture
def store():
    return get_draft_store()


@pytest.fixture
def owner_browser(owner):
    browser = Client(HTTP_USER_AGENT=WINDOWS_UA, REMOTE_ADDR="203.0.113.7")
    browser.force_login(owner)
    return browser


# --- the stored record -----------------------------------------------------------------------------

def test_it_stores_the_draft_as_json_with_everything_needed_to_resume(owner_browser, owner, drafts_redis, pdf, settings):
    draft_id = start_draft(owner_browser)
    response = owner_browser.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [pdf("brief.pdf")], "requirements-requirements_notes": "Floors 2-5", **management("requirements")},
    )
    assert response.status_code == 302

    raw = drafts_redis.get(draft_key(drafts_redis, draft_id))
    assert raw.startswith(b"{"), raw[:20]  # JSON text, never a pickle (b"\x80...")
    record = json.loads(raw)

    assert record["id"] == draft_id
    assert record["owner"] == f"u:{owner.pk}"
    wizard = record["wizard"]
    assert wizard["step"] == "sources"
    details = wizard["step_data"]["details"]
    assert details["details-project_name"] == [VALID_DETAILS["project_name"]]
    assert details["details-budget"] == ["1250000"]
    for step_data in wizard["step_data"].values():
        for field, values in step_data.items():
            assert isinstance(values, list) and all(isinstance(v, str) for v in values), field
    assert wizard["step_data"]["requirements"]["requirements-requirements_notes"] == ["Floors 2-5"]

    [document] = record["files"]
    assert document["name"] == "brief.pdf"
    assert document["content_type"] == "application/pdf"
    assert document["size"] > 0
    assert document["tmp_name"].startswith(f"{draft_id}/")
    assert record["validation"] == {"details": True, "requirements": True}

    created = datetime.fromisoformat(record["created_at"])
    last = datetime.fromisoformat(record["last_activity"])
    expires = datetime.fromisoformat(record["expires_at"])
    assert created.tzinfo is not None
    assert created <= last
    assert expires - last == timedelta(seconds=settings.SESSION_TTL)

    assert record["metadata"] == {"user_agent": WINDOWS_UA, "ip_address": "203.0.113.7", "platform": "Windows"}
    assert record["schema"] == SCHEMA_VERSION
    assert record["writes"] == 2


def test_it_counts_every_write(owner_browser, drafts_redis, store, pdf):
    draft_id = start_draft(owner_browser)
    assert stored(drafts_redis, draft_id)["writes"] == 1

    owner_browser.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [pdf()], **management("requirements")},
    )
    assert stored(drafts_redis, draft_id)["writes"] == 2

    draft, _ = store.load(draft_id)
    store.save(draft)
    store.save(draft)
    assert draft.writes == 4
    assert stored(drafts_redis, draft_id)["writes"] == 4


def test_it_does_not_write_when_a_step_is_shown_again_unchanged(owner_browser, drafts_redis):
    draft_id = start_draft(owner_browser)
    owner_browser.get(step_url(draft_id, "requirements"))
    before = stored(drafts_redis, draft_id)["writes"]
    owner_browser.get(step_url(draft_id, "requirements"))
    assert stored(drafts_redis, draft_id)["writes"] == before


# --- TTL ---------------------------------------------------------------------------------------------

def test_it_keeps_a_draft_for_session_ttl(settings, store, drafts_redis):
    settings.SESSION_TTL = 3600
    draft = store.create(new_draft())
    ttl = drafts_redis.ttl(draft_key(drafts_redis, draft.id))
    assert 3590 <= ttl <= 3600
    assert draft.expires_at - draft.last_activity == timedelta(seconds=3600)
    # The owner key outlives the draft, so an expired draft can be told from a made-up id.
    tomb_ttl = drafts_redis.ttl(tomb_key(drafts_redis, draft.id))
    assert tomb_ttl >= 3600 + settings.DRAFT_TOMBSTONE_TTL - 10


def test_it_slides_the_ttl_when_the_draft_is_read(settings, store, drafts_redis):
    settings.SESSION_TTL = 3600
    draft = store.create(new_draft())
    key = draft_key(drafts_redis, draft.id)
    drafts_redis.pexpire(key, 5000)

    loaded, _ = store.load(draft.id)

    assert loaded is not None
    assert 3590 <= drafts_redis.ttl(key) <= 3600


def test_it_does_not_slide_the_ttl_on_a_peek(store, drafts_redis):
    draft = store.create(new_draft())
    key = draft_key(drafts_redis, draft.id)
    drafts_redis.pexpire(key, 5000)

    loaded, _ = store.load(draft.id, slide=False)

    assert loaded.id == draft.id
    assert drafts_redis.pttl(key) <= 5000


def test_it_slides_the_ttl_when_the_owner_opens_the_draft(owner_browser, drafts_redis, settings):
    draft_id = start_draft(owner_browser)
    key = draft_key(drafts_redis, draft_id)
    drafts_redis.pexpire(key, 5000)

    response = owner_browser.get(step_url(draft_id, "requirements"))

    assert response.status_code == 200
    assert drafts_redis.ttl(key) >= settings.SESSION_TTL - 10


def test_it_keeps_the_owner_key_alive_as_long_as_reads_keep_the_draft_alive(store, drafts_redis):
    draft = store.create(new_draft())
    # As if the draft was last written more than DRAFT_TOMBSTONE_TTL ago and kept alive by reads since.
    drafts_redis.expire(draft_key(drafts_redis, draft.id), 50)
    drafts_redis.expire(tomb_key(drafts_redis, draft.id), 100)

    store.load(draft.id)

    assert drafts_redis.ttl(tomb_key(drafts_redis, draft.id)) > drafts_redis.ttl(draft_key(drafts_redis, draft.id))


# --- versions, deletes, creates --------------------------------------------------------------------

def test_it_refuses_to_save_a_stale_version(store, drafts_redis):
    draft = store.create(with_name(new_draft(), "Original"))
    first_tab, _ = store.load(draft.id)
    second_tab, _ = store.load(draft.id)

    first_tab.wizard["step_data"]["details"] = {"details-project_name": ["From tab one"]}
    store.save(first_tab)
    second_tab.wizard["step_data"]["details"] = {"details-project_name": ["From tab two"]}
    with pytest.raises(DraftConflict):
        store.save(second_tab)

    record = stored(drafts_redis, draft.id)
    assert record["wizard"]["step_data"]["details"]["details-project_name"] == ["From tab one"]
    assert record["writes"] == 2
    assert second_tab.writes == 1  # unchanged: the caller can reload and retry


def test_it_fails_loudly_when_saving_a_deleted_draft(store, drafts_redis):
    draft = store.create(new_draft())
    loaded, _ = store.load(draft.id)
    store.delete(draft)

    with pytest.raises(DraftGone):
        store.save(loaded)

    assert drafts_redis.keys(f"*{draft.id}*") == []


def test_it_fails_loudly_when_saving_an_expired_draft(store, drafts_redis):
    draft = store.create(new_draft())
    drafts_redis.delete(draft_key(drafts_redis, draft.id))

    with pytest.raises(DraftGone):
        store.save(draft)

    assert drafts_redis.keys(f"*draft:{draft.id}") == []


def test_it_never_overwrites_an_existing_draft_on_create(store, drafts_redis):
    original = store.create(with_name(new_draft(owner_key="u:1"), "Original"))
    impostor = with_name(new_draft(owner_key="u:2"), "Impostor")
    impostor.id = original.id

    with pytest.raises(DraftConflict):
        store.create(impostor)

    record = stored(drafts_redis, original.id)
    assert record["owner"] == "u:1"
    assert record["wizard"]["step_data"]["details"]["details-project_name"] == ["Original"]
    assert record["writes"] == 1
    assert store.list_for_owner("u:2") == []


def test_it_returns_nothing_and_creates_nothing_for_an_unknown_id(store, drafts_redis):
    assert store.load(str(uuid.uuid4())) == (None, None)
    assert store.load(str(uuid.uuid4()), slide=False) == (None, None)
    assert drafts_redis.dbsize() == 0


def test_it_remembers_the_owner_of_an_expired_draft(store, drafts_redis):
    draft = store.create(new_draft(owner_key="u:7"))
    drafts_redis.delete(draft_key(drafts_redis, draft.id))

    assert store.load(draft.id) == (None, "u:7")


def test_it_deletes_the_draft_and_every_trace_of_it(store, drafts_redis):
    draft = store.create(new_draft(owner_key="u:1"))
    store.delete(draft)

    assert store.load(draft.id) == (None, None)
    assert store.list_for_owner("u:1") == []
    assert drafts_redis.dbsize() == 0


# --- owners ----------------------------------------------------------------------------------------

def test_it_lists_an_owners_drafts_most_recent_first(store, frozen_clock, drafts_redis):
    older = store.create(with_name(new_draft(owner_key="u:1"), "Older"))
    frozen_clock.travel(timedelta(minutes=5))
    newer = store.create(with_name(new_draft(owner_key="u:1"), "Newer"))
    store.create(with_name(new_draft(owner_key="u:2"), "Someone else's"))
    gone = store.create(with_name(new_draft(owner_key="u:1"), "Expired"))
    drafts_redis.delete(draft_key(drafts_redis, gone.id))

    listed = store.list_for_owner("u:1")

    assert [draft.id for draft in listed] == [newer.id, older.id]
    assert [draft_title(draft) for draft in listed] == ["Newer", "Older"]
    assert store.list_for_owner("u:3") == []


def test_it_moves_drafts_to_another_owner(store, drafts_redis, rf):
    first = store.create(with_name(new_draft(owner_key="a:token"), "First"))
    second = store.create(with_name(new_draft(owner_key="a:token"), "Second"))
    store.create(with_name(new_draft(owner_key="a:other"), "Not mine"))
    request = rf.get("/", HTTP_USER_AGENT="pytest")
    request.session = {SESSION_KEY: "token"}
    claimed = draft_claim(request=request, user=SimpleNamespace(pk=42))

    assert ({draft.id for draft in claimed.moved}, claimed.stayed) == ({first.id, second.id}, [])

    assert SESSION_KEY not in request.session
    assert store.list_for_owner("a:token") == []
    assert {draft.id for draft in store.list_for_owner("u:42")} == {first.id, second.id}
    assert [draft_title(draft) for draft in store.list_for_owner("a:other")] == ["Not mine"]
    record = stored(drafts_redis, first.id)
    assert record["owner"] == "u:42"
    assert record["writes"] == 2
    # An expired draft of the new owner answers 410 to the new owner, not to the old browser.
    drafts_redis.delete(draft_key(drafts_redis, first.id))
    assert store.load(first.id) == (None, "u:42")


# --- the action log --------------------------------------------------------------------------------

def _check_line(line, action, draft_id, step, success=True):
    assert set(line) == LOG_FIELDS, line
    assert line["action"] == action
    assert line["draft_id"] == draft_id
    assert line["step"] == step
    assert line["success"] is success
    if success:
        assert line["error"] is None
    return line


def test_it_logs_one_json_line_per_create_and_update(owner_browser, sessions_log, pdf):
    draft_id = start_draft(owner_browser)
    [line] = sessions_log()
    _check_line(line, "create", draft_id, "details")
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0

    sessions_log.clear()
    owner_browser.post(step_url(draft_id, "requirements"), {"requirements-documents": [pdf()], **management("requirements")})
    [line] = sessions_log()
    _check_line(line, "update", draft_id, "requirements")
    assert line["duration_ms"] >= 0


def test_it_logs_the_commit_and_the_delete_that_follows(owner_browser, sessions_log, pdf):
    draft_id = complete_until_review(owner_browser, [pdf()])
    sessions_log.clear()

    response = confirm(owner_browser, draft_id)

    assert response.status_code == 302
    assert Project.objects.filter(draft_id=draft_id).exists()
    lines = sessions_log()
    assert [line["action"] for line in lines] == ["commit", "delete"]
    _check_line(lines[0], "commit", draft_id, "review")
    _check_line(lines[1], "delete", draft_id, "review")
    assert all(line["duration_ms"] >= 0 for line in lines)


def test_it_logs_a_discard(owner_browser, sessions_log):
    draft_id = start_draft(owner_browser)
    sessions_log.clear()

    response = owner_browser.post(reverse("projects:draft_discard", args=[draft_id]))

    assert response.status_code == 302
    [line] = sessions_log()
    _check_line(line, "discard", draft_id, "requirements")


def test_it_logs_an_expiry_when_the_owner_comes_back(owner_browser, drafts_redis, sessions_log):
    draft_id = start_draft(owner_browser)
    drafts_redis.delete(draft_key(drafts_redis, draft_id))
    sessions_log.clear()

    response = owner_browser.get(reverse("projects:wizard_resume", args=[draft_id]))

    assert response.status_code == 410
    [line] = sessions_log()
    assert set(line) == LOG_FIELDS
    assert line["action"] == "expire"
    assert line["draft_id"] == draft_id
    assert line["success"] is True


def test_it_logs_a_failed_write_with_its_error(store, sessions_log, caplog):
    draft = store.create(new_draft())
    stale, _ = store.load(draft.id)
    store.save(draft)
    sessions_log.clear()

    with pytest.raises(DraftConflict):
        store.save(stale, step="details")

    [line] = sessions_log()
    _check_line(line, "update", draft.id, "details", success=False)
    assert line["error"].startswith("DraftConflict")
    assert [record.levelno for record in caplog.records if record.name == "sessions_store"] == [logging.ERROR]


def test_it_logs_nothing_for_a_plain_read(store, sessions_log):
    draft = store.create(new_draft())
    sessions_log.clear()
    store.load(draft.id)
    store.list_for_owner("u:1")
    assert sessions_log() == []


# --- a GET creates nothing -------------------------------------------------------------------------

def test_it_creates_nothing_in_redis_on_a_get_of_the_first_step(client, owner_browser, drafts_redis):
    for browser in (client, owner_browser):
        response = browser.get(reverse("projects:wizard_new"))
        assert response.status_code == 200
        assert b"Step 1 of 4" in response.content
    assert drafts_redis.dbsize() == 0


def test_it_creates_nothing_when_the_first_step_is_invalid(owner_browser, drafts_redis):
    response = owner_browser.post(
        reverse("projects:wizard_new"),
        {"details-project_name": "", **management("details")},
    )
    assert response.status_code == 200
    assert drafts_redis.dbsize() == 0


def test_it_creates_the_draft_on_the_first_valid_step(owner_browser, owner, drafts_redis, store):
    draft_id = start_draft(owner_browser)
    assert [draft.id for draft in store.list_for_owner(f"u:{owner.pk}")] == [draft_id]
    assert stored(drafts_redis, draft_id)["validation"] == {"details": True}


def test_it_reads_the_draft_back_exactly_as_written(store):
    draft = with_name(new_draft(owner_key="u:9", ua="Mozilla/5.0 (iPhone)", platform="iOS"), "Round trip")
    draft.files = [{"id": "abc", "name": "a.pdf", "tmp_name": f"{draft.id}/abc.pdf", "size": 10,
                    "content_type": "application/pdf", "uploaded_at": "2027-01-01T00:00:00+00:00"}]
    store.create(draft)

    loaded, tomb = store.load(draft.id, slide=False)

    assert tomb == "u:9"
    assert loaded.to_dict() == draft.to_dict()
    assert draft_title(loaded) == "Round trip"


def test_it_waits_for_redis_expiry_not_the_app_clock(store, frozen_clock):
    draft = store.create(new_draft())
    frozen_clock.travel(timedelta(days=3))
    loaded, _ = store.load(draft.id, slide=False)
    assert loaded is not None  # Redis owns expiry; the app clock only stamps the record


def test_a_save_never_cuts_short_the_owner_upload_total_that_a_longer_lived_draft_counts_in(store, drafts_redis, settings):
    """uploads:<owner> holds the bytes of each of the owner's drafts with files; another draft's
    ordinary save must not cut its life below a draft staff extended (its bytes would drop out of
    the owner's upload total, and the quota of issue 12 could be passed)."""
    extended = new_draft("u:9")
    extended.files = [{"name": "a.pdf", "tmp_name": "a.pdf", "size": 1000}]
    extended = store.create(extended)
    store.extend(extended, 30 * 86400)
    other = new_draft("u:9")
    other.files = [{"name": "b.pdf", "tmp_name": "b.pdf", "size": 2000}]
    store.create(other)

    assert drafts_redis.ttl(store.key("uploads", "u:9")) > 30 * 86400
    assert store.load(other.id, count_uploads=True)[0].owner_upload_bytes == 3000
