"""The JSON session API: updating a draft (``PUT /api/sessions``): partial project data merged over
it, versions (a stale one writes nothing), the fields it requires, does not know or cannot read,
and the wizard pages agreeing with it around an update. Submitting steps is in test_api_steps.py.

Real Redis and a real database throughout; the requests are in api_helpers.py.
"""

import pytest

from .api_helpers import DETAILS, SESSIONS, create, created, current, send, update
from .conftest import pdf_bytes, upload
from .wizard_helpers import (
    VALID_DETAILS,
    details_post,
    json_error,
    management,
    page_version,
    start_draft,
    step_url,
    stored,
)

pytestmark = pytest.mark.django_db


# --- update -------------------------------------------------------------------------------------

def test_it_merges_partial_project_data_over_the_draft(anonymous):
    before = created(anonymous, {"projectData": DETAILS})

    response = update(
        anonymous,
        {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"clientName": "Quayside Ltd", "numberOfFloors": "7"}},
    )

    assert response.status_code == 200, response.content.decode()
    after = response.json()
    assert after["version"] == before["version"] + 1
    assert after["projectData"] == {**before["projectData"], "clientName": "Quayside Ltd", "numberOfFloors": 7}
    assert current(anonymous, before["sessionId"]) | {"lastActivity": None, "expiresAt": None} == after | {
        "lastActivity": None,
        "expiresAt": None,
    }


def test_it_refuses_a_stale_version_and_writes_nothing(anonymous):
    first = created(anonymous, {"projectData": DETAILS})
    second = update(anonymous, {"sessionId": first["sessionId"], "version": first["version"], "projectData": {"clientName": "Second tab"}}).json()
    store_version = stored(first["sessionId"]).writes

    response = update(anonymous, {"sessionId": first["sessionId"], "version": first["version"], "projectData": {"clientName": "First tab"}})

    failure = json_error(response, 409, "SESSION_CONFLICT")
    assert "changed elsewhere" in failure["message"]
    latest = current(anonymous, first["sessionId"])
    assert latest["projectData"]["clientName"] == "Second tab"
    assert latest["version"] == second["version"]
    assert stored(first["sessionId"]).writes == store_version


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sessionId": None}, "sessionId"),
        ({"sessionId": 12}, "sessionId"),
        ({"version": None}, "version"),
        ({"version": "1"}, "version"),
        ({"version": True}, "version"),
    ],
    ids=["no sessionId", "numeric sessionId", "no version", "version as text", "version as boolean"],
)
def test_it_requires_the_session_id_and_a_whole_number_version(anonymous, change, field):
    before = created(anonymous)
    body = {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"projectName": "x"}, **change}
    body = {key: value for key, value in body.items() if value is not None}

    failure = json_error(update(anonymous, body), 400, "VALIDATION_FAILED")

    assert set(failure["fields"]) == {field}
    assert current(anonymous, before["sessionId"])["version"] == before["version"]


def test_it_refuses_an_update_without_a_body(anonymous):
    json_error(send(anonymous, "put", SESSIONS, ""), 400, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    "project_data, field",
    [
        ({"projectname": "typo"}, "projectname"),
        ({"project_name": "snake case"}, "project_name"),
        ({"documents": []}, "documents"),
        ({"connectors": [{"connectorType": "website", "url": "https://example.com"}]}, "connectors[0].url"),
        ({"projectName": ["a list"]}, "projectName"),
        ({"aiSourcingEnabled": "yes"}, "aiSourcingEnabled"),
        ({"connectors": {"connectorType": "website"}}, "connectors"),
    ],
)
def test_it_names_fields_it_does_not_know_or_cannot_read(anonymous, project_data, field):
    before = created(anonymous, {"projectData": {"projectName": "Kept"}})

    failure = json_error(update(anonymous, {"sessionId": before["sessionId"], "version": before["version"], "projectData": project_data}), 400, "VALIDATION_FAILED")

    assert set(failure["fields"]) == {field}
    after = current(anonymous, before["sessionId"])
    assert after["version"] == before["version"] and after["projectData"]["projectName"] == "Kept"
    json_error(create(anonymous, {"projectData": project_data}), 400, "VALIDATION_FAILED")


def test_it_names_an_unknown_top_level_field(anonymous):
    before = created(anonymous, {"projectData": {"projectName": "Kept"}})

    response = update(anonymous, {"sessionId": before["sessionId"], "version": before["version"], "projectName": "Lost"})

    failure = json_error(response, 400, "VALIDATION_FAILED")
    assert set(failure["fields"]) == {"projectName"}


def test_it_accepts_amounts_with_decimals_sent_as_json_numbers(anonymous):
    response = create(
        anonymous, {"projectData": {**DETAILS, "squareFootage": 45000.5, "budget": 1250000.75}, "completedSteps": [1]}
    )

    assert response.status_code == 201, response.content.decode()
    data = response.json()["projectData"]
    assert data["squareFootage"] == 45000.5
    assert data["budget"] == 1250000.75


def test_sending_the_submitted_values_again_changes_nothing(signed_in):
    draft_id = start_draft(signed_in)
    session = current(signed_in, draft_id)
    response = update(
        signed_in,
        {"sessionId": draft_id, "version": session["version"], "projectData": {"projectName": VALID_DETAILS["project_name"]}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == session["version"]
    assert response.json()["unsubmittedSteps"] == []


def test_it_does_not_make_an_open_page_stale_by_only_moving_the_current_step(signed_in):
    draft_id = start_draft(signed_in)
    page = signed_in.get(step_url(draft_id, "requirements"))
    version = int(page_version(page))

    moved = update(signed_in, {"sessionId": draft_id, "version": version, "currentStep": 1})
    assert moved.status_code == 200

    response = signed_in.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload("brief.pdf", pdf_bytes(), "application/pdf")],
            "draft_version": str(version),
            **management("requirements"),
        },
    )
    assert response.status_code == 302, response.status_code


def test_it_agrees_with_the_wizard_pages_around_an_api_update(signed_in):
    before = created(signed_in, {"projectData": {"projectName": "From the API"}})
    stale_page = signed_in.get(before["wizardUrl"])

    submitted = update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "projectData": DETAILS, "completedSteps": [1], "currentStep": 2}).json()

    # A page shown before the API wrote is stale: its submit is refused, nothing overwritten.
    refused = signed_in.post(
        step_url(before["sessionId"], "details"),
        {**details_post(project_name="From the old page"), "draft_version": page_version(stale_page)},
    )
    assert refused.status_code == 409
    assert current(signed_in, before["sessionId"])["projectData"]["projectName"] == "Harbour Office Retrofit"

    # A page shown after it sees the API's data, and submits on top of it.
    page = signed_in.get(step_url(before["sessionId"], "requirements"))
    assert page.status_code == 200 and page_version(page) == str(submitted["version"])
    response = signed_in.post(
        step_url(before["sessionId"], "requirements"),
        {
            "requirements-documents": [upload("brief.pdf", pdf_bytes(), "application/pdf")],
            "requirements-requirements_notes": "From the page",
            "draft_version": page_version(page),
            **management("requirements"),
        },
    )
    assert response.status_code == 302 and response["Location"] == step_url(before["sessionId"], "sources")

    after = current(signed_in, before["sessionId"])
    assert after["completedSteps"] == [1, 2]
    assert after["version"] > submitted["version"]
    assert after["projectData"]["requirementsNotes"] == "From the page"
    assert after["projectData"]["projectName"] == "Harbour Office Retrofit"
    assert [doc["name"] for doc in after["documents"]] == ["brief.pdf"]
    # ... and the API's old version is now stale in turn: a field nobody changed since merges in,
    # one the page changed differently is a conflict that names both values.
    merged = update(signed_in, {"sessionId": before["sessionId"], "version": submitted["version"], "projectData": {"clientName": "x"}})
    assert merged.status_code == 200, merged.content.decode()
    assert merged.json()["projectData"]["clientName"] == "x"
    assert merged.json()["projectData"]["requirementsNotes"] == "From the page"
    failure = json_error(
        update(signed_in, {"sessionId": before["sessionId"], "version": submitted["version"], "projectData": {"requirementsNotes": "From the API"}}),
        409,
        "SESSION_CONFLICT",
    )
    assert failure["conflicts"] == {"requirementsNotes": {"yours": ["From the API"], "theirs": ["From the page"]}}
    assert failure["version"] == merged.json()["version"]
