"""Errors, the save status and the keyboard on the wizard's pages, in a real browser (issue 11).

- The error summary takes the focus on load; its links focus the field with its label or legend
  in view (GOV.UK's error summary).
- A field's error goes as soon as the field is valid (with its item in the summary), and no
  error is ever shown for the field being typed in; one error style, the server's.
- The save status is always in view.
- Tab follows what is seen; "Add another connector" leaves the focus on the new row.
"""

import re

import pytest
from django.urls import reverse

from .browser.harness import axe_violations, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import pdf_bytes
from .test_browser import fill_details, save_and_continue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

SAVED = re.compile(r"^Saved \d\d:\d\d$")


def submit_empty_details(page):
    page.goto(reverse("projects:wizard_new"))
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#error-summary")).to_be_visible()


def in_viewport(page, selector):
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
           return r.height > 0 && r.top > -1 && r.bottom < window.innerHeight + 1; }""",
        selector,
    )


def summary_items(page):
    return page.locator("#error-summary li")


# --- (1) the error summary -------------------------------------------------------------------


def test_it_focuses_the_error_summary_after_an_invalid_submit(browser_pages):
    page = browser_pages.page()
    submit_empty_details(page)

    expect(page.locator("#error-summary")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary").evaluate("e => e.getAttribute('role')") == "alert"
    browser_pages.screenshot(page, "summary-focused")


def test_it_brings_the_label_into_view_with_the_field_from_a_summary_link(browser_pages):
    page = browser_pages.page(viewport={"width": 390, "height": 700})
    page.goto(reverse("projects:wizard_new"))
    page.get_by_label("Client email").fill("bob@")
    page.get_by_role("button", name="Save and continue").click()

    page.locator("#error-summary a", has_text="Client email").click()
    expect(page.get_by_label("Client email")).to_be_focused()
    assert in_viewport(page, "label[for=id_details-client_email]")
    assert in_viewport(page, "#id_details-client_email")
    browser_pages.screenshot(page, "label-in-view")


# --- (2) errors that go when fixed, and none while typing -------------------------------------


def test_it_clears_a_fixed_fields_error_and_its_summary_item(browser_pages):
    page = browser_pages.page()
    submit_empty_details(page)
    name_field = page.locator("#field-details-project_name")
    expect(name_field.locator(".error-message")).to_have_count(1)
    before = summary_items(page).count()
    assert before > 1

    page.get_by_label("Project name").fill("Riverside School")
    expect(page.locator("#save-status")).to_have_text(SAVED)

    expect(name_field.locator(".error-message")).to_have_count(0)
    expect(name_field).not_to_have_class(re.compile(r"\bfield-error\b"))
    expect(summary_items(page)).to_have_count(before - 1)
    expect(page.locator("#error-summary-title")).to_have_text(
        f"There {'is a problem' if before == 2 else f'are {before - 1} problems'}"
    )
    expect(page.locator("#error-summary a", has_text="Project name")).to_have_count(0)
    browser_pages.screenshot(page, "name-fixed")


def test_it_hides_the_summary_when_no_error_is_left(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    page.get_by_label("Client email").fill("bob@")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#error-summary")).to_be_visible()
    # Fix every field the summary names, the way a person would.
    fill_details(page, name="Riverside School")
    page.get_by_label("Project name").focus()
    expect(page.locator("#save-status")).to_have_text(SAVED)

    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.locator("#step-form .error-message")).to_have_count(0)


def test_it_never_shows_an_error_in_the_field_being_typed_in(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    email = page.get_by_label("Client email")
    wrapper = page.locator("#field-details-client_email")

    email.fill("bob@")
    expect(page.locator("#save-status")).to_have_text(SAVED)
    expect(email).to_be_focused()
    expect(wrapper.locator(".error-message")).to_have_count(0)
    assert page.locator(".autosave-error").count() == 0

    page.get_by_label("Client name").focus()  # leaves the field: now it is said, the server's way
    message = wrapper.locator(".error-message")
    expect(message).to_have_text("Error: Enter the client email in the format name@example.com.")
    expect(message.locator(".visually-hidden")).to_have_text("Error:")
    expect(wrapper).to_have_class(re.compile(r"\bfield-error\b"))
    message_id = message.get_attribute("id")
    expect(email).to_have_attribute("aria-describedby", re.compile(rf"\b{message_id}\b"))
    assert page.locator(".autosave-error").count() == 0
    browser_pages.screenshot(page, "after-blur")

    email.fill("bob@example.com")  # valid: the error goes, even while typing
    expect(wrapper.locator(".error-message")).to_have_count(0)
    expect(email).not_to_have_attribute("aria-describedby", re.compile(rf"\b{message_id}\b"))


# --- (4) the save status, always in view ------------------------------------------------------


def test_it_keeps_the_save_status_in_view_at_the_bottom_of_a_long_page(browser_pages):
    page = browser_pages.page(viewport={"width": 390, "height": 700})
    page.goto(reverse("projects:wizard_new"))
    status = page.locator("#save-status")
    assert status.get_attribute("aria-live") == "polite"

    page.get_by_label("Project name").fill("At the top")  # the first field, the page at its top
    expect(status).to_have_text(SAVED)
    assert in_viewport(page, "#save-status")

    page.get_by_label("High").check()  # the last field, at the bottom
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(status).to_have_text(SAVED)
    assert in_viewport(page, "#save-status")
    browser_pages.screenshot(page, "status-at-bottom")


# --- (7) keyboard ------------------------------------------------------------------------------


def test_it_tabs_from_the_primary_button_to_back_as_they_are_drawn(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name="Order of things")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/requirements/$"))

    primary = page.locator(".actions").get_by_role("button", name="Save and continue")
    back = page.locator(".actions").get_by_role("button", name="Back")
    assert primary.bounding_box()["x"] < back.bounding_box()["x"]  # the primary button first on screen
    primary.focus()
    page.keyboard.press("Tab")
    expect(back).to_be_focused()


def test_it_moves_the_focus_to_the_new_connector_row(browser_pages):
    page = browser_pages.page(java_script_enabled=False)
    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name="Connectors")
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#id_requirements-documents").set_input_files(
        files=[{"name": "spec.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/sources/$"))
    rows = page.locator(".connector-row").count()

    page.get_by_role("button", name="Add another connector").click()
    expect(page.locator(".connector-row")).to_have_count(rows + 1)
    new_row = page.locator(".connector-row").last
    first = new_row.locator("input, select, textarea").first
    expect(first).to_be_focused()
    browser_pages.screenshot(page, "new-row")


# --- axe ---------------------------------------------------------------------------------------


def test_it_has_no_axe_violations_on_a_step_with_errors(browser_pages):
    page = browser_pages.page()
    submit_empty_details(page)
    page.get_by_label("Client email").fill("bob@")
    page.get_by_label("Client name").focus()
    expect(page.locator("#field-details-client_email .error-message")).to_have_count(1)
    assert axe_violations(page) == []


# --- issue 12: a new draft past the owner's cap ------------------------------------------------

def test_it_lists_the_drafts_to_resume_or_discard_when_a_new_draft_is_refused(browser_pages, settings):
    settings.DRAFT_MAX_ANONYMOUS = 1
    browser_pages.allow(r"status of 409")  # the refused page itself (and, with JavaScript, its autosave)
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name="Harbour North")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))

    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name="Harbour South")
    # Autosave says so at once (not "changed in another tab").
    expect(page.locator("#save-status")).to_contain_text("You already have 1 unfinished draft")
    save_and_continue(page)

    notice = page.locator("#notice")
    expect(notice).to_contain_text("You already have 1 unfinished draft, the most you can keep at once")
    expect(notice).to_be_focused()  # a screen reader starts at why it was not saved
    assert page.title().startswith("Error: ")
    expect(page.get_by_role("link", name="Resume “Harbour North”")).to_be_visible()
    discard = page.get_by_role("button", name="Discard “Harbour North” and save this project instead")
    expect(discard).to_be_visible()
    expect(page.get_by_label("Project name")).to_have_value("Harbour South")
    for width in (320, 390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        browser_pages.screenshot(page, f"at-cap-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe_violations(page) == []
    # Discarding one from here saves what was typed in its place.
    discard.click()
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    expect(page.locator("#draft-status")).to_contain_text("Harbour South")
