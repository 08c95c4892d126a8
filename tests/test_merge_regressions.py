"""What a review of issue 10's merges (b) and device-kept saves (a, f) found, each first seen
failing: answers of one side silently dropped, false conflicts, 500s on odd revisions."""

import html
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from .wizard_helpers import (
    VALID_DETAILS,
    details_post,
    management,
    page_version,
    stale_first_tab,
    start_draft,
    step_url,
    stored,
)

pytestmark = pytest.mark.django_db


def autosave_url(draft_id, step):
    return reverse("projects:autosave", kwargs={"draft_id": draft_id, "step": step})


def autosave(client, url, values, version=None):
    data = dict(values)
    if version is not None:
        data["draft_version"] = str(version)
    return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")


def input_value(content, name):
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', content)
    return html.unescape(match.group(1)) if match else None


# --- 1. resolving a conflict drops what the other tab changed in the other fields --------------------

def test_it_keeps_the_other_tabs_untouched_answers_when_a_conflict_page_is_saved_as_shown(signed_in):
    draft_id = start_draft(signed_in)
    # The other tab changes the name AND the client; this tab changes only the name.
    first_tab = stale_first_tab(
        signed_in, draft_id, "details", details_post(project_name="Second tab", client_name="Client from the second tab")
    )

    conflict = signed_in.post(
        step_url(draft_id, "details"), {**details_post(project_name="First tab"), "draft_version": page_version(first_tab)}
    )
    assert conflict.status_code == 409
    content = conflict.content.decode()
    # "Keep mine": the 409 page is submitted as shown, from the latest version it now carries.
    shown = {f"details-{name}": input_value(content, f"details-{name}") for name in VALID_DETAILS if name != "priority"}
    shown = {key: value for key, value in shown.items() if value is not None}
    retry = signed_in.post(
        step_url(draft_id, "details"),
        {**details_post(), **shown, "details-project_name": "First tab", "draft_version": page_version(conflict)},
    )
    assert retry.status_code == 302
    values = stored(draft_id).step_values("details")
    assert values["project_name"] == ["First tab"]
    # Only the other tab changed the client: its answer must survive the conflict's resolution.
    assert values["client_name"] == ["Client from the second tab"]


def test_it_keeps_the_other_tabs_untouched_answers_when_autosave_resolves_a_conflict(signed_in):
    """What autosave.js does on a 409 with conflicts: it takes ``version`` from the answer, keeps the
    form as it is (the 409 carries no merged values), and on "Keep mine" saves the form again."""
    draft_id = start_draft(signed_in)
    version = stored(draft_id).revision
    other = autosave(
        signed_in, autosave_url(draft_id, "details"),
        {**details_post(project_name="Other device", client_name="Client from the other device")}, version,
    )
    assert other.status_code == 200

    mine = {**details_post(project_name="This page")}  # this page never touched the client
    refused = autosave(signed_in, autosave_url(draft_id, "details"), mine, version)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert set(error["conflicts"]) == {"details-project_name"}

    # autosave.js first shows the answers merged in from elsewhere (all but the conflicting ones).
    mine = {**mine, **{key: value for key, value in error["merged"].items() if key not in error["conflicts"]}}
    kept = autosave(signed_in, autosave_url(draft_id, "details"), mine, error["version"])  # "Keep mine"
    assert kept.status_code == 200
    pending = stored(draft_id).pending["details"]["data"]
    assert pending["details-project_name"] == ["This page"]
    assert pending["details-client_name"] == ["Client from the other device"]


# --- 2. odd draft_version: a 500 ---------------------------------------------------------------------

@pytest.mark.parametrize("version", ["\u00b2", "\u2460", "1" * 5000])
def test_it_answers_an_odd_draft_version_on_autosave_without_a_500(signed_in, version):
    draft_id = start_draft(signed_in)
    autosave(signed_in, autosave_url(draft_id, "details"), details_post(client_name="Moved on"), stored(draft_id).revision)
    response = autosave(signed_in, autosave_url(draft_id, "details"), details_post(client_name="Odd version"), version)
    assert response.status_code in (400, 409), response.status_code


@pytest.mark.parametrize("version", ["\u00b2", "1" * 5000])
def test_it_answers_an_odd_draft_version_on_a_step_submit_without_a_500(signed_in, version):
    draft_id = start_draft(signed_in)
    autosave(signed_in, autosave_url(draft_id, "details"), details_post(client_name="Moved on"), stored(draft_id).revision)
    signed_in.raise_request_exception = False
    response = signed_in.post(step_url(draft_id, "details"), {**details_post(client_name="Odd"), "draft_version": version})
    assert response.status_code in (400, 409), response.status_code


# --- 3. a record written without history (the release before, or a rolling deploy) ---------------------

def drop_history_as_the_previous_release_writes_it(redis, draft_id):
    import json

    from sessions_store.store import get_draft_store

    key = get_draft_store().key("draft", draft_id)
    record = json.loads(redis.get(key))
    record.pop("history", None)
    record.pop("hb", None)
    redis.set(key, json.dumps(record), keepttl=True)


def test_it_does_not_take_a_record_without_history_for_one_where_nothing_changed(signed_in, drafts_redis):
    draft_id = start_draft(signed_in)
    first_tab = stale_first_tab(signed_in, draft_id, "details", details_post(client_name="Second tab"))
    # The old release's processes (schema 3 too) write the record back without "history"/"hb".
    drop_history_as_the_previous_release_writes_it(drafts_redis, draft_id)

    response = signed_in.post(
        step_url(draft_id, "details"), {**details_post(project_name="First tab"), "draft_version": page_version(first_tab)}
    )

    # Either merged (the client kept) or refused as stale (409, nothing saved): never overwritten.
    assert stored(draft_id).step_values("details")["client_name"] == ["Second tab"], response.status_code


# --- 4. the sources step: connector conflicts ----------------------------------------------------------

def sources_values(ai=True, connectors=()):
    from .wizard_helpers import sources_post

    return sources_post(ai=ai, connectors=connectors)


def on_sources(client):
    from .conftest import pdf_bytes, upload

    draft_id = start_draft(client)
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("a.pdf", pdf_bytes(), "application/pdf")], "requirements-requirements_notes": "n", **management("requirements")},
    )
    assert response.status_code == 302
    return draft_id


def test_it_shows_the_other_tabs_connector_when_both_tabs_changed_the_same_row(signed_in):
    draft_id = on_sources(signed_in)
    theirs = "https://drive.google.com/drive/folders/from-the-second-tab"
    first_tab = stale_first_tab(signed_in, draft_id, "sources", sources_values(connectors=[("google_drive", theirs)]))

    response = signed_in.post(
        step_url(draft_id, "sources"),
        {**sources_values(connectors=[("sharepoint", "https://example.sharepoint.com/sites/mine")]), "draft_version": page_version(first_tab)},
    )

    assert response.status_code == 409
    content = html.unescape(response.content.decode())
    # The page says "Both versions are shown below": the other tab's connector must be on it.
    assert theirs in content


def test_it_merges_an_api_change_over_connectors_added_since_without_a_conflict(anonymous):
    from .api_helpers import update

    draft_id = on_sources(anonymous)
    version = stored(draft_id).revision  # the API client read the draft here (no sources yet)
    assert anonymous.post(
        step_url(draft_id, "sources"),
        sources_values(connectors=[("google_drive", "https://drive.google.com/a"), ("sharepoint", "https://x.sharepoint.com/b")]),
    ).status_code == 302

    response = update(anonymous, {"sessionId": draft_id, "version": version, "projectData": {"aiSourcingEnabled": False}})

    assert response.status_code == 200, response.content.decode()
    assert [c["target"] for c in response.json()["projectData"]["connectors"]] == ["https://drive.google.com/a", "https://x.sharepoint.com/b"]


# --- 5. autosave.js: a save left on the device is put back over newer answers ----------------------------

from .browser.harness import browser_pages, browser_settings, chromium  # noqa: E402,F401 (fixtures)


@pytest.fixture
def live_settings(settings):
    settings.AUTOSAVE_DELAY_MS = 200
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_keeps_an_answer_changed_on_another_device_when_a_save_left_on_this_one_is_sent(browser_pages, live_settings):
    from playwright.sync_api import expect

    from .test_browser import SAVED, draft_id_of, fill_details, save_and_continue, status

    browser_pages.allow(r"net::ERR_INTERNET_DISCONNECTED")
    context = browser_pages.context()
    page = browser_pages.page(context)
    page.goto(reverse("projects:wizard_new"))
    fill_details(page)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    draft_id = draft_id_of(page)
    details = step_url(draft_id, "details")
    page.goto(details)

    # Offline on this device: the client's name is typed, kept on the device, the tab closed.
    context.set_offline(True)
    page.get_by_label("Client name").fill("Typed on the train")
    expect(status(page)).to_have_text("Saved on this device")
    page.close()

    # Meanwhile the same person renames the project in another browser window (same cookies).
    elsewhere = browser_pages.context()
    elsewhere.add_cookies(context.cookies())
    other = browser_pages.page(elsewhere)
    other.goto(details)
    other.get_by_label("Project name").fill("Renamed on the laptop")
    expect(status(other)).to_have_text(SAVED)
    other.close()

    # Back online: the draft's page sends what the device kept, merged over the rename...
    context.set_offline(False)
    again = browser_pages.page(context)
    again.goto(details)
    expect(again.get_by_label("Client name")).to_have_value("Typed on the train")
    expect(status(again)).to_have_text(SAVED)
    # ...and the page must show the merged answer, or the next submit puts the old name back.
    save_and_continue(again)
    expect(again).to_have_url(re.compile(r"/requirements/$"))
    values = stored(draft_id).step_values("details")
    assert values["client_name"] == ["Typed on the train"]
    assert values["project_name"] == ["Renamed on the laptop"]


# --- 6. a connector merged in by autosave has no input on the page, and the next submit drops it ----------

def stored_connector_targets(draft_id):
    from projects.steps import connector_rows

    values = {f"sources-{key}": items for key, items in stored(draft_id).step_values("sources").items()}
    return [row["target"] for row in connector_rows(values) if not row["deleted"]]


def test_it_keeps_a_connector_added_elsewhere_after_this_page_autosaved_and_submitted(signed_in):
    draft_id = on_sources(signed_in)
    mine = [("google_drive", "https://drive.google.com/mine")]
    assert signed_in.post(step_url(draft_id, "sources"), sources_values(connectors=mine)).status_code == 302
    page = signed_in.get(step_url(draft_id, "sources"))  # inputs for one connector row
    version = page_version(page)
    # Another tab adds a second connector and submits.
    theirs = [*mine, ("sharepoint", "https://x.sharepoint.com/theirs")]
    other = signed_in.get(step_url(draft_id, "sources"))
    assert signed_in.post(step_url(draft_id, "sources"), {**sources_values(connectors=theirs), "draft_version": page_version(other)}).status_code == 302

    # This page unticks AI sourcing; autosave.js saves from its version: merged, the new row kept...
    typed = {key: value for key, value in sources_values(ai=False, connectors=mine).items() if key.startswith("sources-")}
    answer = autosave(signed_in, autosave_url(draft_id, "sources"), typed, version)
    assert answer.status_code == 200, answer.content.decode()
    assert stored(draft_id).pending["sources"]["data"]["sources-connectors-1-target"] == ["https://x.sharepoint.com/theirs"]
    # The page keeps its version; the draft's own revision comes too (a page being left marks its
    # save with it, and a page rendered before the save landed has a lower one).
    assert answer.json()["version"] == int(version) < answer.json()["revision"] == stored(draft_id).revision
    # ...but the page has no inputs for it (showUpdates skips hidden inputs and rows it lacks), and
    # "Save and continue" posts its one row with the version the save gave it.
    submit = signed_in.post(
        step_url(draft_id, "sources"), {**sources_values(ai=False, connectors=mine), "draft_version": str(answer.json()["version"])}
    )
    assert submit.status_code == 302
    assert stored_connector_targets(draft_id) == ["https://drive.google.com/mine", "https://x.sharepoint.com/theirs"]


def test_it_does_not_ask_about_the_connector_count_when_both_tabs_add_connectors_to_an_empty_step(signed_in):
    """A fresh sources step: both pages post TOTAL_FORMS, and the count differs; autosave.js would
    put a conflict box beside a hidden input ("Saved in another tab or window: 2"), whose
    "Use this instead" cannot set it."""
    draft_id = on_sources(signed_in)
    version = page_version(signed_in.get(step_url(draft_id, "sources")))
    theirs = [("google_drive", "https://drive.google.com/a"), ("sharepoint", "https://x.sharepoint.com/b")]
    assert autosave(signed_in, autosave_url(draft_id, "sources"),
                    {k: v for k, v in sources_values(connectors=theirs).items() if k.startswith("sources-")}, version).status_code == 200

    typed = {k: v for k, v in sources_values(ai=False).items() if k.startswith("sources-")}  # only AI unticked here
    answer = autosave(signed_in, autosave_url(draft_id, "sources"), typed, version)

    assert answer.status_code == 200, answer.content.decode()
    pending = stored(draft_id).pending["sources"]["data"]
    # Neither side's rows are cut off; the box this page left as it found it keeps the other's tick.
    assert pending["sources-connectors-TOTAL_FORMS"] == ["2"]
    assert pending["sources-connectors-1-target"] == ["https://x.sharepoint.com/b"]
