"""The JSON session API: the same drafts as the wizard pages, as camelCase JSON.

Create, read, update (partial data, submitted steps, versions), delete and validate; who may see a
draft; payload limits, rate limits and lookup limits; CSRF; method and address errors; X-Debug;
the health check and a Redis outage. Real Redis and a real database throughout.
"""

import html
import json
import re
import time
import uuid
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from projects.models import Project
from sessions_store.store import get_draft_store

from .conftest import pdf_bytes, upload
from .factories import UserFactory
from .wizard_helpers import (
    UA,
    attach_on_page,
    browser,
    draft_count,
    json_error,
    page_version,
    stored,
    VALID_DETAILS,
    complete_until_review,
    confirm,
    details_post,
    management,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

SESSIONS = "/api/sessions"
OTHER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DRIVE = "https://drive.google.com/drive/folders/abc"
S3 = "s3://harbour-drawings/floors/"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# Step 1 as an API client sends it: numbers as JSON numbers.
DETAILS = {
    **{camel(key): value for key, value in VALID_DETAILS.items()},
    "squareFootage": 45000,
    "numberOfFloors": 6,
    "numberOfZones": 24,
    "budget": 1250000,
}
# ... and as the API gives it back.
DETAILS_READ = dict(DETAILS)


# --- helpers ---------------------------------------------------------------------------------------

def session_url(session_id):
    return f"{SESSIONS}/{session_id}"


def validate_url(session_id):
    return f"{SESSIONS}/{session_id}/validate"


def send(client, method, url, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json", **extra)


def create(client, body=None, **extra):
    return send(client, "post", SESSIONS, {} if body is None else body, **extra)


def created(client, body=None, **extra):
    response = create(client, body, **extra)
    assert response.status_code == 201, response.content.decode()[:2000]
    return response.json()


def update(client, body, **extra):
    return send(client, "put", SESSIONS, body, **extra)


def read(client, session_id, **extra):
    return client.get(session_url(session_id), **extra)


def current(client, session_id):
    response = read(client, session_id)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.json()


def expire_for_real(redis, draft_id):
    """Let Redis expire the record itself; the tombstone stays (as at a natural expiry)."""
    key = get_draft_store().key("draft", draft_id)
    redis.pexpire(key, 1)
    deadline = time.monotonic() + 2
    while redis.exists(key):
        assert time.monotonic() < deadline, "the draft did not expire"
        time.sleep(0.005)


@pytest.fixture
def anonymous():
    return browser()


@pytest.fixture
def signed_in(owner):
    return browser(owner)


# --- create --------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["{}", ""], ids=["empty object", "no body"])
def test_it_creates_an_empty_draft_with_its_location(anonymous, drafts_redis, body):
    response = send(anonymous, "post", SESSIONS, body)

    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert UUID4.match(data["sessionId"])
    assert response["Location"] == session_url(data["sessionId"])
    assert response["Cache-Control"] == "no-store"
    assert isinstance(data["version"], int)
    created_at = datetime.fromisoformat(data["createdAt"])
    expires_at = datetime.fromisoformat(data["expiresAt"])
    assert abs(expires_at - created_at - timedelta(seconds=django_settings.SESSION_TTL)) < timedelta(seconds=2)
    assert data["currentStep"] == 1
    assert data["completedSteps"] == [] and data["unsubmittedSteps"] == []
    assert data["validationStatus"] == {"step1": False, "step2": False, "step3": False, "step4": False}
    assert data["documents"] == []
    assert data["metadata"]["userAgent"] == UA
    assert data["metadata"]["deviceInfo"] == "Linux"
    assert data["wizardUrl"] == step_url(data["sessionId"], "details")
    assert draft_count(drafts_redis) == 1

    again = current(anonymous, data["sessionId"])
    assert again["sessionId"] == data["sessionId"] and again["version"] == data["version"]


def test_it_creates_a_draft_with_data_that_the_wizard_shows_as_typed(anonymous):
    data = created(anonymous, {"projectData": DETAILS})

    assert data["projectData"] | DETAILS_READ == data["projectData"]
    assert data["unsubmittedSteps"] == [1]
    assert data["completedSteps"] == []

    page = anonymous.get(data["wizardUrl"])
    assert page.status_code == 200
    content = page.content.decode()
    assert 'value="Harbour Office Retrofit"' in content
    assert 'value="facilities@harbour.example"' in content
    assert 'value="2027-03-01"' in content
    assert "Replace the chillers and re-zone floors 2-5." in content
    assert 'id="restored"' in content
    assert page_version(page) == str(data["version"])
    # Unsubmitted: step 2 is not open yet.
    ahead = anonymous.get(step_url(data["sessionId"], "requirements"))
    assert ahead.status_code == 302 and ahead["Location"] == step_url(data["sessionId"], "details")


def test_it_creates_a_draft_with_step_1_submitted(signed_in):
    data = created(signed_in, {"projectData": DETAILS, "completedSteps": [1], "currentStep": 2})

    assert data["completedSteps"] == [1]
    assert data["unsubmittedSteps"] == []
    assert data["currentStep"] == 2
    assert data["validationStatus"]["step1"] is True
    assert data["projectData"] | DETAILS_READ == data["projectData"]
    resume = signed_in.get(reverse("projects:wizard_resume", args=[data["sessionId"]]))
    assert resume["Location"] == step_url(data["sessionId"], "requirements")
    assert signed_in.get(resume["Location"]).status_code == 200
    assert "Harbour Office Retrofit" in signed_in.get(reverse("projects:drafts")).content.decode()


def test_it_reads_the_drafts_the_wizard_pages_made(signed_in):
    draft_id = start_draft(signed_in)
    attach_on_page(signed_in, draft_id)

    data = current(signed_in, draft_id)

    assert data["completedSteps"] == [1, 2]
    assert data["currentStep"] == 3
    assert data["projectData"]["projectName"] == "Harbour Office Retrofit"
    assert data["projectData"]["squareFootage"] == 45000
    assert data["projectData"]["estimatedEndDate"] == "2027-09-30"
    assert data["projectData"]["requirementsNotes"] == "See the spec."
    assert [(d["name"], d["contentType"], d["size"]) for d in data["documents"]] == [
        ("brief.pdf", "application/pdf", len(pdf_bytes("brief.pdf")))
    ]


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
    store_version = stored(before["sessionId"]).version

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
    assert stored(before["sessionId"]).version == store_version


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


def test_it_refuses_a_stale_version_and_writes_nothing(anonymous):
    first = created(anonymous, {"projectData": DETAILS})
    second = update(anonymous, {"sessionId": first["sessionId"], "version": first["version"], "projectData": {"clientName": "Second tab"}}).json()
    store_version = stored(first["sessionId"]).version

    response = update(anonymous, {"sessionId": first["sessionId"], "version": first["version"], "projectData": {"clientName": "First tab"}})

    failure = json_error(response, 409, "SESSION_CONFLICT")
    assert "changed elsewhere" in failure["message"]
    latest = current(anonymous, first["sessionId"])
    assert latest["projectData"]["clientName"] == "Second tab"
    assert latest["version"] == second["version"]
    assert stored(first["sessionId"]).version == store_version


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
        "connectors[2].connectorType": ["Choose a connector type."],
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


def test_it_submits_step_3_without_connectors(owner_client):
    draft_id = start_draft(owner_client)
    attach_on_page(owner_client, draft_id)

    checked = send(owner_client, "post", validate_url(draft_id), {})
    assert checked.json()["steps"][2] == {"step": 3, "name": "sources", "valid": True, "fields": {}}
    version = current(owner_client, draft_id)["version"]
    response = update(owner_client, {"sessionId": draft_id, "version": version, "projectData": {"aiSourcingEnabled": True}, "completedSteps": [3]})
    assert response.status_code == 200, response.content.decode()
    assert response.json()["completedSteps"] == [1, 2, 3]


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
    # ... and the API's old version is now stale in turn.
    json_error(update(signed_in, {"sessionId": before["sessionId"], "version": submitted["version"], "projectData": {"clientName": "x"}}), 409, "SESSION_CONFLICT")


# --- delete --------------------------------------------------------------------------------------

def test_it_deletes_a_draft_with_its_files(signed_in, other_user, drafts_redis):
    draft_id = start_draft(signed_in)
    attach_on_page(signed_in, draft_id)
    keep = start_draft(signed_in, project_name="Keep me")
    folder = django_settings.DRAFT_UPLOAD_ROOT / draft_id
    assert any(folder.iterdir())

    json_error(browser(other_user).delete(session_url(draft_id)), 404, "SESSION_NOT_FOUND")
    assert folder.exists()

    response = signed_in.delete(session_url(draft_id))

    assert response.status_code == 200
    assert response.json() == {"success": True, "sessionId": draft_id}
    assert not folder.exists()
    assert drafts_redis.keys(f"*{draft_id}*") == []
    # Deleted on purpose, not expired: the tombstone went too, so "not found".
    json_error(read(signed_in, draft_id), 404, "SESSION_NOT_FOUND")
    json_error(signed_in.delete(session_url(draft_id)), 404, "SESSION_NOT_FOUND")
    assert signed_in.get(step_url(draft_id, "details")).status_code == 404
    drafts_page = signed_in.get(reverse("projects:drafts")).content.decode()
    assert "Keep me" in drafts_page and "Harbour Office Retrofit" not in drafts_page
    assert current(signed_in, keep)["projectData"]["projectName"] == "Keep me"


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


# --- what the API accepts -------------------------------------------------------------------------

def test_it_refuses_a_draft_larger_than_the_size_cap(settings, anonymous, drafts_redis):
    settings.SESSION_MAX_BYTES = 2048
    long_text = "Chillers and air handling units, floor by floor. " * 24  # ~1,200 characters

    too_big = json_error(create(anonymous, {"projectData": {"projectDescription": long_text, "requirementsNotes": long_text}}), 413, "PAYLOAD_TOO_LARGE")
    assert "2 KB" in too_big["message"]
    assert draft_count(drafts_redis) == 0

    before = created(anonymous, {"projectData": {"projectDescription": long_text}})
    json_error(update(anonymous, {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"requirementsNotes": long_text}}), 413, "PAYLOAD_TOO_LARGE")
    after = current(anonymous, before["sessionId"])
    assert after["version"] == before["version"] and after["projectData"]["requirementsNotes"] in ("", None)


@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        ("projectData=x", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ('{"projectData": {}}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ('{"projectData": {', "application/json", 400, "VALIDATION_FAILED"),
        (b'{"projectName": "\xff"}', "application/json", 400, "VALIDATION_FAILED"),
        ('[{"projectData": {}}]', "application/json", 400, "VALIDATION_FAILED"),
        ('"a string"', "application/json", 400, "VALIDATION_FAILED"),
        ('{"projectData": "x"}', "application/json", 400, "VALIDATION_FAILED"),
    ],
    ids=["form", "text", "malformed", "not utf-8", "list", "string", "projectData not an object"],
)
def test_it_refuses_a_body_that_is_not_a_json_object(anonymous, drafts_redis, body, content_type, status, code):
    json_error(anonymous.post(SESSIONS, data=body, content_type=content_type), status, code)
    assert draft_count(drafts_redis) == 0

    session = created(anonymous)
    json_error(anonymous.put(SESSIONS, data=body, content_type=content_type), status, code)
    assert current(anonymous, session["sessionId"])["version"] == session["version"]


def test_it_refuses_deeply_nested_json_with_a_400(drafts_redis):
    client = browser(raise_request_exception=False)
    response = client.post(SESSIONS, data='{"projectData": ' + "[" * 100_000 + "]" * 100_000 + "}", content_type="application/json")
    json_error(response, 400, "VALIDATION_FAILED")


def test_it_refuses_a_multipart_body_with_415_when_csrf_is_checked(drafts_redis):
    client = browser(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("projects:wizard_new"))
    token = client.cookies["csrftoken"].value

    response = client.post(SESSIONS, {"projectData": "x"}, HTTP_X_CSRFTOKEN=token)

    json_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


# --- limits --------------------------------------------------------------------------------------

def limit_keys(redis, kind):
    return redis.keys(f"*limit:{kind}:*")


def test_it_limits_draft_creations_per_minute_per_address(settings, anonymous, drafts_redis):
    settings.SESSION_RATE_LIMIT = 3
    for _ in range(3):
        created(anonymous)

    response = create(anonymous, {"projectData": {"projectName": "Fourth"}})

    limited = json_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in limited["message"]
    assert draft_count(drafts_redis) == 3
    # Another address is not limited; updates are not creations.
    created(anonymous, REMOTE_ADDR="198.51.100.7")
    first = json.loads(drafts_redis.get(drafts_redis.keys("*:draft:*")[0]))
    session = current(anonymous, first["id"])
    assert update(anonymous, {"sessionId": session["sessionId"], "version": session["version"], "projectData": {"projectName": "x"}}).status_code == 200

    # The window is a Redis TTL of at most a minute: when it ends, creating works again.
    (key,) = [k for k in limit_keys(drafts_redis, "create") if k.decode().endswith(":127.0.0.1")]
    assert 0 < drafts_redis.ttl(key) <= 60
    drafts_redis.pexpire(key, 1)
    deadline = time.monotonic() + 2
    while drafts_redis.exists(key):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    created(anonymous)


def test_it_counts_wizard_creations_in_the_same_limit_and_keeps_the_input(settings, signed_in, drafts_redis):
    settings.SESSION_RATE_LIMIT = 3
    created(signed_in)
    start_draft(signed_in)
    autosaved = signed_in.post(reverse("projects:autosave_new"), {"details-project_name": "Typed", **management("details")})
    assert autosaved.json()["saved"] is True

    response = signed_in.post(reverse("projects:wizard_new"), details_post(project_name="Fourth <draft> & co"))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    page = html.unescape(response.content.decode())
    assert "Too many new drafts were started from your network" in page
    assert 'value="Fourth <draft> & co"' in page
    assert 'value="facilities@harbour.example"' in page
    assert draft_count(drafts_redis) == 3
    json_error(create(signed_in), 429, "RATE_LIMITED")


def test_it_refuses_lookups_after_too_many_misses_from_one_address(settings, anonymous, signed_in):
    settings.SESSION_MAX_ATTEMPTS = 3
    own = created(signed_in)["sessionId"]
    others = created(browser(UserFactory(username="someone")))["sessionId"]

    for missing in (str(uuid.uuid4()), "not-a-uuid", others):
        json_error(read(anonymous, missing), 404, "SESSION_NOT_FOUND")

    response = read(anonymous, str(uuid.uuid4()))

    limited = json_error(response, 429, "TOO_MANY_ATTEMPTS")
    assert 1 <= int(response["Retry-After"]) <= django_settings.SESSION_ATTEMPT_WINDOW
    assert response["Retry-After"] in limited["message"]
    json_error(anonymous.delete(session_url(others)), 429, "TOO_MANY_ATTEMPTS")
    # The owner's own draft still opens from the same address, through the API and the pages.
    assert current(signed_in, own)["sessionId"] == own
    assert signed_in.get(step_url(own, "details")).status_code == 200
    # Another address is not limited.
    json_error(read(anonymous, str(uuid.uuid4()), REMOTE_ADDR="198.51.100.7"), 404, "SESSION_NOT_FOUND")


def test_it_refuses_wizard_pages_of_missing_drafts_after_too_many_misses(settings, signed_in):
    settings.SESSION_MAX_ATTEMPTS = 3
    own = start_draft(signed_in)
    stranger = browser()

    for _ in range(3):
        assert stranger.get(step_url(str(uuid.uuid4()), "details")).status_code == 404

    response = stranger.get(step_url(str(uuid.uuid4()), "details"))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= django_settings.SESSION_ATTEMPT_WINDOW
    assert "Too many requests for drafts that could not be found" in response.content.decode()
    assert stranger.get(step_url(own, "details")).status_code == 429  # not theirs: still a miss
    assert signed_in.get(step_url(own, "details")).status_code == 200
    json_error(read(stranger, str(uuid.uuid4())), 429, "TOO_MANY_ATTEMPTS")  # one counter for pages and API


# --- CSRF ----------------------------------------------------------------------------------------

def test_it_needs_the_csrf_token_for_every_change(drafts_redis):
    client = browser(enforce_csrf_checks=True)

    json_error(create(client), 403, "CSRF_FAILED")
    assert draft_count(drafts_redis) == 0

    client.get(reverse("projects:wizard_new"))  # any page sets the csrftoken cookie
    token = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    json_error(create(client), 403, "CSRF_FAILED")
    session = created(client, **token)
    session_id, version = session["sessionId"], session["version"]

    assert read(client, session_id).status_code == 200  # reading needs no token
    failure = json_error(update(client, {"sessionId": session_id, "version": version, "projectData": {"projectName": "x"}}), 403, "CSRF_FAILED")
    assert "X-CSRFToken" in failure["message"]
    json_error(send(client, "post", validate_url(session_id), {}), 403, "CSRF_FAILED")
    json_error(client.delete(session_url(session_id)), 403, "CSRF_FAILED")
    json_error(update(client, {"sessionId": session_id, "version": version}, HTTP_X_CSRFTOKEN="x" * 32), 403, "CSRF_FAILED")
    assert current(client, session_id)["version"] == version

    assert update(client, {"sessionId": session_id, "version": version, "projectData": {"projectName": "x"}}, **token).status_code == 200
    assert send(client, "post", validate_url(session_id), {}, **token).status_code == 200
    assert client.delete(session_url(session_id), **token).status_code == 200
    assert draft_count(drafts_redis) == 0


# --- methods, addresses, debug ---------------------------------------------------------------------

def test_it_answers_405_with_the_allowed_methods(anonymous):
    session_id = created(anonymous)["sessionId"]

    for method, url, allowed in [
        ("get", SESSIONS, "POST, PUT"),
        ("delete", SESSIONS, "POST, PUT"),
        ("put", session_url(session_id), "GET, DELETE"),
        ("post", session_url(session_id), "GET, DELETE"),
        ("get", validate_url(session_id), "POST"),
        ("post", f"{SESSIONS}/health", "GET, HEAD"),
    ]:
        response = anonymous.get(url) if method == "get" else send(anonymous, method, url, {})
        json_error(response, 405, "METHOD_NOT_ALLOWED")
        assert response["Allow"] == allowed, (method, url)


def test_it_answers_json_404_for_an_unknown_api_address(anonymous):
    for path in ("/api/nonexistent", "/api/sessions/" + str(uuid.uuid4()) + "/nonsense", "/api/"):
        json_error(anonymous.get(path), 404, "NOT_FOUND")


def test_it_adds_debug_details_only_when_debug_is_on(settings, anonymous):
    settings.DEBUG = False
    session = create(anonymous, HTTP_X_DEBUG="true").json()
    assert "debug" not in session
    assert "debug" not in read(anonymous, session["sessionId"], HTTP_X_DEBUG="true").json()

    settings.DEBUG = True
    assert "debug" not in read(anonymous, session["sessionId"]).json()
    data = read(anonymous, session["sessionId"], HTTP_X_DEBUG="true").json()
    debug = data["debug"]
    assert debug["method"] == "GET" and debug["path"] == session_url(session["sessionId"])
    assert debug["durationMs"] >= 0
    assert debug["redisKey"].endswith(f"draft:{session['sessionId']}")
    assert debug["bytes"] > 0 and debug["storeVersion"] >= 1
    failure = anonymous.get(session_url(str(uuid.uuid4())), HTTP_X_DEBUG="true").json()
    assert failure["error"]["code"] == "SESSION_NOT_FOUND" and "durationMs" in failure["debug"]


def test_it_serves_its_openapi_document(anonymous):
    spec = anonymous.get("/api/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/sessions",
        "/api/sessions/health",
        "/api/sessions/{sessionId}",
        "/api/sessions/{sessionId}/validate",
    }
    assert anonymous.get("/api/openapi.yaml").status_code == 200


# --- health and a Redis outage --------------------------------------------------------------------

def test_it_reports_health_with_latencies(anonymous):
    response = anonymous.get(f"{SESSIONS}/health")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert set(data["checks"]) == {"redis", "database", "uploads"}
    for name, check in data["checks"].items():
        assert check["ok"] is True, name
        assert isinstance(check["latencyMs"], (int, float)) and check["latencyMs"] >= 0
    assert list(django_settings.DRAFT_UPLOAD_ROOT.glob(".health-*")) == []


def test_it_answers_503_and_never_500_while_redis_is_unreachable(anonymous, redis_outage):
    session = created(anonymous, {"projectData": DETAILS})
    redis_outage.begin()

    health = anonymous.get(f"{SESSIONS}/health")
    assert health.status_code == 503
    data = health.json()
    assert data["status"] == "unavailable"
    assert data["checks"]["redis"]["ok"] is False and "error" in data["checks"]["redis"]
    assert data["checks"]["database"]["ok"] is True and data["checks"]["uploads"]["ok"] is True

    session_id, version = session["sessionId"], session["version"]
    for response in (
        create(anonymous, {"projectData": {"projectName": "During the outage"}}),
        read(anonymous, session_id),
        update(anonymous, {"sessionId": session_id, "version": version, "projectData": {"projectName": "x"}}),
        anonymous.delete(session_url(session_id)),
        send(anonymous, "post", validate_url(session_id), {}),
        read(anonymous, str(uuid.uuid4())),
    ):
        failure = json_error(response, 503, "SERVICE_UNAVAILABLE")
        assert response["Retry-After"] == "30"
        assert "not responding" in failure["message"]

    redis_outage.end()
    back = current(anonymous, session_id)
    assert back["version"] == version and back["projectData"] == session["projectData"]
    assert anonymous.get(f"{SESSIONS}/health").json()["status"] == "ok"


def test_it_refuses_text_that_is_not_unicode_and_stores_nothing(anonymous, drafts_redis):
    # "\ud800" is valid JSON but no character: it must not reach Redis (where Lua's cjson would
    # refuse the record on every later save).
    for body in (
        '{"projectData": {"projectName": "\\ud800"}}',
        '{"projectData": {"connectors": [{"connectorType": "website", "target": "\\udfff"}]}}',
    ):
        failure = json_error(send(anonymous, "post", SESSIONS, body), 400, "VALIDATION_FAILED")
        assert "Unicode" in failure["message"]
    assert draft_count(drafts_redis) == 0
    # Real non-ASCII text, emoji included, round-trips and stays writable.
    session = created(anonymous, {"projectData": {"projectName": "Zürich 🏗 tower"}})
    assert current(anonymous, session["sessionId"])["projectData"]["projectName"] == "Zürich 🏗 tower"
    response = update(anonymous, {"sessionId": session["sessionId"], "version": session["version"], "projectData": {"clientName": "Ærø"}})
    assert response.status_code == 200, response.content


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


@pytest.mark.parametrize(
    "addresses",
    [("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"), ("::ffff:192.0.2.7", "192.0.2.7")],
    ids=["one IPv6 /64", "an IPv4-mapped address and its IPv4"],
)
def test_lookups_of_missing_drafts_count_per_network_not_per_address(settings, addresses):
    settings.SESSION_MAX_ATTEMPTS = 2
    first, second = (browser(REMOTE_ADDR=address) for address in addresses)
    for client in (first, second):
        json_error(read(client, str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
    json_error(read(first, str(uuid.uuid4())), 429, "TOO_MANY_ATTEMPTS")
    # Another network is not affected.
    json_error(read(browser(REMOTE_ADDR="2001:db8:9:9::1"), str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
