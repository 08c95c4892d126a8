"""The "too many drafts" page in Chromium (item 2): step 1 shown again with what was typed and
the drafts to resume or discard, at phone and desktop widths, with no axe violations (the page
is the server's; without JavaScript it is the same HTML). Screenshots in var/test-artifacts/screenshots/."""

import re

import pytest
from django.urls import reverse

from ..browser.harness import axe_violations, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from ..test_browser import fill_details, save_and_continue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips with the reason
    expect = None


def test_it_lists_the_drafts_to_resume_or_discard_and_keeps_the_input(browser_pages, settings):
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
    expect(page.get_by_role("link", name="Resume “Harbour North”")).to_be_visible()
    expect(page.get_by_role("link", name="Discard “Harbour North”")).to_be_visible()
    expect(page.get_by_label("Project name")).to_have_value("Harbour South")
    for width in (320, 390, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        browser_pages.screenshot(page, f"at-cap-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe_violations(page) == []
