"""Version history: each step's "Earlier versions" page lists what changed, when, and restores an
earlier version as the step's unsubmitted values (itself a new revision, so it can be undone).
Plain forms throughout: it works without JavaScript. Real Redis and a real database."""

import html
import json
import re
from datetime import timedelta, timezone as dt_timezone
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_store import clock

from .wizard_helpers import (
    browser,
    complete_until_review,
    details_post,
    management,
    page_version,
    prefixed,
    sources_post,
    start_draft,
    step_url,
    stored,
    VALID_DETAILS,
)

pytestmark = pytest.mark.django_db

NAME = VALID_DETAILS["project_name"]


def versions_url(draft_id, step="details"):
    return reverse("projects:draft_versions", kwargs={"draft_id": draft_id, "step": step})


def autosave(client, draft_id, step, values, version):
    data = {**values, **management(step), "draft_version": str(version)}
    response = client.post(
        reverse("projects:autosave", kwargs={"draft_id": draft_id, "step": step}),
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.json()["version"]


def rename(client, draft_id, name, *, after=timedelta(minutes=5)):
    """Type a new project name on step 1 (autosaved) some minutes later; the new revision."""
    clock.travel(after)
    version = stored(draft_id).revision
    return autosave(client, draft_id, "details", prefixed("details", {**VALID_DETAILS, "project_name": name}), version)


def page(response, status=200):
    assert response.status_code == status, (response.status_code, response.content.decode()[:2000])
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def restore(client, draft_id, revision, seen, step="details"):
    return client.post(versions_url(draft_id, step), {"revision": str(revision), "draft_version": str(seen)})


def shown_name(client, draft_id):
    match = re.search(r'name="details-project_name"[^>]*value="([^"]*)"', client.get(step_url(draft_id, "details")).content.decode())
    return html.unescape(match.group(1)) if match else None


# --- what is recorded ------------------------------------------------------------------------------

def test_it_records_the_earlier_values_on_autosave_and_on_submit(anonymous):
    draft_id = start_draft(anonymous)
    submitted = stored(draft_id).revision

    typed = rename(anonymous, draft_id, "Typed name")
    form = anonymous.get(step_url(draft_id, "details"))
    anonymous.post(step_url(draft_id, "details"), {**details_post(project_name="Submitted name"), "draft_version": page_version(form)})

    draft = stored(draft_id)
    assert [entry["r"] for entry in draft.history][-2:] == [typed, draft.revision]
    assert draft.values_at(submitted)["details"]["details-project_name"] == [NAME]
    assert draft.values_at(typed)["details"]["details-project_name"] == ["Typed name"]
    assert draft.shown_data("details")["details-project_name"] == ["Submitted name"]


# --- the list --------------------------------------------------------------------------------------

def test_it_offers_earlier_versions_on_a_step_only_once_it_has_some(anonymous):
    draft_id = start_draft(anonymous)
    assert "Earlier versions of this step" not in page(anonymous.get(step_url(draft_id, "details")))

    rename(anonymous, draft_id, "Second name")

    content = page(anonymous.get(step_url(draft_id, "details")))
    assert "Earlier versions of this step" in content
    assert re.search(r'<button type="submit" form="step-form" name="versions" value="1"', content)


def test_its_button_keeps_what_was_typed_without_javascript(anonymous):
    draft_id = start_draft(anonymous)
    rename(anonymous, draft_id, "Second name")
    form = anonymous.get(step_url(draft_id, "details"))

    response = anonymous.post(
        step_url(draft_id, "details"),
        {**details_post(project_name="Typed, never autosaved", square_footage="lots"), "draft_version": page_version(form), "versions": "1"},
    )

    assert response.status_code == 302 and response["Location"] == versions_url(draft_id)
    content = page(anonymous.get(response["Location"]))
    assert "Typed, never autosaved" in content  # the current version: what was on the page
    assert shown_name(anonymous, draft_id) == "Typed, never autosaved"


@pytest.fixture
def in_paris(settings):
    """The site's and this thread's time zone Paris, for the test only (later tests keep UTC)."""
    settings.TIME_ZONE = "Europe/Paris"
    with timezone.override("Europe/Paris"):
        yield


def test_it_lists_versions_newest_first_with_their_local_time_and_changed_fields(anonymous, in_paris):
    draft_id = start_draft(anonymous)
    first = rename(anonymous, draft_id, "Second name")
    long_name = "A very long project name " + "x" * 75  # the field's 100 characters
    rename(anonymous, draft_id, long_name, after=timedelta(hours=2))
    when_first = timezone.localtime(clock.now() - timedelta(hours=2))

    content = page(anonymous.get(versions_url(draft_id)))

    assert "<h1>Earlier versions of “Project details”</h1>" in content
    items = re.findall(r'<li class="version[^"]*" id="version-(\d+)"', content)
    assert [int(r) for r in items][:2] == [first + 1, first]  # newest first
    current, earlier = content.split(f'id="version-{first}"')[0], content.split(f'id="version-{first}"')[1]
    assert "Current version" in current and "Restore this version" not in current.split('id="version-')[-1]
    assert "Project name" in earlier and "“" + NAME + "” → “Second name”" in earlier
    assert when_first.strftime("%H:%M") in earlier
    assert when_first.strftime("%H:%M") != timezone.localtime(clock.now() - timedelta(hours=2), dt_timezone.utc).strftime("%H:%M")
    listed = content.split('<ol class="versions">')[1]
    assert long_name not in listed and "“A very long project name xxx" in listed  # shortened
    assert 'value="%d"' % first in earlier and "Restore this version" in earlier


def test_it_names_connector_rows_and_shows_choices_as_their_labels(signed_in, pdf):
    draft_id = complete_until_review(signed_in, [pdf()], connectors=[("google_drive", "https://drive.google.com/drive/folders/a")])
    form = signed_in.get(step_url(draft_id, "sources"))
    clock.travel(timedelta(minutes=3))
    autosave(signed_in, draft_id, "sources", sources_post(ai=False, connectors=[("google_drive", "https://drive.google.com/drive/folders/a"), ("sharepoint", "https://sp.example/b")]), page_version(form))

    content = page(signed_in.get(versions_url(draft_id, "sources")))

    assert "Connector 2" in content and "SharePoint / OneDrive: https://sp.example/b" in content
    assert "Let AI find relevant public data sources" in content and "Yes → No" in content
    assert "sources-connectors" not in content


# --- restoring, and undoing it -----------------------------------------------------------------

def test_it_restores_a_version_as_unsubmitted_values_and_the_restore_can_be_undone(signed_in, pdf):
    draft_id = complete_until_review(signed_in, [pdf()])
    submitted = stored(draft_id).revision
    form = signed_in.get(step_url(draft_id, "details"))
    signed_in.post(step_url(draft_id, "details"), {**details_post(project_name="Renamed"), "draft_version": page_version(form), "return_to_review": "1"})
    seen = stored(draft_id).revision

    response = restore(signed_in, draft_id, submitted, seen)

    assert response.status_code == 302 and response["Location"] == step_url(draft_id, "details")
    content = page(signed_in.get(response["Location"]))
    assert shown_name(signed_in, draft_id) == NAME
    assert "Version of" in content and "restored" in content
    assert "not submitted" in content and "Save and continue" in content
    draft = stored(draft_id)
    assert draft.revision == seen + 1
    assert draft.pending["details"]["data"]["details-project_name"] == [NAME]
    assert draft.wizard["step_data"]["details"]["details-project_name"] == ["Renamed"]  # until submitted again

    # The restore is a version of its own: restoring the one before it undoes it.
    listed = page(signed_in.get(versions_url(draft_id)))
    assert f'id="version-{seen + 1}"' in listed and f'value="{seen}"' in listed
    undo = restore(signed_in, draft_id, seen, seen + 1)
    assert undo.status_code == 302
    assert shown_name(signed_in, draft_id) == "Renamed"
    assert "details" not in stored(draft_id).pending  # back to the submitted values: nothing unsubmitted


def test_it_refuses_a_restore_from_a_stale_versions_page_and_shows_the_fresh_list(anonymous):
    draft_id = start_draft(anonymous)
    first = rename(anonymous, draft_id, "Second name")
    shown = page_revision(anonymous.get(versions_url(draft_id)))
    newest = rename(anonymous, draft_id, "Typed in another tab")

    response = restore(anonymous, draft_id, first - 1, shown)

    content = page(response, 409)
    assert "changed since" in content and "Nothing was restored" in content
    assert f'id="version-{newest}"' in content and page_revision(response) == str(newest)
    assert stored(draft_id).shown_data("details")["details-project_name"] == ["Typed in another tab"]


def test_it_refuses_a_version_older_than_the_history(anonymous, settings):
    settings.DRAFT_HISTORY_REVISIONS = 2
    draft_id = start_draft(anonymous)
    for number in range(4):
        rename(anonymous, draft_id, f"Name {number}")
    draft = stored(draft_id)
    assert draft.history_base > 1

    response = restore(anonymous, draft_id, 1, draft.revision)

    content = page(response, 409)
    assert "no longer kept" in content
    assert stored(draft_id).revision == draft.revision
    assert page(restore(anonymous, draft_id, "x", draft.revision), 409).count("no longer kept") == 1


def test_it_shows_and_restores_versions_to_the_owner_only(anonymous, signed_in, other_user):
    draft_id = start_draft(signed_in)
    first = rename(signed_in, draft_id, "Second name")
    others = [anonymous, browser(other_user)]

    for client in others:
        assert client.get(versions_url(draft_id)).status_code == 404
        assert restore(client, draft_id, first - 1, first).status_code == 404
    assert stored(draft_id).shown_data("details")["details-project_name"] == ["Second name"]
    assert signed_in.get(versions_url(draft_id, "review")).status_code == 404
    assert signed_in.get(versions_url(draft_id, "nope")).status_code == 404


# --- bounds ----------------------------------------------------------------------------------------

def test_it_keeps_at_most_the_configured_number_of_revisions(anonymous, settings):
    settings.DRAFT_HISTORY_REVISIONS = 3
    draft_id = start_draft(anonymous)
    for number in range(6):
        last = rename(anonymous, draft_id, f"Name {number}")

    draft = stored(draft_id)
    assert len(draft.history) == 3
    assert draft.values_at(last - 3)["details"]["details-project_name"] == ["Name 2"]
    assert draft.values_at(last - 4) is None
    content = page(anonymous.get(versions_url(draft_id)))
    assert len(re.findall(r"<li class=\"version", content)) == 4  # and the version before the oldest change


def test_it_bounds_the_history_in_bytes_of_utf8_and_the_record_below_the_maximum(anonymous, settings):
    settings.DRAFT_HISTORY_BYTES = 2000
    draft_id = start_draft(anonymous)
    for number in range(20):
        # Three bytes a character in UTF-8.
        rename(anonymous, draft_id, f"{number} " + "漢" * 95)

    draft = stored(draft_id)
    assert 1 < len(draft.history) < 20
    assert len(json.dumps(draft.history, ensure_ascii=False, separators=(",", ":")).encode()) <= 2000
    assert len(draft.to_json().encode()) <= settings.SESSION_MAX_BYTES


def test_a_full_default_history_keeps_the_record_below_the_maximum(anonymous, settings):
    draft_id = start_draft(anonymous)
    for number in range(30):
        rename(anonymous, draft_id, f"Name {number} " + "words " * 15)

    draft = stored(draft_id)
    assert len(draft.history) == settings.DRAFT_HISTORY_REVISIONS
    assert len(draft.to_json().encode()) <= settings.SESSION_MAX_BYTES


def test_the_versions_page_and_a_restore_cost_at_most_two_round_trips(anonymous, round_trips):  # noqa: F811
    draft_id = start_draft(anonymous)
    first = rename(anonymous, draft_id, "Second name")

    round_trips.clear()
    assert anonymous.get(versions_url(draft_id)).status_code == 200
    assert len(round_trips) <= 2, round_trips
    round_trips.clear()
    assert restore(anonymous, draft_id, first - 1, first).status_code == 302
    assert len(round_trips) <= 2, round_trips


def page_revision(response):
    match = re.search(r'name="draft_version" value="(\d+)"', response.content.decode())
    assert match, "the versions page carries no draft_version"
    return match.group(1)
