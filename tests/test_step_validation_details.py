"""Validation of the wizard's first step, ``details``, through the test client as a browser would
submit it: both sides of every bound, what the page says when a value is refused (and that it
keeps what was typed), and that a refused first step stores nothing.
"""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Project

from .conftest import pdf_bytes, upload
from .step_form_helpers import form_data, input_value, load_draft, page, summary_links
from .wizard_helpers import (
    VALID_DETAILS,
    confirm,
    details_post,
    draft_id_from,
    management,
    sources_post,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

NEW_URL = reverse("projects:wizard_new")


# --- Step 1: details ------------------------------------------------------------------------------

# Text-like inputs of step 1 whose typed value must come back after a refused POST.
TEXT_INPUTS = [
    "project_name", "square_footage", "number_of_floors", "number_of_zones", "client_name",
    "client_email", "client_phone", "project_location", "estimated_start_date",
    "estimated_end_date", "budget",
]


def post_details(client, **overrides):
    return client.post(NEW_URL, details_post(**overrides))


def assert_refused(response, drafts_redis, field, message, label):
    """The step is shown again (no redirect), nothing is stored, the summary links to the field."""
    assert response.status_code == 200, response.get("Location")
    assert drafts_redis.dbsize() == 0, "a refused step 1 must not create a draft"
    assert (f"#id_details-{field}", f"{label}: {message}") in summary_links(response), summary_links(response)
    assert f'id="id_details-{field}"' in page(response), "the summary links to an element that is not there"
    assert response.content.decode().count("There is a problem") == 1
    # The message is also next to the field itself.
    assert html.escape(message) in page(response).split('id="step-form"', 1)[1]


def assert_typed_values_kept(response, typed):
    for name in TEXT_INPUTS:
        if name in typed and typed[name] is not None:
            assert (input_value(response, f"details-{name}") or "") == typed[name], name


def assert_accepted(response, drafts_redis, field=None, value=None):
    assert response.status_code == 302, summary_links(response)
    draft_id = draft_id_from(response)
    assert response["Location"] == step_url(draft_id, "requirements")
    assert drafts_redis.dbsize() > 0
    draft = load_draft(draft_id)
    assert draft.validation == {"details": True}
    if field is not None:
        assert draft.step_values("details")[field] == [value]
    return draft_id


REFUSED = [
    # field, typed value (None = left out of the POST), message, label
    ("project_name", None, "Enter a project name.", "Project name"),
    ("project_name", "", "Enter a project name.", "Project name"),
    ("project_name", "   \t ", "Enter a project name.", "Project name"),
    ("project_name", "x" * 101, "The project name must be 100 characters or fewer (it has 101).", "Project name"),
    ("building_type", None, "Choose a building type.", "Building type"),
    ("building_type", "", "Choose a building type.", "Building type"),
    ("building_type", "castle", "Select a valid choice. castle is not one of the available choices.", "Building type"),
    ("square_footage", None, "Enter the square footage.", "Square footage"),
    ("square_footage", "", "Enter the square footage.", "Square footage"),
    ("square_footage", "0", "Square footage must be more than 0.", "Square footage"),
    ("square_footage", "0.00", "Square footage must be more than 0.", "Square footage"),
    ("square_footage", "-1", "Square footage must be more than 0.", "Square footage"),
    ("square_footage", "-0.01", "Square footage must be more than 0.", "Square footage"),
    ("square_footage", "1000000", "Square footage must be less than 1,000,000.", "Square footage"),
    ("square_footage", "1,000,000", "Square footage must be less than 1,000,000.", "Square footage"),
    ("square_footage", "1000000.01", "Square footage must be less than 1,000,000.", "Square footage"),
    ("square_footage", "0.001", "Ensure that there are no more than 2 decimal places.", "Square footage"),
    ("square_footage", "twelve", "Enter the square footage as a number, like 12500.", "Square footage"),
    ("square_footage", "12.5.0", "Enter the square footage as a number, like 12500.", "Square footage"),
    ("square_footage", "NaN", "Enter the square footage as a number, like 12500.", "Square footage"),
    ("square_footage", "sNaN", "Enter the square footage as a number, like 12500.", "Square footage"),
    ("square_footage", "Infinity", "Enter the square footage as a number, like 12500.", "Square footage"),
    ("square_footage", "-inf", "Enter the square footage as a number, like 12500.", "Square footage"),
    ("number_of_floors", "0", "The number of floors must be between 1 and 500.", "Number of floors"),
    ("number_of_floors", "501", "The number of floors must be between 1 and 500.", "Number of floors"),
    ("number_of_floors", "2.5", "Enter the number of floors as a whole number, like 6.", "Number of floors"),
    ("number_of_zones", "0", "The number of zones must be between 1 and 10,000.", "Number of zones"),
    ("number_of_zones", "10001", "The number of zones must be between 1 and 10,000.", "Number of zones"),
    ("client_email", "not-an-email", "Enter the client email in the format name@example.com.", "Client email"),
    ("client_email", "a@b", "Enter the client email in the format name@example.com.", "Client email"),
    ("client_email", "name@@example.com", "Enter the client email in the format name@example.com.", "Client email"),
    ("client_phone", "call me", "Enter a phone number like +44 20 7946 0000 or (555) 010-0000.", "Client phone"),
    ("estimated_start_date", "2027-02-30", "Enter the start date as a real date, like 2027-03-31.", "Estimated start date"),
    ("estimated_end_date", "2027-02-28", "The end date cannot be before the start date: enter a later date, or leave it empty.", "Estimated end date"),
    ("budget", "-1", "The budget cannot be negative.", "Budget"),
    ("budget", "-0.01", "The budget cannot be negative.", "Budget"),
    ("budget", "lots", "Enter the budget as a number, like 250000.", "Budget"),
    ("budget", "NaN", "Enter the budget as a number, like 250000.", "Budget"),
    ("budget", "1000000000000", "Ensure that there are no more than 12 digits before the decimal point.", "Budget"),
    ("priority", None, "Choose a priority.", "Priority"),
    ("priority", "urgent", "Select a valid choice. urgent is not one of the available choices.", "Priority"),
    ("priority", "MEDIUM", "Select a valid choice. MEDIUM is not one of the available choices.", "Priority"),
]


@pytest.mark.parametrize(
    "field,value,message,label", REFUSED, ids=[f"{f}={v!r}"[:60] for f, v, _, _ in REFUSED]
)
def test_it_refuses_an_invalid_detail_and_says_why(client, drafts_redis, field, value, message, label):
    response = post_details(client, **{field: value})

    assert_refused(response, drafts_redis, field, message, label)
    assert summary_links(response) == [(f"#id_details-{field}", f"{label}: {message}")]
    assert response["Content-Type"].startswith("text/html")
    assert "<title>Error: Project details" in page(response)
    typed = dict(VALID_DETAILS, **{field: value})
    assert_typed_values_kept(response, typed)
    # Submitting the page as shown sends back exactly what was typed (a value that is not one of
    # the choices cannot be shown as chosen).
    shown = {key: values for key, values in form_data(response).items() if key.startswith("details-")}
    posted = details_post(**{field: value})
    expected = {}
    for name in VALID_DETAILS:
        key = f"details-{name}"
        if key in posted:
            expected[key] = [posted[key]]
        elif name != "priority":  # an unticked radio group sends nothing
            expected[key] = [""]
    if field in ("building_type", "priority"):
        shown.pop(f"details-{field}", None), expected.pop(f"details-{field}", None)
    assert shown == expected


ACCEPTED = [
    ("project_name", "x" * 100),
    ("project_name", "  Harbour  "),
    ("building_type", "data_center"),
    ("building_type", "other"),
    ("square_footage", "0.01"),
    ("square_footage", "999999.99"),
    ("square_footage", "999,999.99"),
    ("square_footage", "12,500"),
    ("square_footage", " 12 500 "),
    ("number_of_floors", "1"),
    ("number_of_floors", "500"),
    ("number_of_floors", ""),
    ("number_of_zones", "1"),
    ("number_of_zones", "10000"),
    ("number_of_zones", ""),
    ("client_email", ""),
    ("client_email", "first.last+wizard@sub.example.co.uk"),
    ("client_phone", ""),
    ("client_phone", "+44 20 7946 0000"),
    ("client_phone", "555-010-0000"),
    ("client_phone", "(555) 010-0000"),
    ("estimated_end_date", "2027-03-01"),  # the same day as the start
    ("estimated_start_date", ""),
    ("budget", ""),
    ("budget", "0"),
    ("budget", "$ 250,000.50"),
    ("budget", "999999999999.99"),
    ("priority", "low"),
    ("priority", "medium"),
    ("priority", "high"),
]


@pytest.mark.parametrize("field,value", ACCEPTED, ids=[f"{f}={v!r}"[:60] for f, v in ACCEPTED])
def test_it_accepts_a_valid_detail_and_creates_the_draft(client, drafts_redis, field, value):
    response = post_details(client, **{field: value})

    assert_accepted(response, drafts_redis, field, value)


def test_it_accepts_the_phone_format_its_error_message_suggests(client, drafts_redis):
    refused = post_details(client, client_phone="call me")
    example = re.search(r"or (\(555\) 010-0000)\.", page(refused)).group(1)

    response = post_details(client, client_phone=example)

    assert_accepted(response, drafts_redis, "client_phone", example)


def test_it_accepts_the_optional_details_left_out(client, drafts_redis):
    optional = {
        name: None
        for name in (
            "project_description", "number_of_floors", "number_of_zones", "client_name",
            "client_email", "client_phone", "project_location", "estimated_start_date",
            "estimated_end_date", "budget",
        )
    }
    response = post_details(client, **optional)

    assert_accepted(response, drafts_redis)


def test_it_reads_friendly_numbers_as_their_value(owner_client):
    project = commit_project(owner_client, square_footage="12,500", budget="$ 1 200.50")

    assert project.square_footage == Decimal("12500")
    assert project.budget == Decimal("1200.50")


def test_it_shows_every_problem_at_once_and_keeps_what_was_typed(client, drafts_redis):
    typed = {
        "project_name": "Harbour <Annex> & \"Co\"",
        "square_footage": "abc",
        "client_email": "nobody",
        "estimated_start_date": "2027-05-01",
        "estimated_end_date": "2027-04-30",
        "budget": "-5",
        "project_description": "Line one\nLine <two>",
        "building_type": "healthcare",
        "priority": "low",
    }
    response = post_details(client, **typed)

    assert response.status_code == 200
    assert drafts_redis.dbsize() == 0
    assert sorted(href for href, _ in summary_links(response)) == [
        "#id_details-budget",
        "#id_details-client_email",
        "#id_details-estimated_end_date",
        "#id_details-square_footage",
    ]
    assert "There are 4 problems" in page(response)
    assert_typed_values_kept(response, dict(VALID_DETAILS, **typed))
    content = page(response)
    assert "Line one\nLine &lt;two&gt;</textarea>" in content
    assert '<option value="healthcare" selected>' in content
    assert re.search(r'<input type="radio" name="details-priority" value="low"[^>]*\bchecked', content)
    assert "<Annex>" not in content  # escaped, never raw HTML


def test_it_lists_no_draft_after_a_refused_first_step(client, drafts_redis):
    post_details(client, square_footage="0")
    post_details(client, project_name="")

    assert drafts_redis.dbsize() == 0
    response = client.get(reverse("projects:drafts"))
    assert response.status_code == 200
    assert "Harbour Office Retrofit" not in page(response)


def test_it_creates_a_project_with_the_lowest_accepted_values(owner_client):
    low = dict(
        square_footage="0.01", budget="0", number_of_floors="1", number_of_zones="1",
        estimated_start_date="2027-03-01", estimated_end_date="2027-03-01", priority="low",
    )
    project = commit_project(owner_client, **low)

    assert str(project.square_footage) == "0.01"
    assert project.budget == 0
    assert project.number_of_floors == 1 and project.number_of_zones == 1
    assert project.estimated_start_date == project.estimated_end_date
    assert project.priority == "low"


def test_it_creates_a_project_with_the_highest_accepted_values(owner_client):
    high = dict(
        project_name="x" * 100, square_footage="999,999.99", budget="999999999999.99",
        number_of_floors="500", number_of_zones="10000",
    )
    project = commit_project(owner_client, **high)

    assert project.project_name == "x" * 100
    assert str(project.square_footage) == "999999.99"
    assert str(project.budget) == "999999999999.99"
    assert (project.number_of_floors, project.number_of_zones) == (500, 10000)


def commit_project(client, **details):
    draft_id = start_draft(client, **details)
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("spec.pdf", pdf_bytes())], **management("requirements")},
    )
    assert response.status_code == 302
    response = client.post(step_url(draft_id, "sources"), sources_post())
    assert response.status_code == 302
    response = confirm(client, draft_id)
    assert response.status_code == 302, summary_links(response)
    project = Project.objects.get(draft_id=draft_id)
    assert response["Location"] == project.get_absolute_url()
    return project
