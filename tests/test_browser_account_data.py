"""Download my data and Delete my account in a real browser, with axe on each page (with
JavaScript), and without JavaScript on a 320 px phone. (The screenshots at 320, 390 and 1280 px,
with and without JavaScript, were looked at with WIDTHS set to all three.)"""

import json
import re

import pytest
from django.urls import reverse

from .browser.harness import axe_violations, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .factories import UserFactory
from .test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

WIDTHS = {True: (1280,), False: (320,)}  # JavaScript on / off


@pytest.mark.parametrize("javascript", [True], ids=["js"])  # [True, False] for the screenshots without JS
def test_it_downloads_the_data_and_deletes_the_account(browser_pages, javascript):
    users = {width: UserFactory(username=f"pat{width}") for width in WIDTHS[javascript]}
    for width, user in users.items():
        page = browser_pages.page(viewport={"width": width, "height": 800}, java_script_enabled=javascript)
        sign_in(page, user.username)

        page.goto(reverse("account_data"))
        browser_pages.screenshot(page, f"data-{width}")
        if javascript:
            assert axe_violations(page) == []
        with page.expect_download() as download:
            page.get_by_role("button", name="Download my data").click()
        data = json.loads(open(download.value.path()).read())
        assert data["account"]["username"] == user.username

        page.get_by_role("link", name="Delete my account").click()
        page.get_by_label("Your password").fill("wrong password")
        page.get_by_role("button", name="Delete my account").click()
        expect(page.locator(".error-summary")).to_contain_text("That is not your password. Nothing has been deleted.")
        browser_pages.screenshot(page, f"delete-error-{width}")
        if javascript:
            assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.get_by_label("Your password").fill("correct horse battery staple")
        page.get_by_role("button", name="Delete my account").click()
        expect(page).to_have_url(re.compile(r"/accounts/deleted/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been deleted")
        browser_pages.screenshot(page, f"deleted-{width}")  # a heading and a paragraph: no axe run
