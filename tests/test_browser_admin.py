"""The admin in a real browser: the drafts list laid out readably at desktop width (headers apart,
the user agent shortened with the whole of it in a tooltip), the draft detail page laid out like
the admin's read-only change form with labels instead of stored values, the Project admin's
document download; on a 320 px phone the drafts list and the project's inline rows are cards,
with nothing off-screen (axe on those pages: tests/test_browser_axe.py).
Fixtures and screenshots: tests/browser/harness.py; users and drafts: tests/admin_helpers.py.
"""

import re

import pytest

from projects.models import Project

from .admin_helpers import LIST_URL, WINDOWS_UA, browser, logged_in, staff
from .admin_helpers import day_long_drafts, superuser  # noqa: F401 (fixtures)
from .browser.harness import browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import PASSWORD, pdf_bytes
from .test_admin_projects import commit_project
from .wizard_helpers import start_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

DESKTOP = {"width": 1280, "height": 900}


def signed_in_page(browser_pages, user, viewport=DESKTOP):
    page = browser_pages.page(viewport=viewport)
    page.goto("/accounts/login/?next=/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    return page



@pytest.fixture
def healthcare_draft(owner):
    return start_draft(browser(owner, ua=WINDOWS_UA), project_name="Northgate Clinic", building_type="healthcare", priority="medium")


# --- the drafts list ---------------------------------------------------------------------------------

HEADER_TEXTS = """() => [...document.querySelectorAll('#result_list thead th:not(.action-checkbox-column)')].map(th => {
  const range = document.createRange();
  range.selectNodeContents(th);
  const box = range.getBoundingClientRect();
  return {text: th.innerText.trim(), left: box.left, right: box.right, top: box.top, bottom: box.bottom};
}).filter(h => h.text)"""


def test_it_keeps_the_drafts_list_headers_apart_at_desktop_width(browser_pages, superuser, healthcare_draft):
    page = signed_in_page(browser_pages, superuser)
    page.goto(LIST_URL)
    browser_pages.screenshot(page, "drafts-list-1280")

    headers = page.evaluate(HEADER_TEXTS)

    assert [h["text"].lower() for h in headers][:3] == ["project name", "owner", "progress"]
    for before, after in zip(headers, headers[1:]):
        same_line = before["top"] < after["bottom"] and after["top"] < before["bottom"]
        assert not same_line or after["left"] - before["right"] >= 8, (before, after)


def test_it_shortens_the_user_agent_and_keeps_all_of_it_in_a_tooltip(browser_pages, superuser, healthcare_draft):
    page = signed_in_page(browser_pages, superuser)
    page.goto(LIST_URL)

    cell = page.locator("#result_list tbody tr").first.locator("td").last
    agent = cell.locator("[title]")
    expect(agent).to_have_attribute("title", WINDOWS_UA)
    shown = agent.inner_text()
    assert shown.endswith("…") and len(shown) < len(WINDOWS_UA)
    shown_box, area = agent.bounding_box(), page.locator("#changelist .results").bounding_box()
    assert shown_box["x"] + shown_box["width"] <= area["x"] + area["width"], "the user agent is cut off"


# --- the draft detail page ------------------------------------------------------------------------

def field(page, label):
    row = page.locator(".form-row", has=page.locator("label", has_text=re.compile(f"^{label}$")))
    return row.locator(".readonly")


def test_it_lays_out_the_draft_detail_like_a_read_only_change_form(browser_pages, superuser, healthcare_draft):
    page = signed_in_page(browser_pages, superuser)
    page.goto(f"{LIST_URL}{healthcare_draft}/")
    browser_pages.screenshot(page, "draft-detail-1280")

    label = page.locator(".form-row label", has_text=re.compile("^Building type$")).first
    value = field(page, "Building type")
    # Labels look like the admin's: quieter than the value, in a column of their own beside it.
    colour = "e => getComputedStyle(e).color"
    assert label.evaluate(colour) != value.evaluate(colour)
    assert label.evaluate("e => getComputedStyle(e).width") == "160px"
    label_box, value_box = label.bounding_box(), value.bounding_box()
    assert value_box["x"] >= label_box["x"] + label_box["width"]


def test_it_shows_choice_labels_not_stored_values_on_the_draft_detail(browser_pages, superuser, healthcare_draft):
    page = signed_in_page(browser_pages, superuser)
    page.goto(f"{LIST_URL}{healthcare_draft}/")

    expect(field(page, "Building type")).to_have_text("Healthcare")
    expect(field(page, "Priority")).to_have_text("Medium")


# --- the Project admin's documents ---------------------------------------------------------------

@pytest.fixture
def project(owner, pdf):
    return commit_project(owner, [pdf("brief.pdf", text="Harbour brief")])


def test_it_lets_staff_download_a_project_document(browser_pages, superuser, project):
    page = signed_in_page(browser_pages, superuser)
    page.goto(f"/admin/projects/project/{project.pk}/change/")
    link = page.get_by_role("link", name="Download brief.pdf")

    response = page.request.get(link.get_attribute("href"), max_redirects=0)

    assert response.status == 200, response.status
    assert response.body() == pdf_bytes("Harbour brief")
    assert "brief.pdf" in response.headers["content-disposition"]


def test_it_refuses_the_project_document_to_anyone_not_staff(superuser, project, other_user):
    document = project.documents.get()
    url = logged_in(superuser).get(f"/admin/projects/project/{project.pk}/change/").content.decode()
    href = re.search(r'href="([^"]*/documents/%d/[^"]*)"' % document.pk, url).group(1)
    no_permission = staff("staff_no_projects")

    assert logged_in(other_user).get(href).status_code == 302  # to the admin's sign-in page
    assert logged_in(no_permission).get(href).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


# --- phones -----------------------------------------------------------------------------------------

OFF_SCREEN = """() => [...document.querySelectorAll('#content *')]
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 1; })
  .map(e => e.id || e.className || e.tagName)"""


def test_it_keeps_every_value_on_screen_on_a_320_px_phone(browser_pages, superuser, healthcare_draft, project):
    page = signed_in_page(browser_pages, superuser, viewport={"width": 320, "height": 700})
    for url in (LIST_URL, f"{LIST_URL}{healthcare_draft}/", f"/admin/projects/project/{project.pk}/change/"):
        page.goto(url)
        # Not even inside a box that scrolls sideways: the tables become cards.
        assert page.evaluate(OFF_SCREEN) == [], url
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, url
        browser_pages.screenshot(page, url.strip("/").replace("/", "-") + "-320")
    size_label = "getComputedStyle(document.querySelector('#documents-group td.field-size p'), '::before').content"
    assert page.evaluate(size_label) == '"Size: "'  # each value named, the headers being gone
