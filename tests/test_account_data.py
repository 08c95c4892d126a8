"""A person's own data: "Download my data" (/accounts/data/) and "Delete my account"
(/accounts/delete/, and a user deleted in the admin), on the real database and Redis, with files
on disk. After an erasure nothing of the person's drafts is left in Redis or on disk."""

import json
import logging
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.models import Project
from sessions_store.connection import make_key
from sessions_store.store import get_draft_store

from .conftest import PASSWORD, pdf_bytes, upload
from .cleanup_helpers import cleanup, past_their_expiry
from .documents_helpers import files_on_disk
from .factories import UserFactory
from .wizard_helpers import attach_on_page, browser, complete_until_review, confirm, details_post, expire_for_real, start_draft, step_url

pytestmark = pytest.mark.django_db

DATA, DELETE = "/accounts/data/", "/accounts/delete/"


@pytest.fixture
def person(owner, settings):
    """A signed-in person with a project (a document, a connector), a live draft with a document
    and an earlier version, and a discarded draft."""
    client = browser(owner)
    project_draft = complete_until_review(client, [upload("spec.pdf", pdf_bytes("HVAC spec"), "application/pdf")])
    assert confirm(client, project_draft).status_code == 302
    draft_id = start_draft(client, project_name="Clinic Fit-out")
    attach_on_page(client, draft_id, name="brief.pdf")
    client.post(step_url(draft_id, "details"), details_post(project_name="Clinic Fit-out Phase 2"))
    discarded = start_draft(client, project_name="Abandoned idea")
    assert client.post(reverse("projects:draft_discard", args=[discarded]), {}).status_code == 302
    client.ids = {"live": draft_id, "discarded": discarded, "committed": project_draft}
    return client


@pytest.fixture
def bystander(other_user):
    """Someone else, whose draft must survive."""
    client = browser(other_user)
    client.draft_id = start_draft(client, project_name="Someone else's")
    attach_on_page(client, client.draft_id, name="theirs.pdf")
    return client


def redis_traces(redis, user, draft_ids):
    """Every key that names the person or one of their drafts, or a sorted set that lists one."""
    found = [key.decode() for key in redis.scan_iter() if any(d in key.decode() for d in draft_ids) or f"u:{user.pk}" in key.decode()]
    for key in redis.scan_iter():
        if redis.type(key) == b"zset":
            # Members name a draft by its id as text, or as 16 bytes (the search index's entries).
            members = redis.zrange(key, 0, -1)
            for d in draft_ids:
                forms = (d.encode(), uuid.UUID(d).bytes)
                if any(form in member for form in forms for member in members):
                    found.append(f"{key.decode()} lists {d}")
        elif redis.type(key) == b"string" and any(d.encode() in redis.get(key) for d in draft_ids):
            found.append(key.decode())
    return found


# --- Download my data ---------------------------------------------------------------------------

def test_it_downloads_the_persons_projects_and_live_drafts_as_json(person, owner, bystander):
    page = person.get(DATA)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert b"Download my data</button>" in page.content

    response = person.post(DATA)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="project-wizard-data-')
    data = json.loads(response.content)

    assert list(data) == ["account", "projects", "drafts", "exportMetadata"]
    assert data["account"]["username"] == owner.username and data["account"]["email"] == owner.email
    [project] = data["projects"]
    assert project["projectName"] == "Harbour Office Retrofit" and project["draftId"] == person.ids["committed"]
    assert [(d["name"], d["contentType"]) for d in project["documents"]] == [("spec.pdf", "application/pdf")]
    assert project["connectors"] == [{"connectorType": "google_drive", "target": "https://drive.google.com/drive/folders/abc"}]
    [draft] = data["drafts"]  # live only: not the discarded one, nor the bystander's
    assert draft["sessionId"] == person.ids["live"]
    assert draft["projectData"]["projectName"] == "Clinic Fit-out Phase 2"
    assert [d["name"] for d in draft["documents"]] == ["brief.pdf"]
    assert any(entry["earlierValues"].get("details", {}).get("project_name") == "Clinic Fit-out" for entry in draft["history"])
    assert data["exportMetadata"]["dataVersion"] == "1.0" and data["exportMetadata"]["exportedAt"]
    assert "Someone else" not in response.content.decode()


def test_it_asks_a_visitor_to_sign_in_first(anonymous):
    for url in (DATA, DELETE):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_staff_export_projects_as_csv_and_json_from_the_admin(person, bystander, superuser_client):
    project = Project.objects.get()
    changelist = reverse("admin:projects_project_changelist")
    for action, kind in (("export_json", "application/json"), ("export_csv", "text/csv")):
        response = superuser_client.post(changelist, {"action": action, "_selected_action": [project.pk]})
        assert response.status_code == 200 and response["Content-Type"].startswith(kind), response.content[:300]
        assert "attachment" in response["Content-Disposition"]
        assert b"Harbour Office Retrofit" in response.content and b"spec.pdf" in response.content
    assert json.loads(superuser_client.post(changelist, {"action": "export_json", "_selected_action": [project.pk]}).content)[0]["id"] == project.pk


# --- Delete my account --------------------------------------------------------------------------

def test_it_keeps_everything_and_says_so_when_the_password_is_wrong(person, owner):
    response = person.post(DELETE, {"password": "not my password"})

    assert response.status_code == 200
    assert "That is not your password. Nothing has been deleted." in response.content.decode()
    assert get_user_model().objects.filter(pk=owner.pk).exists() and Project.objects.count() == 1
    assert person.get(step_url(person.ids["live"], "details")).status_code == 200


def assert_erased(owner, ids, drafts_redis, settings, bystander):
    assert not get_user_model().objects.filter(pk=owner.pk).exists()
    assert Project.objects.count() == 0
    assert redis_traces(drafts_redis, owner, list(ids.values())) == []
    on_disk = files_on_disk(settings.MEDIA_ROOT)
    assert len(on_disk) == 1 and on_disk[0].startswith(f"drafts/{bystander.draft_id}/"), on_disk  # theirs only
    assert bystander.get(step_url(bystander.draft_id, "details")).status_code == 200


def test_it_erases_the_account_with_its_projects_drafts_and_files(
    person, owner, bystander, drafts_redis, settings, caplog, django_capture_on_commit_callbacks
):
    assert len(files_on_disk(settings.MEDIA_ROOT)) == 3  # the project's, the live draft's, the bystander's
    assert b"autocomplete=\"current-password\"" in person.get(DELETE).content
    caplog.set_level(logging.INFO, logger="projects")

    with django_capture_on_commit_callbacks(execute=True):
        response = person.post(DELETE, {"password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == reverse("account_deleted")
    assert "Your account has been deleted" in person.get(response["Location"]).content.decode()
    assert_erased(owner, person.ids, drafts_redis, settings, bystander)
    assert [r.getMessage() for r in caplog.records if r.name == "projects"] == [
        f"account erased: user {owner.pk}; projects=1 documents=1 drafts=2 draft_files=1"
    ]
    assert person.get(reverse("projects:list")).status_code == 302  # signed out


def test_deleting_a_user_in_the_admin_erases_the_same(
    person, owner, bystander, drafts_redis, settings, superuser_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(reverse("admin:auth_user_delete", args=[owner.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert_erased(owner, person.ids, drafts_redis, settings, bystander)


@pytest.fixture
def superuser_client(db):
    return browser(UserFactory(username="root", is_staff=True, is_superuser=True))


def test_it_deletes_nothing_while_redis_is_unreachable(person, owner, redis_outage):
    redis_outage.begin()
    response = person.post(DELETE, {"password": PASSWORD})

    assert response.status_code == 503
    assert get_user_model().objects.filter(pk=owner.pk).exists() and Project.objects.count() == 1
    redis_outage.end()
    assert person.get(step_url(person.ids["live"], "details")).status_code == 200


def test_it_erases_drafts_discarded_past_the_ended_drafts_list(owner, drafts_redis, monkeypatch):
    # The ended drafts' list keeps an owner's newest ENDED_MAX, and erasure finds ended drafts
    # through it: a draft pushed out of it (its set-aside record, its tombstone with title and
    # owner) must not survive the account.
    monkeypatch.setattr("sessions_store.redis_store.ENDED_MAX", 2)
    client = browser(owner)
    ids = {}
    for name in ("First idea", "Second idea", "Third idea"):
        ids[name] = start_draft(client, project_name=name)
        assert client.post(reverse("projects:draft_discard", args=[ids[name]]), {}).status_code == 302

    assert client.post(DELETE, {"password": PASSWORD}).status_code == 302

    assert redis_traces(drafts_redis, owner, list(ids.values())) == []


@pytest.mark.parametrize("noted_by", ["cleanup", "the owner's visit"])
def test_it_erases_the_search_entries_of_expired_drafts_pushed_past_the_ended_drafts_list(owner, drafts_redis, monkeypatch, settings, noted_by):
    # An expiry leaves a draft's search entries in their generation, for cleanup to drop whole
    # later (hours later; a day for one that reads kept alive). A draft then pushed out of the
    # ended drafts' list loses its tombstone, the only way erasure finds those entries: they must
    # go with it, or the person's names and email outlive the account in the search index.
    # Cleanup notes the expiries itself for an owner whose index holds more ids than a listing
    # reads (OWNER_LIST_MAX); for others, the owner's next listing of their drafts does.
    monkeypatch.setattr("sessions_store.redis_store.ENDED_MAX", 2)
    monkeypatch.setattr("sessions_store.redis_upkeep.ENDED_MAX", 2)
    if noted_by == "cleanup":
        monkeypatch.setattr("sessions_store.redis_upkeep.OWNER_LIST_MAX", 2)
        monkeypatch.setattr("sessions_store.redis_store.OWNER_LIST_MAX", 2)
    client = browser(owner)
    ids = [start_draft(client, project_name=name) for name in ("First idea", "Second idea", "Third idea")]
    expire_for_real(drafts_redis, *ids, tombstone_ttl=settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()
    cleanup()
    if noted_by != "cleanup":
        assert client.get(reverse("projects:drafts")).status_code == 200
    # Noted as expired: the oldest is pushed out of the list of two, its tombstone gone.
    assert sum(drafts_redis.exists(make_key("tomb", draft_id)) for draft_id in ids) == 2

    assert client.post(DELETE, {"password": PASSWORD}).status_code == 302

    assert redis_traces(drafts_redis, owner, ids) == []


def test_erasure_finds_an_expired_draft_that_was_only_read_after_its_owners_last_save(owner, drafts_redis, settings):
    """Erasure finds an expired draft through owner:<key> (cleanup leaves it there for the owner's
    next visit), so that key must outlive the draft's tombstone, which every read slides: a draft
    saved long ago and only opened since keeps its owner's index and uploads hash alive too."""
    client = browser(owner)
    draft_id = start_draft(client, project_name="Read only")
    attach_on_page(client, draft_id)
    owner_index, uploads = make_key("owner", f"u:{owner.pk}"), make_key("uploads", f"u:{owner.pk}")
    assert drafts_redis.hexists(uploads, draft_id)
    # As if the owner's last save were nearly eight days old, and the draft last read yesterday.
    for key in (owner_index, uploads):
        drafts_redis.expire(key, 100)
    drafts_redis.expire(make_key("tomb", draft_id), settings.SESSION_TTL + settings.DRAFT_TOMBSTONE_TTL - 86400)

    get_draft_store().load(draft_id, slide=True)  # a read: the owner opens it, and saves nothing

    tomb_left = drafts_redis.ttl(make_key("tomb", draft_id))
    assert drafts_redis.ttl(owner_index) >= tomb_left and drafts_redis.ttl(uploads) >= tomb_left
    expire_for_real(drafts_redis, draft_id, tombstone_ttl=settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()
    cleanup()
    assert client.post(DELETE, {"password": PASSWORD}).status_code == 302
    assert redis_traces(drafts_redis, owner, [draft_id]) == []
