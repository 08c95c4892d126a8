"""The JSON session API: submitting steps with an update (only when they validate, only in order,
never the review step; step 2 needs a document attached on the page; step 3's connectors), and
validating a draft's steps without saving (``POST /api/sessions/<id>/validate``).

Real Redis and a real database throughout; the requests are in api_helpers.py.
"""

import html

import pytest
from django.urls import reverse

from projects.models import Project

from .api_helpers import DETAILS, created, current, send, update, validate_url
from .wizard_helpers import attach_on_page, confirm, json_error, start_draft, step_url, stored

pytestmark = pytest.mark.django_db

DRIVE = "https://drive.google.com/drive/folders/abc"
S3 = "s3://harbour-drawings/floors/"


# --- submitting steps -----------------------------------------------------------------------------

def test_it_submits_step_1_when_it_validates_and_opens_step_2(anonymous):
    before = created(anonymous, {"projectData": {"projectName": "Half typed"}})

    response = update(
        anonymous,
        {"sessionId": before["sessionId"], "version": before["version"], "projectData": DETAILS, "completedSteps": [1], "currentStep": 2},
    )

    assert response.status_code == 200, response.content.decode()
    after = response.json()
    assert after["completedSteps"] == [1] and after["unsubmittedSteps"] == [] and after["currentStep"] == 2
    page = anonymous.get(step_url(before["sessionId"], "details"))
    assert 'id="restored"' not in page.content.decode()  # submitted now, not "typed"
    assert anonymous.get(step_url(before["sessionId"], "requirements")).status_code == 200


def test_it_saves_nothing_when_a_submitted_step_does_not_validate(anonymous, drafts_redis):
    before = created(anonymous, {"projectData": DETAILS})
    store_version = stored(before["sessionId"]).writes

    response = update(
        anonymous,
        {
            "sessionId": before["sessionId"],
            "version": before["version"],
            "projectData": {"projectName": "", "clientEmail": "not an email", "squareFootage": -5, "estimatedEndDate": "2020-01-01"},
            "completedSteps": [1],
        },
    )

    failure = json_error(response, 400, "VALIDATION_FAILED")
    assert set(failure["fields"]) == {"projectName", "clientEmail", "squareFootage", "estimatedEndDate"}
    assert failure["fields"]["clientEmail"] == ["Enter the client email in the format name@example.com."]
    after = current(anonymous, before["sessionId"])
    assert after["version"] == before["version"]
    assert after["projectData"] == before["projectData"]
    assert after["completedSteps"] == []
    assert stored(before["sessionId"]).writes == store_version


@pytest.mark.parametrize(
    "claimed, done_first",
    [([2], []), ([3], [1]), ([2, 3], [])],
    ids=["2 before 1", "3 before 2", "2 and 3 before 1"],
)
def test_it_refuses_to_submit_a_step_before_the_steps_it_needs(signed_in, claimed, done_first):
    before = created(signed_in, {"projectData": DETAILS, "completedSteps": done_first})

    response = update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "completedSteps": claimed})

    failure = json_error(response, 400, "INVALID_STEP")
    assert "to be completed first" in failure["message"]
    assert current(signed_in, before["sessionId"])["version"] == before["version"]


def test_it_refuses_to_submit_the_review_step(signed_in):
    before = created(signed_in, {"projectData": DETAILS, "completedSteps": [1]})

    json_error(update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "completedSteps": [4]}), 400, "INVALID_STEP")
    out_of_range = json_error(
        update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "completedSteps": [5]}), 400, "VALIDATION_FAILED"
    )
    assert set(out_of_range["fields"]) == {"completedSteps"}
    assert current(signed_in, before["sessionId"])["completedSteps"] == [1]


def test_it_needs_an_attached_document_before_step_2_is_submitted(signed_in):
    before = created(signed_in, {"projectData": DETAILS})

    response = update(
        signed_in,
        {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"requirementsNotes": "Spec to follow"}, "completedSteps": [1, 2]},
    )

    failure = json_error(response, 400, "VALIDATION_FAILED")
    assert failure["fields"] == {"documents": ["Attach at least one requirements document."]}
    assert current(signed_in, before["sessionId"])["completedSteps"] == []  # not even step 1

    # With a document attached on the page, the API can submit step 2.
    assert update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "completedSteps": [1]}).status_code == 200
    attach_on_page(signed_in, before["sessionId"])
    latest = current(signed_in, before["sessionId"])
    assert latest["completedSteps"] == [1, 2]
    resubmitted = update(
        signed_in,
        {"sessionId": before["sessionId"], "version": latest["version"], "projectData": {"requirementsNotes": "Revised"}, "completedSteps": [2]},
    )
    assert resubmitted.status_code == 200, resubmitted.content.decode()
    assert resubmitted.json()["unsubmittedSteps"] == []
    requirements = html.unescape(signed_in.get(step_url(before["sessionId"], "requirements")).content.decode())
    assert "Revised" in requirements and "brief.pdf" in requirements and 'id="restored"' not in requirements


def test_it_refuses_to_resume_past_the_first_incomplete_step(signed_in):
    before = created(signed_in, {"projectData": DETAILS, "completedSteps": [1]})

    for step in (3, 4):
        failure = json_error(
            update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "currentStep": step, "projectData": {"clientName": "x"}}),
            400,
            "INVALID_STEP",
        )
        assert "Complete step 2 first" in failure["message"]
    json_error(update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "currentStep": 0}), 400, "VALIDATION_FAILED")
    unchanged = current(signed_in, before["sessionId"])
    assert unchanged["version"] == before["version"] and unchanged["projectData"]["clientName"] == DETAILS["clientName"]

    moved = update(signed_in, {"sessionId": before["sessionId"], "version": before["version"], "currentStep": 1})
    assert moved.status_code == 200 and moved.json()["currentStep"] == 1
    assert signed_in.get(reverse("projects:wizard_resume", args=[before["sessionId"]]))["Location"] == step_url(before["sessionId"], "details")


# --- step 3: connectors ---------------------------------------------------------------------------

def test_it_saves_connectors_submits_step_3_and_the_project_gets_them(owner_client):
    draft_id = start_draft(owner_client)
    attach_on_page(owner_client, draft_id)
    version = current(owner_client, draft_id)["version"]
    connectors = [{"connectorType": "google_drive", "target": DRIVE}, {"connectorType": "s3", "target": S3}]

    response = update(
        owner_client,
        {"sessionId": draft_id, "version": version, "projectData": {"aiSourcingEnabled": True, "connectors": connectors}, "completedSteps": [3], "currentStep": 4},
    )

    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert data["completedSteps"] == [1, 2, 3]
    assert data["projectData"]["connectors"] == connectors
    assert data["projectData"]["aiSourcingEnabled"] is True
    sources = owner_client.get(step_url(draft_id, "sources")).content.decode()
    assert f'value="{DRIVE}"' in sources and f'value="{S3}"' in sources
    review = html.unescape(owner_client.get(step_url(draft_id, "review")).content.decode())
    assert DRIVE in review and S3 in review and "Enabled" in review

    assert confirm(owner_client, draft_id).status_code == 302
    project = Project.objects.get()
    assert project.ai_sourcing_enabled is True
    assert sorted((c.connector_type, c.target) for c in project.connectors.all()) == sorted(
        [("google_drive", DRIVE), ("s3", S3)]
    )


def test_it_names_the_connector_rows_that_do_not_validate(owner_client):
    draft_id = start_draft(owner_client)
    attach_on_page(owner_client, draft_id)
    version = current(owner_client, draft_id)["version"]

    response = update(
        owner_client,
        {
            "sessionId": draft_id,
            "version": version,
            "projectData": {
                "connectors": [
                    {"connectorType": "google_drive", "target": DRIVE},
                    {"connectorType": "s3", "target": "https://not-a-bucket.example"},
                    {"connectorType": "", "target": "https://www.dropbox.com/sh/abc"},
                ]
            },
            "completedSteps": [3],
        },
    )

    failure = json_error(response, 400, "VALIDATION_FAILED")
    assert failure["fields"] == {
        "connectors[1].target": ["Enter a bucket address like s3://my-bucket/drawings/."],
        "connectors[2].connectorType": ["Choose a connector type, because you entered a URL or identifier. To skip this connector, leave both empty."],
    }
    assert current(owner_client, draft_id)["projectData"]["connectors"] == []


def test_it_refuses_more_than_20_connectors(anonymous):
    before = created(anonymous)
    many = [{"connectorType": "website", "target": f"https://example.com/{n}"} for n in range(21)]

    failure = json_error(update(anonymous, {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"connectors": many}}), 400, "VALIDATION_FAILED")

    assert set(failure["fields"]) == {"connectors"}
    assert current(anonymous, before["sessionId"])["version"] == before["version"]
    twenty = update(anonymous, {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"connectors": many[:20]}})
    assert twenty.status_code == 200
    assert twenty.json()["projectData"]["connectors"] == many[:20]


def test_it_submits_step_3_without_connectors(owner_client):
    draft_id = start_draft(owner_client)
    attach_on_page(owner_client, draft_id)

    checked = send(owner_client, "post", validate_url(draft_id), {})
    assert checked.json()["steps"][2] == {"step": 3, "name": "sources", "valid": True, "fields": {}}
    version = current(owner_client, draft_id)["version"]
    response = update(owner_client, {"sessionId": draft_id, "version": version, "projectData": {"aiSourcingEnabled": True}, "completedSteps": [3]})
    assert response.status_code == 200, response.content.decode()
    assert response.json()["completedSteps"] == [1, 2, 3]


# --- validate ------------------------------------------------------------------------------------

def test_it_reports_field_errors_per_step(signed_in):
    session_id = created(
        signed_in,
        {"projectData": {"projectName": "Half typed", "clientEmail": "nope", "connectors": [{"connectorType": "s3", "target": "bucket"}]}},
    )["sessionId"]

    response = send(signed_in, "post", validate_url(session_id), {})

    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert data["sessionId"] == session_id and data["valid"] is False
    assert [(s["step"], s["name"], s["valid"]) for s in data["steps"]] == [
        (1, "details", False),
        (2, "requirements", False),
        (3, "sources", False),
    ]
    assert set(data["steps"][0]["fields"]) == {"buildingType", "squareFootage", "priority", "clientEmail"}
    assert data["steps"][1]["fields"] == {"documents": ["Attach at least one requirements document."]}
    assert set(data["steps"][2]["fields"]) == {"connectors[0].target"}


def test_it_validates_project_data_without_saving_it(signed_in):
    before = created(signed_in, {"projectData": {**DETAILS, "connectors": []}})

    response = send(
        signed_in,
        "post",
        validate_url(before["sessionId"]),
        {"projectData": {"clientEmail": "nope", "connectors": [{"connectorType": "website", "target": "https://example.com"}]}},
    )

    data = response.json()
    assert data["valid"] is False
    assert data["steps"][0]["fields"] == {"clientEmail": ["Enter the client email in the format name@example.com."]}
    assert data["steps"][2] == {"step": 3, "name": "sources", "valid": True, "fields": {}}
    after = current(signed_in, before["sessionId"])
    assert after["version"] == before["version"]
    assert after["projectData"] == before["projectData"]

    good = send(signed_in, "post", validate_url(before["sessionId"]), {"projectData": {"clientEmail": "ops@harbour.example"}}).json()
    assert good["steps"][0]["valid"] is True
    json_error(send(signed_in, "post", validate_url(before["sessionId"]), {"projectData": {"nope": 1}}), 400, "VALIDATION_FAILED")
