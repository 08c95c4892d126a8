"""The wizard in a real browser: headless Chromium against the live server, real Redis and database.

What only a browser can show: the autosave script (static/js/autosave.js) saving while the user
types, surviving a reload and a cut network, noticing another tab; the wizard finished with a
file upload, with JavaScript off, and by keyboard alone; and no console errors anywhere.
Fixtures and screenshots: tests/browser/harness.py.
"""

import re

import pytest
from django.urls import reverse

from projects.models import Project
from sessions_store.store import get_draft_store

from .browser.harness import Held, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import PASSWORD, pdf_bytes
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

SAVED = re.compile(r"^Saved \d\d:\d\d$")
DRAFT_STEP = re.compile(r"/projects/new/([0-9a-f-]{36})/(details|requirements|sources|review)/$")
AUTOSAVE = "**/autosave/**"
PROJECT_NAME = "Harbour Office Retrofit"




# --- helpers --------------------------------------------------------------------------------


def sign_in(page, username):
    page.goto(f"{reverse('login')}?next={reverse('projects:wizard_new')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/projects/new/$"))


def status(page):
    return page.locator("#save-status")


def draft_id_of(page):
    match = DRAFT_STEP.search(page.url)
    assert match, page.url
    return match.group(1)


def fill_details(page, name=PROJECT_NAME):
    page.get_by_label("Project name").fill(name)
    page.get_by_label("Project description").fill("Replace the chillers and re-zone floors 2-5.")
    page.get_by_label("Building type").select_option("commercial")
    page.get_by_label("Square footage").fill("45000")
    page.get_by_label("Client email").fill("facilities@harbour.example")
    page.get_by_label("Estimated start date").fill("2027-03-01")
    page.get_by_label("Estimated end date").fill("2027-09-30")
    page.get_by_label("High").check()


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue").click()


def stored_pending(draft_id, step="details"):
    draft, _ = get_draft_store().load(draft_id)
    assert draft is not None, draft_id
    return draft.pending_data(step) or {}


# --- (1) the whole wizard, with a document ---------------------------------------------------


def test_it_completes_the_wizard_with_a_document_upload(browser_pages, drafts_redis):
    user = UserFactory(username="owner")
    page = browser_pages.page()
    sign_in(page, "owner")

    fill_details(page)
    # Autosave makes the draft: from here on the page is that draft's step, so the submit below
    # must not start a second one.
    expect(status(page)).to_have_text(SAVED)
    expect(page).to_have_url(DRAFT_STEP)
    draft_id = draft_id_of(page)
    browser_pages.screenshot(page, "details")
    save_and_continue(page)

    expect(page).to_have_url(re.compile(rf"/{draft_id}/requirements/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Requirements documents")
    page.locator("#id_requirements-documents").set_input_files(
        files=[{"name": "spec.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("HVAC spec")}]
    )
    page.get_by_label("Notes on the requirements").fill("See the spec.")
    browser_pages.screenshot(page, "requirements")
    save_and_continue(page)

    expect(page).to_have_url(re.compile(rf"/{draft_id}/sources/$"))
    page.get_by_label("Let AI find relevant public data sources").check()
    page.get_by_label("Connector type").select_option("google_drive")
    # Submit while an autosave is on the wire: the submit waits for it, so that it carries the
    # draft_version the save produced (a stale one would get the 409 page).
    held, submits = Held(page, AUTOSAVE), []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/sources/") and submits.append(r))
    page.get_by_label("URL or identifier").fill("https://drive.google.com/drive/folders/abc")
    expect(status(page)).to_have_text("Saving…")
    wait_for(page, held.routes)
    browser_pages.screenshot(page, "sources")
    save_and_continue(page)
    page.wait_for_timeout(200)  # the one fixed wait: time for a submit that should not happen
    assert submits == []
    expect(page).to_have_url(re.compile(rf"/{draft_id}/sources/$"))
    held.release()
    # The save brought a new draft_version; the submit, sent now, carries it (no 409 page).

    expect(page).to_have_url(re.compile(rf"/{draft_id}/review/$"))
    expect(page.get_by_text("https://drive.google.com/drive/folders/abc")).to_be_visible()
    expect(page.get_by_text("spec.pdf")).to_be_visible()
    assert page.locator("#save-status").count() == 0  # nothing to autosave on review
    browser_pages.screenshot(page, "review")
    page.get_by_role("button", name="Create project").click()

    project = Project.objects.get()
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT_NAME)
    expect(page.get_by_text(f"Project “{PROJECT_NAME}” created.")).to_be_visible()
    browser_pages.screenshot(page, "project")
    assert project.owner == user and str(project.draft_id) == draft_id
    assert [d.original_name for d in project.documents.all()] == ["spec.pdf"]
    assert [c.target for c in project.connectors.all()] == ["https://drive.google.com/drive/folders/abc"]
    assert drafts_redis.keys("*draft:*") == []  # one draft, committed and gone: no stray second one


def wait_for(page, held, count=1):
    """Until the page has sent ``count`` held requests (the route handler runs between waits)."""
    for _ in range(200):
        if len(held) >= count:
            return
        page.wait_for_timeout(25)
    raise AssertionError(f"{len(held)} of {count} requests arrived")


# --- (2) typed, not submitted, reloaded ------------------------------------------------------


def test_it_autosaves_what_is_typed_and_shows_it_again_after_a_reload(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    expect(status(page)).to_be_hidden()

    page.get_by_label("Project name").fill("Typed, never submitted")
    page.get_by_label("Client name").fill("Harbour Estates Ltd")
    page.get_by_label("Building type").select_option("retail")

    expect(status(page)).to_have_text(SAVED)
    expect(page).to_have_url(DRAFT_STEP)
    assert page.locator("input[name=draft_version]").input_value() != ""
    browser_pages.screenshot(page, "saved")
    page.reload()

    expect(page.get_by_label("Project name")).to_have_value("Typed, never submitted")
    expect(page.get_by_label("Client name")).to_have_value("Harbour Estates Ltd")
    expect(page.get_by_label("Building type")).to_have_value("retail")
    expect(page.locator("#restored")).to_be_visible()
    expect(status(page)).to_be_hidden()
    browser_pages.screenshot(page, "reloaded")


def test_it_shows_a_field_error_only_once_the_field_was_touched(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    email = page.get_by_label("Client email")

    email.fill("not-an-email")
    expect(status(page)).to_have_text(SAVED)
    message = page.locator("#field-details-client_email-error")
    expect(message).to_have_count(0)  # issue 11: nothing said while typing in the field
    page.get_by_label("Client name").focus()
    expect(message).to_have_text("Error: Enter the client email in the format name@example.com.")
    expect(message).to_have_class("error-message")  # the server's style, not one of autosave's own
    expect(email).to_have_attribute("aria-describedby", re.compile(r"\bfield-details-client_email-error\b"))
    expect(page.get_by_label("Client name")).to_be_focused()  # the message never takes the focus
    # Required and empty, but never touched: nothing said about them.
    assert page.locator("#step-form .error-message").count() == 1
    browser_pages.screenshot(page, "error")

    email.fill("facilities@harbour.example")
    expect(message).to_have_count(0)
    expect(email).not_to_have_attribute("aria-describedby", re.compile("client_email-error"))


def test_it_sends_what_was_typed_when_the_page_is_left_before_the_save(browser_pages, settings, drafts_redis):
    settings.AUTOSAVE_DELAY_MS = 5000  # the debounced save would come too late
    context = browser_pages.context()
    page = browser_pages.page(context)
    page.goto(reverse("projects:wizard_new"))
    page.get_by_label("Project name").fill("Left in a hurry")
    page.get_by_role("link", name="Your drafts").click()  # pagehide: a beacon
    expect(page).to_have_url(re.compile(r"/projects/drafts/$"))

    # The beacon may land after the drafts page. Its answer brings the session cookie that names
    # this anonymous visitor as the draft's owner (Playwright does not report beacons).
    for _ in range(200):
        if any(cookie["name"] == "sessionid" for cookie in context.cookies()):
            break
        page.wait_for_timeout(25)
    keys = drafts_redis.keys("*draft:*")
    assert len(keys) == 1, keys
    draft_id = keys[0].decode().rsplit(":", 1)[1]
    assert stored_pending(draft_id)["details-project_name"] == ["Left in a hurry"]
    page.goto(reverse("projects:wizard_resume", args=[draft_id]))
    expect(page.get_by_label("Project name")).to_have_value("Left in a hurry")


# --- (3) the network goes away and comes back -------------------------------------------------


def test_it_retries_when_the_network_is_cut_and_saves_when_it_is_back(browser_pages):
    browser_pages.allow(r"net::ERR_FAILED")
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    page.route(AUTOSAVE, lambda route: route.abort())

    page.get_by_label("Project name").fill("Saved after the outage")

    expect(status(page)).to_have_text("Could not save — retrying")
    browser_pages.screenshot(page, "offline")
    page.unroute(AUTOSAVE)
    expect(status(page)).to_have_text(SAVED)
    expect(page).to_have_url(DRAFT_STEP)
    assert stored_pending(draft_id_of(page))["details-project_name"] == ["Saved after the outage"]


def test_it_saves_as_soon_as_the_browser_is_back_online(browser_pages):
    browser_pages.allow(r"net::ERR_INTERNET_DISCONNECTED")
    context = browser_pages.context()
    page = browser_pages.page(context)
    page.goto(reverse("projects:wizard_new"))
    context.set_offline(True)

    page.get_by_label("Project name").fill("Saved when online")

    expect(status(page)).to_have_text("Could not save — retrying")
    context.set_offline(False)  # fires `online`
    expect(status(page)).to_have_text(SAVED)
    assert stored_pending(draft_id_of(page))["details-project_name"] == ["Saved when online"]


# --- (4) two tabs, one draft -----------------------------------------------------------------


def test_it_asks_the_second_tab_which_answer_to_keep_when_both_changed_one(browser_pages):
    browser_pages.allow(r"status of 409")
    context = browser_pages.context()
    tab_a = browser_pages.page(context)
    tab_a.goto(reverse("projects:wizard_new"))
    tab_a.get_by_label("Project name").fill("Two tabs")
    expect(status(tab_a)).to_have_text(SAVED)
    draft_url = tab_a.url

    tab_b = browser_pages.page(context)
    tab_b.goto(draft_url)
    expect(tab_b.get_by_label("Project name")).to_have_value("Two tabs")

    # The status already reads "Saved 14:05" from the first save: wait for this save's answer.
    with tab_a.expect_response(lambda response: "/autosave/" in response.url and response.ok):
        tab_a.get_by_label("Client name").fill("Written in tab A")
    expect(status(tab_a)).to_have_text(SAVED)
    expect(tab_a.get_by_label("Client name")).to_have_value("Written in tab A")
    tab_b.get_by_label("Client name").fill("Written in tab B")

    # Both changed the same answer: tab B shows tab A's beside its own, and saves nothing yet.
    choice = tab_b.locator("#field-details-client_name .conflict")
    expect(choice).to_be_visible()
    expect(choice).to_contain_text("Saved in another tab or window: Written in tab A")
    expect(status(tab_b)).to_have_text("Not saved: choose which answers to keep")
    browser_pages.screenshot(tab_b, "conflict")
    assert stored_pending(draft_id_of(tab_a))["details-client_name"] == ["Written in tab A"]

    choice.get_by_role("button", name="Use this instead").click()
    expect(tab_b.get_by_label("Client name")).to_have_value("Written in tab A")
    expect(choice).to_have_count(0)
    expect(status(tab_b)).to_have_text(SAVED)
    assert stored_pending(draft_id_of(tab_a))["details-client_name"] == ["Written in tab A"]

    # Different answers in each tab: merged, and shown in the other tab's untouched fields.
    tab_a.get_by_label("Project location").fill("Bristol, from tab A")
    expect(status(tab_a)).to_have_text(SAVED)
    tab_b.get_by_label("Client phone").fill("+44 20 7946 0000")
    expect(status(tab_b)).to_have_text(SAVED)
    expect(tab_b.get_by_label("Project location")).to_have_value("Bristol, from tab A")
    pending = stored_pending(draft_id_of(tab_a))
    assert pending["details-project_location"] == ["Bristol, from tab A"]
    assert pending["details-client_phone"] == ["+44 20 7946 0000"]


# --- (5) without JavaScript --------------------------------------------------------------------


def test_it_completes_the_wizard_with_javascript_disabled(browser_pages):
    UserFactory(username="owner")
    page = browser_pages.page(java_script_enabled=False)
    autosaves = []
    page.on("request", lambda request: "/autosave/" in request.url and autosaves.append(request.url))
    sign_in(page, "owner")

    fill_details(page, name="No script")
    browser_pages.screenshot(page, "details")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    page.locator("#id_requirements-documents").set_input_files(
        files=[{"name": "spec.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    browser_pages.screenshot(page, "requirements")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))
    page.get_by_role("button", name="Add another connector").click()
    expect(page.locator(".connector-row")).to_have_count(2)
    page.get_by_label("Let AI find relevant public data sources").check()
    browser_pages.screenshot(page, "sources")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/review/$"))
    browser_pages.screenshot(page, "review")
    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("No script")
    project = Project.objects.get()
    assert page.url.endswith(f"/projects/{project.pk}/")
    assert project.documents.count() == 1 and project.ai_sourcing_enabled
    assert autosaves == []


# --- (6) the keyboard alone ------------------------------------------------------------------


def tab_to(page, name, limit=25, key="Tab"):
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return
    raise AssertionError(f"{name} not reached with {limit} presses of {key}")


def test_it_fills_step_one_with_the_keyboard_alone(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    keyboard = page.keyboard

    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    keyboard.press("Enter")
    tab_to(page, "details-project_name", limit=3)
    keyboard.type("Keyboard only")
    tab_to(page, "details-building_type", limit=2)
    keyboard.press("ArrowDown")
    keyboard.press("ArrowDown")
    expect(page.get_by_label("Building type")).to_have_value("commercial")
    tab_to(page, "details-square_footage", limit=1)
    keyboard.type("12,500")
    tab_to(page, "details-priority")
    expect(page.get_by_label("Medium")).to_be_focused()
    keyboard.press("ArrowRight")
    expect(page.get_by_label("High")).to_be_checked()
    tab_to(page, "details-budget", key="Shift+Tab")
    keyboard.type("250000")
    browser_pages.screenshot(page, "details")
    keyboard.press("Enter")  # implicit submission: "Save and continue"

    expect(page).to_have_url(re.compile(r"/projects/new/[0-9a-f-]{36}/requirements/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Requirements documents")
    browser_pages.screenshot(page, "requirements")
    draft, _ = get_draft_store().load(draft_id_of(page))
    values = draft.step_values("details")
    assert values["project_name"] == ["Keyboard only"]
    assert values["building_type"] == ["commercial"]
    assert values["priority"] == ["high"]
    assert draft.validation.get("details") is True
