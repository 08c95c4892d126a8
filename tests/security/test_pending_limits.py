"""Values kept but not submitted stay within their fields' own limits (M1): autosave, the API and
the wizard refuse an over-long value for its field, with a clear error, and keep the others. One
client can no longer fill Redis with 62,000-character descriptions in a 5,000-character field."""

import pytest

from ..api_helpers import create, created, current, update
from ..test_autosave import AUTOSAVE_NEW, autosave, autosave_url, saved
from ..wizard_helpers import details_post, json_error, page_version, start_draft, step_url, stored

pytestmark = pytest.mark.django_db

HUGE = "x" * 62_000
TOO_LONG = "Project description: at most 5,000 characters (this has 62,000). It was not saved."


def test_it_keeps_an_autosaved_value_only_within_its_fields_limit(anonymous, drafts_redis):
    data = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour", "details-project_description": HUGE}))

    assert data["errors"]["details-project_description"] == [TOO_LONG]
    pending = stored(data["draftId"]).pending["details"]["data"]
    assert pending["details-project_name"] == ["Harbour"]
    assert "details-project_description" not in pending
    assert drafts_redis.memory_usage(drafts_redis.keys("*:draft:*")[0]) < 10_000


def test_it_keeps_the_earlier_value_when_an_autosave_sends_an_over_long_one(owner_client):
    draft_id = start_draft(owner_client)
    version = page_version(owner_client.get(step_url(draft_id, "details")))
    data = saved(
        autosave(
            owner_client, autosave_url(draft_id, "details"),
            {**details_post(project_name="Harbour Two", project_description=HUGE)}, version=version,
        )
    )

    assert data["errors"]["details-project_description"] == [TOO_LONG]
    kept = stored(draft_id).pending["details"]["data"]
    assert kept["details-project_name"] == ["Harbour Two"]
    assert len(kept["details-project_description"][0]) < 5000


@pytest.mark.parametrize("key", ["details-square_footage", "details-building_type", "details-estimated_start_date"])
def test_it_refuses_a_typed_value_longer_than_any_real_one(anonymous, key):
    data = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour", key: "9" * 5000}))

    assert "at most 64 characters (this has 5,000). It was not saved." in data["errors"][key][0]
    assert key not in stored(data["draftId"]).pending["details"]["data"]


def test_it_refuses_an_input_sent_many_times(anonymous):
    data = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": ["Harbour"] * 500}))

    assert data["errors"]["details-project_name"] == ["Project name: one value expected, 500 were sent. It was not saved."]


def test_the_api_refuses_an_over_long_value_and_names_the_field(anonymous, drafts_redis):
    error = json_error(create(anonymous, {"projectData": {"projectName": "Harbour", "projectDescription": HUGE}}), 400, "VALIDATION_FAILED")
    assert error["fields"] == {"projectDescription": [TOO_LONG]}
    assert not drafts_redis.keys("*:draft:*")

    draft = created(anonymous, {"projectData": {"projectName": "Harbour"}})
    error = json_error(
        update(anonymous, {"sessionId": draft["sessionId"], "version": draft["version"], "projectData": {"requirementsNotes": HUGE}}),
        400, "VALIDATION_FAILED",
    )
    assert error["fields"] == {"requirementsNotes": ["Notes on the requirements: at most 5,000 characters (this has 62,000). It was not saved."]}
    assert current(anonymous, draft["sessionId"])["projectData"]["projectName"] == "Harbour"


def test_the_wizard_keeps_what_was_typed_within_limits(owner_client):
    draft_id = start_draft(owner_client)
    typed = details_post(project_name="Harbour Three", project_description=HUGE)

    response = owner_client.post(step_url(draft_id, "details"), typed)
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert HUGE in response.content.decode()  # shown again as typed, to be shortened

    # Email me a link (as Back would) keeps what was typed, but not past the field's limit.
    assert owner_client.post(step_url(draft_id, "details"), {**typed, "email_link": "1"}).status_code == 302
    data = stored(draft_id).wizard["step_data"]["details"]
    assert data["details-project_name"] == ["Harbour Three"]
    assert len(data["details-project_description"][0]) < 5000
