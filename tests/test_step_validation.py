"""Validation of the wizard's steps, through the test client as a browser would submit them.

Step 1 ``details``: both sides of every bound, what the page says when a value is refused, and that
a refused first step stores nothing. Step 3 ``sources``: the connector formset. Step 4 ``review``:
the confirmation box.
"""

import html
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from projects.models import DataConnector, Project
from sessions_store.store import get_draft_store

from .conftest import pdf_bytes, upload
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


def load_draft(draft_id):
    draft, _ = get_draft_store().load(draft_id, slide=False)
    assert draft is not None, f"draft {draft_id} is not in Redis"
    return draft


def page(response):
    return response.content.decode()


def summary_links(response):
    """(href, text) of every link in the error summary at the top of the page."""
    match = re.search(r'<div class="error-summary".*?</div>', page(response), re.S)
    if match is None:
        return []
    return [
        (href, html.unescape(text))
        for href, text in re.findall(r'<li><a href="([^"]*)">(.*?)</a></li>', match.group(0), re.S)
    ]


def input_tag(response, name):
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page(response))
    assert match, f"no <input name={name!r}> on the page"
    return match.group(0)


def input_value(response, name):
    match = re.search(r'\bvalue="([^"]*)"', input_tag(response, name))
    return html.unescape(match.group(1)) if match else None


class _FormReader(HTMLParser):
    """What a browser would submit from the form ``form_id`` as shown (buttons and files left out)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select = self._textarea = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._add(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select = (a.get("name"), [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value") or "", "selected" in a))
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self._add(name, chosen[-1])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._add(name, text[1:] if text.startswith("\n") else text)
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_data(response, form_id="step-form"):
    reader = _FormReader(form_id)
    reader.feed(page(response))
    return reader.fields


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
    ("number_of_floors", "0", "Ensure this value is greater than or equal to 1.", "Number of floors"),
    ("number_of_floors", "501", "Ensure this value is less than or equal to 500.", "Number of floors"),
    ("number_of_floors", "2.5", "Enter a whole number.", "Number of floors"),
    ("number_of_zones", "0", "Ensure this value is greater than or equal to 1.", "Number of zones"),
    ("number_of_zones", "10001", "Ensure this value is less than or equal to 10000.", "Number of zones"),
    ("client_email", "not-an-email", "Enter the client email in the format name@example.com.", "Client email"),
    ("client_email", "a@b", "Enter the client email in the format name@example.com.", "Client email"),
    ("client_email", "name@@example.com", "Enter the client email in the format name@example.com.", "Client email"),
    ("client_phone", "call me", "Enter a phone number like +44 20 7946 0000 or (555) 010-0000.", "Client phone"),
    ("estimated_start_date", "2027-02-30", "Enter the start date as a real date, like 2027-03-31.", "Estimated start date"),
    ("estimated_end_date", "2027-02-28", "The end date cannot be before the start date.", "Estimated end date"),
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


# --- Step 3: sources ------------------------------------------------------------------------------

@pytest.fixture
def sources_draft(owner_client, pdf):
    """A draft whose steps 1 and 2 are done: the user is on step 3."""
    draft_id = start_draft(owner_client)
    response = owner_client.post(
        step_url(draft_id, "requirements"), {"requirements-documents": [pdf()], **management("requirements")}
    )
    assert response["Location"] == step_url(draft_id, "sources")
    return draft_id


def post_sources(client, draft_id, connectors=(), **extra):
    data = sources_post(connectors=connectors)
    data.update(extra)
    return client.post(step_url(draft_id, "sources"), data)


def review_connectors(client, draft_id):
    response = client.get(step_url(draft_id, "review"))
    assert response.status_code == 200
    match = re.search(r"<dt>Connectors</dt><dd>(.*?)</dd>", page(response), re.S)
    assert match, "no Connectors row on the review page"
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [html.unescape(item) for item in items] or [html.unescape(match.group(1).strip())]


def assert_sources_not_saved(draft_id):
    draft = load_draft(draft_id)
    assert not draft.validation.get("sources")
    assert "sources" not in draft.wizard["step_data"]


CONNECTOR_LABELS = {
    "website": "Website or web page",
    "google_drive": "Google Drive folder",
    "sharepoint": "SharePoint / OneDrive",
    "dropbox": "Dropbox folder",
    "s3": "Amazon S3 bucket",
    "rest_api": "REST API endpoint",
}


def test_it_offers_every_connector_type(owner_client, sources_draft):
    response = owner_client.get(step_url(sources_draft, "sources"))

    assert response.status_code == 200
    options = re.findall(
        r'<option value="([^"]*)"[^>]*>([^<]*)</option>',
        re.search(r'<select name="sources-connectors-0-connector_type".*?</select>', page(response), re.S).group(0),
    )
    assert options == [("", "Choose a type")] + list(CONNECTOR_LABELS.items())


VALID_TARGETS = [
    ("website", "https://example.com/specs"),
    ("website", "http://intranet.example.com:8080/a?b=c"),
    ("google_drive", "https://drive.google.com/drive/folders/abc"),
    ("google_drive", "https://docs.google.com/spreadsheets/d/xyz/edit"),
    ("sharepoint", "https://contoso.sharepoint.com/sites/Projects/Shared%20Documents"),
    ("sharepoint", "https://onedrive.live.com/?id=123"),
    ("dropbox", "https://www.dropbox.com/sh/abc/def"),
    ("dropbox", "https://dropbox.com/scl/fo/abc"),
    ("s3", "s3://my-bucket/drawings/"),
    ("s3", "s3://abc"),
    ("s3", "s3://my.bucket-2024"),
    ("rest_api", "https://api.example.com/v1/buildings"),
]


@pytest.mark.parametrize("kind,target", VALID_TARGETS, ids=[f"{k}:{t}"[:60] for k, t in VALID_TARGETS])
def test_it_accepts_a_valid_connector(owner_client, sources_draft, kind, target):
    response = post_sources(owner_client, sources_draft, [(kind, target)])

    assert response.status_code == 302, summary_links(response)
    assert response["Location"] == step_url(sources_draft, "review")
    assert load_draft(sources_draft).validation.get("sources") is True
    assert review_connectors(owner_client, sources_draft) == [f"{CONNECTOR_LABELS[kind]}: {target}"]


INVALID_TARGETS = [
    ("website", "example.com", "Enter a web address starting with https://."),
    ("website", "ftp://example.com/file", "Enter a web address starting with https://."),
    ("website", "javascript:alert(1)", "Enter a web address starting with https://."),
    ("website", "https://", "Enter a web address starting with https://."),
    ("google_drive", "http://drive.google.com/drive/folders/abc", "Enter a link starting with https://drive.google.com/."),
    ("google_drive", "https://drive.google.com.evil.example/x", "Enter a link starting with https://drive.google.com/."),
    ("google_drive", "https://evil.example/drive.google.com/x", "Enter a link starting with https://drive.google.com/."),
    ("google_drive", "drive.google.com/drive/folders/abc", "Enter a link starting with https://drive.google.com/."),
    ("sharepoint", "https://sharepoint.com.evil.example/x", "Enter a link to your-company.sharepoint.com or onedrive.live.com."),
    ("sharepoint", "https://evilsharepoint.com/x", "Enter a link to your-company.sharepoint.com or onedrive.live.com."),
    ("sharepoint", "http://contoso.sharepoint.com/x", "Enter a link to your-company.sharepoint.com or onedrive.live.com."),
    ("dropbox", "https://dropbox.example.com/x", "Enter a link starting with https://www.dropbox.com/."),
    ("dropbox", "http://www.dropbox.com/sh/abc", "Enter a link starting with https://www.dropbox.com/."),
    ("s3", "https://my-bucket.s3.amazonaws.com/x", "Enter a bucket address like s3://my-bucket/drawings/."),
    ("s3", "s3://ab", "Enter a bucket address like s3://my-bucket/drawings/."),
    ("s3", "s3://My_Bucket/x", "Enter a bucket address like s3://my-bucket/drawings/."),
    ("s3", "s3://-bucket", "Enter a bucket address like s3://my-bucket/drawings/."),
    ("s3", "s3://key:secret@bucket/x", "Enter a bucket address like s3://my-bucket/drawings/."),
    ("s3", "my-bucket", "Enter a bucket address like s3://my-bucket/drawings/."),
    ("rest_api", "http://api.example.com/v1", "Enter an https:// endpoint."),
    ("rest_api", "api.example.com/v1", "Enter an https:// endpoint."),
]


@pytest.mark.parametrize(
    "kind,target,message", INVALID_TARGETS, ids=[f"{k}:{t}"[:60] for k, t, _ in INVALID_TARGETS]
)
def test_it_refuses_a_target_that_does_not_fit_the_connector_type(owner_client, sources_draft, kind, target, message):
    response = post_sources(owner_client, sources_draft, [(kind, target)])

    assert response.status_code == 200
    assert summary_links(response) == [("#id_sources-connectors-0-target", f"Connector 1: {message}")]
    assert input_value(response, "sources-connectors-0-target") == target
    assert re.search(rf'<option value="{kind}" selected>', page(response))
    assert_sources_not_saved(sources_draft)


CREDENTIALS = [
    ("website", "https://user:secret@example.com/specs"),
    ("website", "https://token@example.com/specs"),
    ("google_drive", "https://me:pw@drive.google.com/drive/folders/abc"),
    ("sharepoint", "https://me:pw@contoso.sharepoint.com/sites/x"),
    ("dropbox", "https://me@www.dropbox.com/sh/abc"),
    ("rest_api", "https://apikey:x@api.example.com/v1"),
]


@pytest.mark.parametrize("kind,target", CREDENTIALS, ids=[f"{k}:{t}"[:60] for k, t in CREDENTIALS])
def test_it_refuses_credentials_in_a_link(owner_client, sources_draft, kind, target):
    response = post_sources(owner_client, sources_draft, [(kind, target)])

    assert response.status_code == 200
    assert summary_links(response) == [
        ("#id_sources-connectors-0-target", "Connector 1: Do not put a username or password in the link.")
    ]
    assert_sources_not_saved(sources_draft)


def test_it_asks_for_the_missing_half_of_a_connector(owner_client, sources_draft):
    response = post_sources(
        owner_client, sources_draft, [("google_drive", ""), ("", "https://example.com/specs")]
    )

    assert response.status_code == 200
    assert summary_links(response) == [
        ("#id_sources-connectors-0-target", "Connector 1: Enter the URL or identifier for this connector."),
        ("#id_sources-connectors-1-connector_type", "Connector 2: Choose a connector type."),
    ]
    assert input_value(response, "sources-connectors-1-target") == "https://example.com/specs"
    assert_sources_not_saved(sources_draft)


def test_it_refuses_a_duplicate_connector(owner_client, sources_draft):
    url = "https://drive.google.com/drive/folders/abc"
    response = post_sources(
        owner_client, sources_draft, [("google_drive", url), ("dropbox", "https://www.dropbox.com/sh/a"), ("google_drive", f"  {url} ")]
    )

    assert response.status_code == 200
    assert summary_links(response) == [
        ("#id_sources-connectors-2-target", "Connector 3: This connector is already in the list.")
    ]
    assert_sources_not_saved(sources_draft)


def test_it_accepts_a_duplicate_that_is_marked_for_removal(owner_client, sources_draft):
    url = "https://drive.google.com/drive/folders/abc"
    response = post_sources(
        owner_client, sources_draft, [("google_drive", url), ("google_drive", url)],
        **{"sources-connectors-1-DELETE": "on"},
    )

    assert response.status_code == 302, summary_links(response)
    assert review_connectors(owner_client, sources_draft) == [f"Google Drive folder: {url}"]


def test_it_accepts_an_invalid_row_that_is_marked_for_removal(owner_client, sources_draft):
    response = post_sources(
        owner_client, sources_draft, [("dropbox", "not a link"), ("s3", "s3://my-bucket/")],
        **{"sources-connectors-0-DELETE": "on"},
    )

    assert response.status_code == 302, summary_links(response)
    assert review_connectors(owner_client, sources_draft) == ["Amazon S3 bucket: s3://my-bucket/"]


def test_it_accepts_the_same_address_under_two_types_and_two_addresses_of_one_type(owner_client, sources_draft):
    rows = [
        ("website", "https://drive.google.com/drive/folders/abc"),
        ("google_drive", "https://drive.google.com/drive/folders/abc"),
        ("google_drive", "https://drive.google.com/drive/folders/def"),
    ]
    response = post_sources(owner_client, sources_draft, rows)

    assert response.status_code == 302, summary_links(response)
    assert len(review_connectors(owner_client, sources_draft)) == 3


def test_it_ignores_blank_connector_rows(owner_client, sources_draft):
    rows = [
        ("", ""),
        ("google_drive", "https://drive.google.com/drive/folders/abc"),
        ("", "   "),
        ("s3", " s3://my-bucket/drawings/ "),
        ("", ""),
    ]
    response = post_sources(owner_client, sources_draft, rows)

    assert response.status_code == 302, summary_links(response)
    assert review_connectors(owner_client, sources_draft) == [
        "Google Drive folder: https://drive.google.com/drive/folders/abc",
        "Amazon S3 bucket: s3://my-bucket/drawings/",
    ]
    response = confirm(owner_client, sources_draft)
    assert response.status_code == 302
    project = Project.objects.get(draft_id=sources_draft)
    assert list(project.connectors.values_list("position", "connector_type", "target")) == [
        (0, "google_drive", "https://drive.google.com/drive/folders/abc"),
        (1, "s3", "s3://my-bucket/drawings/"),
    ]


def test_it_accepts_no_connector_at_all(owner_client, sources_draft):
    response = post_sources(owner_client, sources_draft, [("", "")])

    assert response.status_code == 302
    assert review_connectors(owner_client, sources_draft) == ["None"]
    assert confirm(owner_client, sources_draft).status_code == 302
    assert DataConnector.objects.count() == 0


def test_it_adds_a_connector_row_without_losing_or_storing_anything(owner_client, sources_draft):
    before = load_draft(sources_draft)
    rows = [("google_drive", "https://drive.google.com/drive/folders/abc"), ("dropbox", "not a link")]

    response = post_sources(owner_client, sources_draft, rows, add_connector="1")

    assert response.status_code == 200
    content = page(response)
    assert input_value(response, "sources-connectors-TOTAL_FORMS") == "3"
    assert 'id="connector-3"' in content and 'id="connector-4"' not in content
    assert input_value(response, "sources-connectors-0-target") == "https://drive.google.com/drive/folders/abc"
    assert input_value(response, "sources-connectors-1-target") == "not a link"
    assert '<option value="google_drive" selected>' in content
    assert '<option value="dropbox" selected>' in content
    assert input_value(response, "sources-connectors-2-target") is None
    assert "checked" in input_tag(response, "sources-ai_sourcing_enabled")
    # Not a submission: no error shown for the unfinished row, nothing saved.
    assert summary_links(response) == []
    assert "error-message" not in content
    after = load_draft(sources_draft)
    assert after.version == before.version
    assert after.wizard == before.wizard
    assert_sources_not_saved(sources_draft)


def test_it_adds_rows_up_to_the_maximum_only(owner_client, sources_draft):
    rows = [("website", f"https://example.com/{n}") for n in range(20)]

    response = post_sources(owner_client, sources_draft, rows, add_connector="1")

    assert response.status_code == 200
    assert input_value(response, "sources-connectors-TOTAL_FORMS") == "20"
    assert 'id="connector-20"' in page(response) and 'id="connector-21"' not in page(response)


def test_it_saves_the_rows_after_adding_one(owner_client, sources_draft):
    post_sources(owner_client, sources_draft, [("google_drive", "https://drive.google.com/x")], add_connector="1")
    rows = [("google_drive", "https://drive.google.com/x"), ("rest_api", "https://api.example.com/v1")]

    response = post_sources(owner_client, sources_draft, rows)

    assert response.status_code == 302
    assert review_connectors(owner_client, sources_draft) == [
        "Google Drive folder: https://drive.google.com/x",
        "REST API endpoint: https://api.example.com/v1",
    ]


TAMPERED = {
    "missing total": {"sources-connectors-TOTAL_FORMS": None},
    "missing all": {
        "sources-connectors-TOTAL_FORMS": None,
        "sources-connectors-INITIAL_FORMS": None,
        "sources-connectors-MIN_NUM_FORMS": None,
        "sources-connectors-MAX_NUM_FORMS": None,
    },
    "total not a number": {"sources-connectors-TOTAL_FORMS": "abc"},
    "initial not a number": {"sources-connectors-INITIAL_FORMS": "1e3"},
}


def tampered_sources_post(changes):
    """A step-3 POST with one connector and its management form changed (None: removed)."""
    data = sources_post(connectors=[("google_drive", "https://drive.google.com/x")])
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize("changes", TAMPERED.values(), ids=TAMPERED.keys())
def test_it_explains_a_tampered_connector_management_form(owner_client, sources_draft, changes):
    data = tampered_sources_post(changes)

    response = owner_client.post(step_url(sources_draft, "sources"), data)

    assert response.status_code == 200
    links = summary_links(response)
    assert len(links) == 1
    href, text = links[0]
    assert href == "#sources-connectors-list"
    assert 'id="sources-connectors-list"' in page(response)
    assert "The connector list could not be read completely" in text
    assert_sources_not_saved(sources_draft)


@pytest.mark.parametrize("changes", TAMPERED.values(), ids=TAMPERED.keys())
def test_it_lets_the_user_recover_from_a_tampered_management_form(owner_client, sources_draft, changes):
    data = tampered_sources_post(changes)
    response = owner_client.post(step_url(sources_draft, "sources"), data)
    assert response.status_code == 200

    # What was typed is still on the page, and submitting the page as shown saves it.
    shown = form_data(response)
    assert shown.get("sources-connectors-0-target") == ["https://drive.google.com/x"]
    response = owner_client.post(step_url(sources_draft, "sources"), shown)
    assert response.status_code == 302, summary_links(response)
    assert review_connectors(owner_client, sources_draft) == ["Google Drive folder: https://drive.google.com/x"]


def test_it_saves_the_connector_page_as_shown(owner_client, sources_draft):
    shown = form_data(owner_client.get(step_url(sources_draft, "sources")))
    shown["sources-connectors-0-connector_type"] = ["dropbox"]
    shown["sources-connectors-0-target"] = ["https://www.dropbox.com/sh/abc"]

    response = owner_client.post(step_url(sources_draft, "sources"), shown)

    assert response.status_code == 302, summary_links(response)
    assert review_connectors(owner_client, sources_draft) == ["Dropbox folder: https://www.dropbox.com/sh/abc"]


@pytest.mark.parametrize("changes", TAMPERED.values(), ids=TAMPERED.keys())
def test_it_adds_a_row_even_with_a_tampered_management_form(owner_client, sources_draft, changes):
    data = tampered_sources_post(changes)
    data["add_connector"] = "1"

    response = owner_client.post(step_url(sources_draft, "sources"), data)

    assert response.status_code == 200
    assert_sources_not_saved(sources_draft)


def test_it_refuses_more_connectors_than_the_maximum(owner_client, sources_draft):
    rows = [("website", f"https://example.com/{n}") for n in range(21)]

    response = post_sources(owner_client, sources_draft, rows)

    assert response.status_code == 200
    assert summary_links(response) == [("#sources-connectors-list", "Please submit at most 20 forms.")]
    assert_sources_not_saved(sources_draft)


def test_it_refuses_a_forged_huge_total_form_count(owner_client, sources_draft):
    response = post_sources(
        owner_client, sources_draft, [("website", "https://example.com/")],
        **{"sources-connectors-TOTAL_FORMS": "100000"},
    )

    assert response.status_code == 200
    assert ("#sources-connectors-list", "Please submit at most 20 forms.") in summary_links(response)
    assert page(response).count('class="connector-row"') <= 25
    assert_sources_not_saved(sources_draft)


# --- Step 4: review -------------------------------------------------------------------------------

@pytest.fixture
def review_draft(owner_client, sources_draft):
    response = post_sources(owner_client, sources_draft, [("google_drive", "https://drive.google.com/x")])
    assert response["Location"] == step_url(sources_draft, "review")
    return sources_draft


@pytest.mark.parametrize("value", [None, "", "false"])
def test_it_requires_the_confirmation_box(owner_client, review_draft, value):
    data = management("review")
    if value is not None:
        data["review-confirm"] = value

    response = owner_client.post(step_url(review_draft, "review"), data)

    assert response.status_code == 200
    assert summary_links(response) == [
        (
            "#id_review-confirm",
            "I have checked these answers and want to create the project: "
            "Tick the box to confirm you have checked your answers.",
        )
    ]
    assert Project.objects.count() == 0
    assert load_draft(review_draft).validation.get("review") is not True


def test_it_creates_the_project_once_the_box_is_ticked(owner_client, review_draft):
    response = confirm(owner_client, review_draft)

    assert response.status_code == 302
    project = Project.objects.get()
    assert response["Location"] == project.get_absolute_url()
    assert project.connectors.get().target == "https://drive.google.com/x"
