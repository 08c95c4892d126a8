"""The JSON session API: who may read a draft (its user on any device, an anonymous draft's own
browser only; 404 for made-up ids, 410 for an expired draft or one that became a project), and
deleting a draft with its files.

Real Redis and a real database throughout; the requests are in api_helpers.py.
"""

import io
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from projects.models import Project

from .api_helpers import DETAILS, created, current, read, send, session_url, update, validate_url
from .factories import UserFactory
from .wizard_helpers import (
    attach_on_page,
    browser,
    complete_until_review,
    confirm,
    draft_count,
    expire_for_real,
    json_error,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

OTHER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


# --- who may read a draft ---------------------------------------------------------------------------

def test_it_hides_a_users_draft_from_another_user_and_from_anonymous_visitors(owner, signed_in):
    session_id = created(signed_in, {"projectData": DETAILS})["sessionId"]

    for stranger in (browser(UserFactory(username="stranger")), browser()):
        json_error(read(stranger, session_id), 404, "SESSION_NOT_FOUND")
        json_error(update(stranger, {"sessionId": session_id, "version": 1, "projectData": {"projectName": "Mine"}}), 404, "SESSION_NOT_FOUND")
        json_error(stranger.delete(session_url(session_id)), 404, "SESSION_NOT_FOUND")
        json_error(send(stranger, "post", validate_url(session_id), {}), 404, "SESSION_NOT_FOUND")

    # The same user on another device sees it; nothing was changed or deleted above.
    phone = browser(owner, ua=OTHER_UA)
    assert current(phone, session_id)["projectData"]["projectName"] == "Harbour Office Retrofit"


def test_it_binds_an_anonymous_draft_to_its_browser_and_user_agent(anonymous):
    session_id = created(anonymous, {"projectData": {"projectName": "Mine"}})["sessionId"]

    json_error(read(browser(), session_id), 404, "SESSION_NOT_FOUND")
    json_error(read(anonymous, session_id, HTTP_USER_AGENT=OTHER_UA), 404, "SESSION_NOT_FOUND")
    json_error(
        update(anonymous, {"sessionId": session_id, "version": 1, "projectData": {"projectName": "Theirs"}}, HTTP_USER_AGENT=OTHER_UA),
        404,
        "SESSION_NOT_FOUND",
    )
    assert current(anonymous, session_id)["projectData"]["projectName"] == "Mine"


@pytest.mark.parametrize(
    "session_id",
    [str(uuid.uuid4()), "not-a-uuid", "12345", str(uuid.uuid4()).upper(), "x" * 300],
    ids=["unknown uuid", "words", "number", "uppercase uuid", "long"],
)
def test_it_answers_404_for_an_id_that_is_not_a_draft(anonymous, session_id):
    json_error(read(anonymous, session_id), 404, "SESSION_NOT_FOUND")
    json_error(anonymous.delete(session_url(session_id)), 404, "SESSION_NOT_FOUND")
    json_error(update(anonymous, {"sessionId": session_id, "version": 1}), 404, "SESSION_NOT_FOUND")


def test_it_answers_410_to_the_owner_of_an_expired_draft_and_404_to_others(anonymous, drafts_redis):
    session_id = created(anonymous, {"projectData": DETAILS})["sessionId"]
    expire_for_real(drafts_redis, session_id)

    gone = json_error(read(anonymous, session_id), 410, "SESSION_EXPIRED")
    assert "expired" in gone["message"]
    json_error(update(anonymous, {"sessionId": session_id, "version": 1, "projectData": {"projectName": "x"}}), 410, "SESSION_EXPIRED")
    json_error(browser().get(session_url(session_id)), 404, "SESSION_NOT_FOUND")
    assert draft_count(drafts_redis) == 0  # the update did not bring it back


def test_it_answers_410_with_the_project_for_a_draft_that_became_one(owner_client, other_user, pdf):
    draft_id = complete_until_review(owner_client, [pdf()])
    assert confirm(owner_client, draft_id).status_code == 302
    project = Project.objects.get()

    gone = json_error(read(owner_client, draft_id), 410, "SESSION_EXPIRED")
    assert gone["projectId"] == project.pk
    assert gone["projectUrl"] == project.get_absolute_url()
    json_error(browser(other_user).get(session_url(draft_id)), 404, "SESSION_NOT_FOUND")


# --- delete --------------------------------------------------------------------------------------

def test_it_deletes_a_draft_as_a_discard_and_its_files_after_the_restore_window(signed_in, other_user, drafts_redis, frozen_clock):
    draft_id = start_draft(signed_in)
    attach_on_page(signed_in, draft_id)
    keep = start_draft(signed_in, project_name="Keep me")
    folder = django_settings.DRAFT_UPLOAD_ROOT / draft_id
    assert any(folder.iterdir())

    json_error(browser(other_user).delete(session_url(draft_id)), 404, "SESSION_NOT_FOUND")
    assert folder.exists()

    response = signed_in.delete(session_url(draft_id))

    assert response.status_code == 200
    assert response.json() == {"success": True, "sessionId": draft_id, "restorableUntil": response.json()["restorableUntil"]}
    assert [key for key in drafts_redis.keys(f"*{draft_id}*") if b":draft:" in key] == []
    # Discarded on purpose, as on the page: "discarded" (restorable for a while), never "not found".
    json_error(read(signed_in, draft_id), 410, "SESSION_DISCARDED")
    json_error(signed_in.delete(session_url(draft_id)), 410, "SESSION_DISCARDED")
    assert signed_in.get(step_url(draft_id, "details")).status_code == 410
    drafts_page = signed_in.get(reverse("projects:drafts")).content.decode()
    assert "Keep me" in drafts_page.split("Recently discarded")[0]
    assert "Harbour Office Retrofit" not in drafts_page.split("Recently discarded")[0]
    assert current(signed_in, keep)["projectData"]["projectName"] == "Keep me"

    frozen_clock.travel(timedelta(seconds=django_settings.DRAFT_RESTORE_SECONDS + 1))
    call_command("cleanup_drafts", stdout=io.StringIO())
    assert not folder.exists()
    assert "can no longer be restored" in read(signed_in, draft_id).json()["error"]["message"]
