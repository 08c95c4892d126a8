"""Validation of the wizard's steps 3 and 4, through the test client as a browser would submit
them. Step 3 ``sources``: the connector formset (each connector type's addresses, credentials,
missing halves, duplicates, rows added and removed, a tampered management form, the maximum).
Step 4 ``review``: the confirmation box.
"""

import html
import re

import pytest

from projects.models import DataConnector, Project

from .step_form_helpers import form_data, input_tag, input_value, load_draft, page, summary_links
from .wizard_helpers import confirm, management, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db


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
        ("#id_sources-connectors-0-target", "Connector 1: Enter the URL or identifier for this connector, because you chose a connector type. To skip this connector, leave both empty."),
        ("#id_sources-connectors-1-connector_type", "Connector 2: Choose a connector type, because you entered a URL or identifier. To skip this connector, leave both empty."),
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
    assert after.writes == before.writes
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
def test_it_creates_the_project_only_from_its_button(owner_client, review_draft, value):
    data = management("review")
    if value is not None:
        data["review-confirm"] = value

    response = owner_client.post(step_url(review_draft, "review"), data)

    assert response.status_code == 200
    assert summary_links(response) == [
        (
            "#id_review-confirm",
            "Create project: Choose “Create project” to create the project.",
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
