"""Issue 12's account pages in a real browser: the question about drafts after signing in, the
account page, the password pages and the throttled sign-in, each checked by axe and for sideways
scrolling at 320 px. (Screenshots at 320, 390 and 1280 px, with JavaScript on and off, were
looked at when the pages were made: ``walk`` takes any width.)"""

import re

import pytest
from django.urls import reverse

from .browser.harness import axe_violations, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import PASSWORD
from .factories import UserFactory
from .test_browser import fill_details, save_and_continue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None


def check(browser_pages, page, name, javascript):
    width = page.viewport_size["width"]
    browser_pages.screenshot(page, f"{name}-{width}{'' if javascript else '-nojs'}")
    if javascript:
        assert axe_violations(page) == [], name
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways"
        page.set_viewport_size({"width": width, "height": 800})


def walk(browser_pages, *, width, javascript, username):
    page = browser_pages.page(viewport={"width": width, "height": 800}, java_script_enabled=javascript)
    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name="Clinic fit-out")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move this draft to your account?")
    check(browser_pages, page, "move-drafts", javascript)
    page.get_by_role("button", name="Move them to my account").click()

    page.goto(reverse("account"))
    check(browser_pages, page, "account", javascript)
    page.get_by_role("link", name="Change your password").click()
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter your current password")
    check(browser_pages, page, "password-change-errors", javascript)

    anonymous = browser_pages.page(viewport={"width": width, "height": 800}, java_script_enabled=javascript)
    anonymous.goto(reverse("password_reset"))
    check(browser_pages, anonymous, "password-reset", javascript)
    browser_pages.allow("429")  # Chromium logs the refused sign-in's status
    for _ in range(2):
        anonymous.goto(reverse("login"))
        anonymous.get_by_label("Username").fill(username)
        anonymous.get_by_label("Password").fill("wrong")
        anonymous.get_by_role("button", name="Sign in").click()
    expect(anonymous.get_by_role("heading", level=1)).to_have_text("Too many requests")
    check(browser_pages, anonymous, "too-many-sign-ins", javascript)


def test_the_account_pages_read_well_and_pass_axe(browser_pages, settings):
    settings.SIGN_IN_MAX_FAILURES = 1
    UserFactory(username="owner")
    walk(browser_pages, width=390, javascript=True, username="owner")
