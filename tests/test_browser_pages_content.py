"""Issue 11's pages in a real browser: check your answers, phones, formatting and wording, the
drafts list, sign-up in the middle of a draft, and the project page (axe on each:
tests/test_browser_axe.py)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from projects.models import DataConnector, Project

from .browser.harness import Held, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .api_helpers import created
from .conftest import PASSWORD, pdf_bytes
from .wizard_helpers import browser
from .factories import UserFactory
from .test_browser import fill_details, save_and_continue, sign_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

LONG_NAME = "N" * 100
LONG_URL = "https://drive.google.com/drive/folders/" + "a" * 161



def to_requirements(page):
    page.goto(reverse("projects:wizard_new"))
    fill_details(page)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))


def to_review(page, name="Harbour Office Retrofit", url="https://drive.google.com/drive/folders/abc"):
    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name=name)
    page.get_by_label("Square footage").fill("12500")
    page.get_by_label("Budget").fill("250000")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    attach(page)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))
    page.get_by_label("Connector type").select_option("google_drive")
    page.get_by_label("URL or identifier").fill(url)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/review/$"))


def attach(page):
    page.locator("#id_requirements-documents").set_input_files(
        files=[{"name": "spec.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("HVAC spec")}]
    )


def make_project(user, name="Harbour Office Retrofit", target="https://drive.google.com/drive/folders/abc"):
    project = Project.objects.create(
        owner=user, project_name=name, building_type="commercial", square_footage="12500.00", budget="250000.00"
    )
    DataConnector.objects.create(project=project, connector_type="google_drive", target=target)
    return project


# --- (5) check your answers ---------------------------------------------------------------------


def test_it_lets_each_answer_be_changed_and_creates_the_project_without_a_tick_box(browser_pages):
    UserFactory(username="owner")
    page = browser_pages.page()
    sign_in(page, "owner")
    to_review(page)

    change = page.get_by_role("link", name="Change project name")
    expect(change).to_have_count(1)
    assert change.get_attribute("href").endswith("/details/?return=review")
    assert page.get_by_role("link", name="Change budget").get_attribute("href").endswith("/details/?return=review")
    expect(page.get_by_role("link", name="Change client name")).to_have_count(1)
    expect(page.locator(".summary-row", has_text="Client name")).to_contain_text("Not provided")
    assert page.get_by_role("checkbox").count() == 0
    expect(page.locator("#declaration")).to_contain_text("By creating the project")
    browser_pages.screenshot(page, "review")

    change.click()
    expect(page).to_have_url(re.compile(r"/details/\?return=review$"))
    page.get_by_label("Project name").fill("Harbour Office Refit")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/review/$"))
    page.get_by_role("button", name="Create project").click()
    project = Project.objects.get()
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/$"))
    assert project.project_name == "Harbour Office Refit"


# --- (6) phones -----------------------------------------------------------------------------------


def test_it_never_scrolls_sideways_at_320_px_with_long_unbroken_answers(browser_pages):
    user = UserFactory(username="owner")
    page = browser_pages.page(viewport={"width": 320, "height": 700})
    sign_in(page, "owner")
    widths = {}

    def measure(name):
        widths[name] = page.evaluate("document.documentElement.scrollWidth")

    page.goto(reverse("projects:wizard_new"))
    fill_details(page, name=LONG_NAME)
    measure("details")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    measure("requirements")
    attach(page)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))
    page.get_by_label("Connector type").select_option("google_drive")
    page.get_by_label("URL or identifier").fill(LONG_URL)
    measure("sources")
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/review/$"))
    measure("review")
    page.goto(reverse("projects:drafts"))
    measure("drafts")
    browser_pages.screenshot(page, "drafts-320")
    project = make_project(user, name=LONG_NAME, target=LONG_URL)
    page.goto(project.get_absolute_url())
    measure("project")
    browser_pages.screenshot(page, "project-320")
    page.goto(reverse("projects:list"))
    measure("list")
    assert {name: width for name, width in widths.items() if width > 320} == {}


# --- (8) formatting and wording -------------------------------------------------------------------


def test_it_formats_numbers_and_names_the_time_zone(browser_pages):
    user = UserFactory(username="owner")
    page = browser_pages.page()
    sign_in(page, "owner")
    to_review(page)
    expect(page.locator(".summary-row", has_text="Square footage")).to_contain_text("12,500 sq ft")
    expect(page.locator(".summary-row", has_text="Budget")).to_contain_text("$250,000")

    project = make_project(user)
    page.goto(project.get_absolute_url())
    expect(page.locator("main")).to_contain_text("12,500 sq ft")
    expect(page.locator("main")).to_contain_text("$250,000")
    assert "12500.00" not in page.locator("main").inner_text()
    created = page.locator("main time").first
    assert created.get_attribute("datetime")
    expect(created).to_contain_text("UTC")


def test_it_explains_its_errors_in_its_own_words(browser_pages):
    page = browser_pages.page()
    page.goto(reverse("projects:wizard_new"))
    fill_details(page)
    page.get_by_label("Number of floors").fill("0")
    page.get_by_label("Number of zones").fill("0")
    page.get_by_label("Estimated end date").fill("2027-01-01")
    save_and_continue(page)
    main = page.locator("main")
    expect(main).to_contain_text("The number of floors must be between 1 and 500.")
    expect(main).to_contain_text("The number of zones must be between 1 and 10,000.")
    expect(main).to_contain_text("The end date cannot be before the start date: enter a later date, or leave it empty.")
    assert "Ensure this value" not in main.inner_text()


def to_sources(page):
    to_requirements(page)
    attach(page)
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))


def target_hint(page):
    return page.locator("#connector-1 .field").nth(1).locator(".hint")


def test_it_gives_the_connector_hint_of_the_chosen_type(browser_pages):
    page = browser_pages.page()
    to_sources(page)
    page.get_by_label("Connector type").select_option("s3")
    expect(target_hint(page)).to_contain_text("s3://my-bucket/drawings/")
    save_and_continue(page)  # a type without a target: says why the optional field is needed
    expect(page.locator("main")).to_contain_text("because you chose a connector type")
    expect(target_hint(page)).to_contain_text("s3://my-bucket/drawings/")


def test_it_gives_the_hint_of_a_type_chosen_before_the_page_script_arrived(browser_pages):
    # A slow network: the type is chosen while connector-hints.js is still on its way.
    page = browser_pages.page()
    to_sources(page)
    held = Held(page, "**/js/connector-hints*.js")
    page.reload(wait_until="commit")
    page.get_by_label("Connector type").select_option("s3")
    wait_for(page, held.routes)
    held.release()
    expect(target_hint(page)).to_contain_text("s3://my-bucket/drawings/")

# --- (9) your drafts ------------------------------------------------------------------------------


def test_it_tells_untitled_drafts_apart(browser_pages, frozen_clock):
    user = UserFactory(username="owner")
    api = browser(user)
    created(api, {})
    frozen_clock.travel(timedelta(hours=1))
    created(api, {})
    page = browser_pages.page()
    sign_in(page, "owner")
    to_requirements(page)
    page.goto(reverse("projects:drafts"))
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    names = rows.locator("td[data-label=Project]").all_inner_texts()
    assert len(set(names)) == len(names), names
    assert any(re.search(r"Untitled — started \d\d:\d\d, at step \d", name) for name in names), names
    expect(page.locator("thead")).to_contain_text("Started")
    resume = page.get_by_role("link", name=re.compile("^Resume")).first.bounding_box()
    discard = page.get_by_role("link", name=re.compile("^Discard")).first.bounding_box()
    assert discard["x"] - (resume["x"] + resume["width"]) >= 12 or discard["y"] - (resume["y"] + resume["height"]) >= 8
    browser_pages.screenshot(page, "drafts")


# --- (10) sign-up in the middle of a draft ---------------------------------------------------------


def test_it_lands_back_on_the_draft_after_signing_up(browser_pages):
    page = browser_pages.page()
    to_requirements(page)
    where = page.url
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password", exact=True).fill(PASSWORD + "x9")
    page.get_by_label("Password confirmation").fill(PASSWORD + "x9")
    page.get_by_role("button", name="Create account").click()
    # Asked first whether to move the browser's draft into the new account (issue 12 L3).
    expect(page.get_by_role("heading", level=1)).to_have_text("Move this draft to your account?")
    page.get_by_role("button", name="Move them to my account").click()
    expect(page).to_have_url(where)


# --- (11) the project page ------------------------------------------------------------------------


def test_it_makes_the_project_page_worth_landing_on(browser_pages):
    user = UserFactory(username="owner")
    page = browser_pages.page()
    sign_in(page, "owner")
    project = make_project(user)
    page.goto(project.get_absolute_url())
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_role("heading", name="Connectors")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No documents were attached")
    browser_pages.screenshot(page, "project")
