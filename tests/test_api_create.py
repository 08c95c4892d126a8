"""The JSON session API: creating drafts (``POST /api/sessions``), empty or with step 1's data, as
the wizard shows them; and reading the drafts the wizard pages made, as camelCase JSON.

Real Redis and a real database throughout; the requests are in api_helpers.py.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from .api_helpers import DETAILS, DETAILS_READ, SESSIONS, created, current, send, session_url
from .conftest import pdf_bytes
from .wizard_helpers import UA, attach_on_page, draft_count, page_version, start_draft, step_url

pytestmark = pytest.mark.django_db

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


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
