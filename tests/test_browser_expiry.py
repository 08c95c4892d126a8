"""Expiry in a real browser (issue 10 h): a page left open warns before its draft expires and
keeps it with one click; once it has expired, it offers a new draft with what is on the page.
The page's clock is Playwright's (page.clock), the draft's lifetime Redis's own TTL."""

import re
from datetime import timedelta

import pytest
from django.conf import settings

from sessions_store.store import get_draft_store

from .browser.harness import browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .test_browser import DRAFT_STEP, draft_id_of, fill_details, save_and_continue
from .wizard_helpers import expire_for_real

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None




def started(browser_pages):
    page = browser_pages.page()
    page.clock.install()
    page.goto("/projects/new/")
    fill_details(page)
    save_and_continue(page)
    expect(page).to_have_url(DRAFT_STEP)
    return page


def test_it_warns_before_the_draft_expires_and_keeps_it_with_one_click(browser_pages, drafts_redis, frozen_clock):
    page = started(browser_pages)
    draft_id = draft_id_of(page)
    warning = page.locator("#expiry-warning")
    expect(warning).to_be_hidden()
    # Time passes for the page and the app alike; Redis's own clock is moved by hand: the record
    # has five minutes left when the page's clock gets there.
    forward = settings.SESSION_TTL - settings.DRAFT_EXPIRY_WARNING + 300
    frozen_clock.travel(timedelta(seconds=forward))
    page.clock.fast_forward(forward * 1000)
    drafts_redis.expire(get_draft_store().location(draft_id), 300)

    expect(warning).to_be_visible()
    expect(warning).to_contain_text("will be deleted at")
    browser_pages.screenshot(page, "expiry-warning")
    warning.get_by_role("button", name="Keep my draft").click()

    expect(warning).to_be_hidden()
    expect(page.locator("#draft-expires-in")).to_have_text("kept again just now")
    assert drafts_redis.ttl(get_draft_store().location(draft_id)) > settings.SESSION_TTL - 60
    expect(page).to_have_url(DRAFT_STEP)  # no page load: what is typed stays


def test_it_offers_a_new_draft_with_what_is_on_the_page_once_the_draft_expired(browser_pages, drafts_redis):
    browser_pages.allow(r"status of 410")  # the autosave into the expired draft
    page = started(browser_pages)
    old_id = draft_id_of(page)
    page.get_by_label("Notes on the requirements").fill("Floors 2 to 5, typed after it expired")
    expire_for_real(drafts_redis, old_id)
    page.get_by_label("Notes on the requirements").press("End")
    page.get_by_label("Notes on the requirements").type("!")  # the autosave is answered 410

    notice = page.locator("#draft-expired")
    expect(notice).to_be_visible()
    browser_pages.screenshot(page, "draft-expired")
    notice.get_by_role("button", name="Start a new draft with what is on this page").click()

    expect(page).to_have_url(re.compile(r"/projects/new/[0-9a-f-]{36}/details/$"))
    new_id = draft_id_of(page)
    assert new_id != old_id
    draft, _ = get_draft_store().load(new_id)
    assert draft.pending["requirements"]["data"]["requirements-requirements_notes"] == ["Floors 2 to 5, typed after it expired!"]
