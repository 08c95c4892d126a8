"""Nothing typed is lost, in a real browser (issue 10 a, f): a page never conflicts with itself
(a reload or a step link moments after typing), and what is typed offline is kept on the device
and sent when a page of the draft is next open online, even after the tab was closed."""

import re

import pytest
from django.urls import reverse

from .browser.harness import Held, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .test_browser import AUTOSAVE, DRAFT_STEP, SAVED, draft_id_of, fill_details, save_and_continue, status, stored_pending, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

NOTES = "Notes on the requirements"




def on_requirements(browser_pages, context=None):
    page = browser_pages.page(context)
    page.goto(reverse("projects:wizard_new"))
    fill_details(page)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    return page


def eventually(page, check, seconds=10):
    """Poll ``check`` (a Python callable) while the page works, as a person would wait."""
    for _ in range(int(seconds * 10)):
        if check():
            return True
        page.wait_for_timeout(100)
    return check()


def no_conflict(page):
    expect(page.locator(".conflict")).to_have_count(0)
    expect(page.locator("#autosave-conflict")).to_be_hidden()


@pytest.mark.parametrize("gap_ms", [0, 150, 600, 1000])
def test_it_never_conflicts_with_itself_after_a_reload(browser_pages, gap_ms):
    page = on_requirements(browser_pages)
    notes = page.get_by_label(NOTES)
    notes.fill("Chillers on floors 2")
    page.wait_for_timeout(gap_ms)
    page.reload()

    notes = page.get_by_label(NOTES)
    expect(notes).to_have_value("Chillers on floors 2")  # what was typed comes back
    notes.press("End")
    notes.type(" to 5")
    expect(status(page)).to_have_text(SAVED)
    draft_id = draft_id_of(page)
    assert eventually(page, lambda: stored_pending(draft_id, "requirements").get("requirements-requirements_notes") == ["Chillers on floors 2 to 5"]), (
        stored_pending(draft_id, "requirements"), notes.input_value(), status(page).text_content()
    )
    no_conflict(page)


def test_a_save_answered_while_the_page_reloads_comes_back_on_a_page_rendered_before_it(browser_pages):
    # The race behind a failure of the test above (a 150 ms gap, on a slow machine): the reload's
    # page is rendered before the save in flight lands, and that save's answer reaches the page
    # being left. The page being left must not forget what it sent: the next page puts it back.
    page = on_requirements(browser_pages)
    held, answers = Held(page, AUTOSAVE), []
    page.on("requestfinished", lambda request: answers.append(request) if "/autosave/" in request.url else None)
    page.get_by_label(NOTES).fill("Chillers on floors 2")
    wait_for(page, held.routes)  # the save is on its way, held before the server
    rendered = []
    page.route(re.compile(r"/requirements/$"), lambda route: rendered.append((route, route.fetch())))
    page.evaluate("setTimeout(function () { location.reload(); }, 0)")
    wait_for(page, rendered)  # the server rendered the reload's page without the save
    held.release()
    # The save lands, and its answer reaches this page. (The page being left cannot be asked:
    # Playwright's calls, and the DevTools protocol's, wait for the navigation. So: the answer's
    # last byte arrived, then half a second for the page's script to read it.)
    wait_for(page, answers)
    page.wait_for_timeout(500)
    route, response = rendered[0]
    route.fulfill(response=response)

    notes = page.get_by_label(NOTES)
    expect(notes).to_have_value("Chillers on floors 2")
    expect(status(page)).to_have_text(SAVED)
    draft_id = draft_id_of(page)
    assert stored_pending(draft_id, "requirements")["requirements-requirements_notes"] == ["Chillers on floors 2"]
    no_conflict(page)
    # Reloaded again, after every save landed: the page has it, and the device forgets it.
    page.unroute(re.compile(r"/requirements/$"))
    page.reload()
    expect(page.get_by_label(NOTES)).to_have_value("Chillers on floors 2")
    assert eventually(page, lambda: page.evaluate("Object.keys(localStorage).filter(function (k) { return k.indexOf('pw-pending:') === 0; })") == [])
    no_conflict(page)


@pytest.mark.parametrize("gap_ms", [0, 150, 600, 1000])
def test_it_never_conflicts_with_itself_after_a_step_link(browser_pages, gap_ms):
    page = on_requirements(browser_pages)
    page.get_by_label(NOTES).fill("Typed just before leaving")
    page.wait_for_timeout(gap_ms)
    page.get_by_role("link", name=re.compile("Project details")).click()
    expect(page).to_have_url(re.compile(r"/details/$"))

    page.get_by_label("Client name").fill("Typed on step 1")
    expect(status(page)).to_have_text(SAVED)
    draft_id = draft_id_of(page)
    assert eventually(page, lambda: stored_pending(draft_id, "details").get("details-client_name") == ["Typed on step 1"])
    no_conflict(page)
    assert stored_pending(draft_id, "requirements")["requirements-requirements_notes"] == ["Typed just before leaving"]



def test_it_saves_what_was_typed_before_the_page_script_arrived(browser_pages):
    # A slow network: the person types while autosave.js is still on its way, then waits.
    page = on_requirements(browser_pages)
    held = Held(page, "**/js/autosave*.js")
    page.reload(wait_until="commit")
    page.get_by_label(NOTES).fill("Typed before the page was ready")
    wait_for(page, held.routes)
    held.release()
    expect(status(page)).to_have_text(SAVED)
    draft_id = draft_id_of(page)
    assert eventually(page, lambda: stored_pending(draft_id, "requirements").get("requirements-requirements_notes") == ["Typed before the page was ready"])


def test_it_sends_nothing_when_a_page_opens_and_nothing_was_typed(browser_pages):
    # The load-time check above must not take the page's own values for an edit: step 1 with
    # its values (text, a date, a chosen option, a ticked radio) opens, twice, without a save.
    page = on_requirements(browser_pages)
    page.get_by_role("link", name=re.compile("Project details")).click()
    expect(page).to_have_url(re.compile(r"/details/$"))
    sent = []
    page.route(AUTOSAVE, lambda route: (sent.append(route.request.url), route.fallback()))
    for _ in range(2):
        page.reload()
        expect(page.get_by_label("Project name")).not_to_have_value("")
        page.wait_for_timeout(600)  # 3 x the tests' autosave delay: a save would have gone
    assert sent == []

def test_it_keeps_what_is_typed_offline_on_the_device_and_sends_it_later(browser_pages):
    browser_pages.allow(r"net::ERR_INTERNET_DISCONNECTED")
    context = browser_pages.context()
    page = on_requirements(browser_pages, context)
    draft_url = page.url
    context.set_offline(True)

    page.get_by_label(NOTES).fill("Typed on the train")
    expect(status(page)).to_have_text("Saved on this device")
    browser_pages.screenshot(page, "saved-on-device")
    page.close()  # the tab is closed before the network comes back
    assert stored_pending(draft_url.split("/")[-3], "requirements") == {}

    context.set_offline(False)
    again = browser_pages.page(context)
    again.goto(draft_url)
    expect(again.get_by_label(NOTES)).to_have_value("Typed on the train")
    expect(status(again)).to_have_text(SAVED)
    assert stored_pending(draft_id_of(again), "requirements")["requirements-requirements_notes"] == ["Typed on the train"]


def test_it_sends_what_another_step_kept_offline_when_a_page_of_the_draft_opens(browser_pages):
    browser_pages.allow(r"net::ERR_INTERNET_DISCONNECTED")
    context = browser_pages.context()
    page = on_requirements(browser_pages, context)
    draft_id = draft_id_of(page)
    context.set_offline(True)
    page.get_by_label(NOTES).fill("Kept while offline")
    expect(status(page)).to_have_text("Saved on this device")
    page.close()

    context.set_offline(False)
    other = browser_pages.page(context)
    other.goto(reverse("projects:wizard_step", kwargs={"draft_id": draft_id, "step": "details"}))
    expect(other).to_have_url(DRAFT_STEP)
    other.wait_for_function(
        "() => !Object.keys(localStorage).some(key => key.indexOf('pw-pending:') === 0)"
    )
    assert stored_pending(draft_id, "requirements")["requirements-requirements_notes"] == ["Kept while offline"]


def test_it_sends_nothing_at_load_for_values_the_browser_only_wrote_its_own_way(browser_pages):
    # A draft written through the API keeps what the client sent, as the server accepts it: a UK
    # date ("01/03/2027"), a "+6", an email with spaces around it. A date box shows the first as
    # empty, a number box the second; that is the browser's doing, not something typed, and
    # opening the page must not save the empty box over the client's answer.
    from .api_helpers import DETAILS, SESSIONS

    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    answer = page.request.post(
        SESSIONS,
        headers={"X-CSRFToken": token, "Referer": page.url},
        data={"projectData": {**DETAILS, "estimatedStartDate": "01/03/2027", "numberOfFloors": "+6", "clientEmail": " facilities@harbour.example "}},
    )
    assert answer.status == 201, answer.text()
    draft_id = answer.json()["sessionId"]
    sent = []
    page.route(AUTOSAVE, lambda route: (sent.append(route.request.post_data), route.fallback()))
    page.goto(reverse("projects:wizard_step", kwargs={"draft_id": draft_id, "step": "details"}))
    expect(page.get_by_label("Project name")).not_to_have_value("")
    page.wait_for_timeout(600)  # 3 x the tests' autosave delay: a save would have gone
    assert sent == []
    assert stored_pending(draft_id, "details").get("details-estimated_start_date") in (None, ["01/03/2027"])
