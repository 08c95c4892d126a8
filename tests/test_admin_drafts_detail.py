"""Staff review of drafts in Django admin: the read-only detail page (every answer, the metadata
and dates, the expiry Redis applies), its file downloads and who may have them, and drafts that
are gone. Real Redis and real uploads; the users and helpers are in admin_helpers.py.
"""

import html
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.test import Client

from .admin_helpers import (
    CONNECTORS,
    LIST_URL,
    WINDOWS_UA,
    attach,
    browser,
    draft_key,
    local,
    logged_in,
    messages_of,
    record,
    rows,
    text,
)
from .admin_helpers import (  # noqa: F401 (fixtures)
    day_long_drafts,
    non_staff,
    staff_viewer,
    staff_without_permission,
    superuser,
)
from .conftest import pdf_bytes, upload
from .wizard_helpers import VALID_DETAILS, expire_for_real, management, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db


# --- the detail page --------------------------------------------------------------------------------

def readonly_rows(response):
    """(label, value) pairs of the detail page, in page order."""
    content = response.content.decode()
    return [
        (text(label), text(value).replace("\xa0", " "))
        for label, value in re.findall(r'<label>(.*?)</label><div class="readonly">(.*?)</div>', content, re.S)
    ]


@pytest.fixture
def full_draft(owner, pdf):
    """A signed-in user's draft at review: every detail, two documents, two connectors."""
    client = browser(owner)
    draft_id = start_draft(client)
    attach(client, draft_id, pdf("brief.pdf", "Brief"), upload("floors.txt", b"Floor 2: open plan\n", "text/plain"),
           notes="Keep the plant room.")
    response = client.post(step_url(draft_id, "sources"), sources_post(connectors=CONNECTORS))
    assert response["Location"] == step_url(draft_id, "review")
    return draft_id


def test_it_shows_every_answer_of_steps_one_to_three(staff_viewer, full_draft):
    response = logged_in(staff_viewer).get(f"{LIST_URL}{full_draft}/")

    assert response.status_code == 200
    shown = dict(readonly_rows(response))
    labels = {"building_type": "Commercial office", "priority": "High"}  # the choices' labels, not values
    for field, value in VALID_DETAILS.items():
        assert shown[field.replace("_", " ").capitalize()] == labels.get(field, value), field
    assert shown["Notes on the requirements"] == "Keep the plant room."
    assert shown["Let AI find relevant public data sources"] == "on"
    assert shown["Connector 1"] == "Google Drive folder: https://drive.google.com/drive/folders/abc"
    assert shown["Connector 2"] == "Amazon S3 bucket: s3://harbour-bucket/drawings/"
    assert "Connector 3" not in shown
    assert shown["Owner"] == "owner"
    assert shown["Progress"] == "Step 4 of 4 (75% complete)"
    content = response.content.decode()
    for title in ("Project details — complete", "Requirements documents — complete", "Data sources — complete"):
        assert title in content
    assert "Review &amp; create —" not in content


def test_it_shows_the_metadata_and_the_dates(staff_viewer, full_draft, drafts_redis):
    stored = record(drafts_redis, full_draft)

    shown = dict(readonly_rows(logged_in(staff_viewer).get(f"{LIST_URL}{full_draft}/")))

    assert shown["Draft id"] == full_draft
    assert shown["IP address"] == "203.0.113.7"
    assert shown["User agent"] == WINDOWS_UA
    assert shown["Platform"] == "Windows"
    assert shown["Created"] == local(stored["created_at"], "%Y-%m-%d %H:%M:%S UTC")
    assert shown["Last activity"] == local(stored["last_activity"], "%Y-%m-%d %H:%M:%S UTC")
    expires, in_words = re.fullmatch(r"(.+ UTC) \(in (.+)\)", shown["Expires"]).groups()
    shown_expiry = datetime.strptime(expires, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=timezone.utc)
    assert abs(shown_expiry - datetime.fromisoformat(stored["expires_at"])) < timedelta(seconds=2)
    assert in_words == "23 hours, 59 minutes"


def test_it_shows_the_expiry_redis_will_apply_on_the_detail_page(staff_viewer, owner, frozen_clock):
    owner_browser = browser(owner)
    draft_id = start_draft(owner_browser)
    frozen_clock.travel(timedelta(hours=10))
    assert owner_browser.get(step_url(draft_id, "requirements")).status_code == 200  # a read: the TTL slides
    client = logged_in(staff_viewer)

    [row] = rows(client.get(LIST_URL))
    shown = dict(readonly_rows(client.get(f"{LIST_URL}{draft_id}/")))

    assert row["expires_in"] == "23 hours, 59 minutes"
    assert shown["Expires"].endswith("(in 23 hours, 59 minutes)")


def file_links(response, draft_id):
    return dict(
        (html.unescape(name), url)
        for url, name in re.findall(
            rf'<a href="({LIST_URL}{draft_id}/files/[^"/]+/)">([^<]+)</a>', response.content.decode()
        )
    )


def test_it_lists_the_documents_with_download_links_that_return_their_bytes(staff_viewer, full_draft):
    client = logged_in(staff_viewer)
    response = client.get(f"{LIST_URL}{full_draft}/")
    links = file_links(response, full_draft)
    assert set(links) == {"brief.pdf", "floors.txt"}
    assert "application/pdf" in response.content.decode()

    download = client.get(links["brief.pdf"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes("Brief")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="brief.pdf"'

    download = client.get(links["floors.txt"])
    assert b"".join(download.streaming_content) == b"Floor 2: open plan\n"

    assert client.get(f"{LIST_URL}{full_draft}/files/not-a-file/").status_code == 404
    assert client.get(f"{LIST_URL}{uuid.uuid4()}/files/not-a-file/").status_code == 404


def test_it_refuses_downloads_to_anyone_who_may_not_view_drafts(
    staff_viewer, staff_without_permission, non_staff, full_draft
):
    url = file_links(logged_in(staff_viewer).get(f"{LIST_URL}{full_draft}/"), full_draft)["brief.pdf"]

    assert logged_in(staff_without_permission).get(url).status_code == 403
    for client in (logged_in(non_staff), Client()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("how", ["never existed", "deleted", "expired"])
def test_it_sends_staff_back_to_the_list_for_a_draft_that_is_gone(how, staff_viewer, owner, drafts_redis):
    draft_id = str(uuid.uuid4())
    if how != "never existed":
        draft_id = start_draft(browser(owner))
        if how == "deleted":
            drafts_redis.delete(draft_key(drafts_redis, draft_id))
        else:
            expire_for_real(drafts_redis, draft_id)

    response = logged_in(staff_viewer).get(f"{LIST_URL}{draft_id}/", follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert messages_of(response) == ["That draft no longer exists (it expired, was committed or deleted)."]


def test_it_has_no_way_to_change_a_users_answers(superuser, full_draft, drafts_redis):
    client = logged_in(superuser)
    url = f"{LIST_URL}{full_draft}/"
    key = draft_key(drafts_redis, full_draft)
    before = drafts_redis.get(key)

    page = client.get(url).content.decode()
    names = set(re.findall(r'<(?:input|button|select|textarea)[^>]*\bname="([^"]+)"', page))
    assert names <= {"csrfmiddlewaretoken", "_selected_action", "back", "action"}, names
    assert "<textarea" not in page and "<select" not in page
    assert [tag for tag in re.findall(r"<input[^>]*>", page) if 'name="' in tag and 'type="hidden"' not in tag] == []
    assert set(re.findall(r'<form[^>]*action="([^"]+)"', page)) <= {LIST_URL, "/admin/logout/"}

    tampering = {
        "details-project_name": "Hacked",
        "project_name": "Hacked",
        "requirements-requirements_notes": "Hacked",
        "_save": "Save",
        **management("details"),
    }
    response = client.post(url, tampering)
    assert response.status_code in (200, 403, 405)
    assert client.post(f"{url}change/", tampering).status_code == 404
    assert client.post(f"{LIST_URL}add/", tampering).status_code in (403, 404, 405)

    assert drafts_redis.get(key) == before
