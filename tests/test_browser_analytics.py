"""The admin's "Wizard analytics" page in a real browser, with JavaScript on and off, at desktop
and phone widths: screenshots, nothing wider than the screen, and no critical, serious or
moderate axe violation. Fixtures and screenshots: tests/browser/harness.py."""

import pytest

from .admin_helpers import WINDOWS_UA, browser
from .admin_helpers import superuser  # noqa: F401 (a fixture)
from .browser.harness import axe_violations, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import PASSWORD
from .wizard_helpers import complete_until_review, confirm, details_post, start_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/admin/projects/wizardanalytics/"
WIDER_THAN_THE_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture
def some_wizards(owner, pdf):
    client = browser(owner, ua=WINDOWS_UA)
    confirm(client, complete_until_review(client, [pdf()]))
    complete_until_review(client, [pdf()])
    start_draft(client)
    client.post("/projects/new/", details_post(project_name="", client_email="nope"))


def test_it_lays_out_the_analytics_page_at_every_width_without_axe_violations(browser_pages, superuser, some_wizards):
    browser_pages.allow(r"Applying inline style violates")  # axe-core's own probes, refused by the CSP
    for javascript in (True, False):
        context = browser_pages.context(java_script_enabled=javascript)
        page = browser_pages.page(context)
        page.goto(f"/accounts/login/?next={URL}")
        page.get_by_label("Username").fill(superuser.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**{URL}")
        for width in (1280, 390, 320):
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            assert page.get_by_role("img", name="Funnel from").count() == 1
            assert page.get_by_role("table", name="Funnel").count() == 1
            browser_pages.screenshot(page, f"analytics-{width}-{'js' if javascript else 'no-js'}")
            assert not page.evaluate(WIDER_THAN_THE_SCREEN), width
            if javascript and width != 390:  # (axe takes seconds; 320 px is the harder case)
                assert axe_violations(page) == [], width
