"""axe-core on every page state issue 11's "Done when" lists (tests/browser/axe_states.py walks
them): each wizard step empty, with errors and filled, the review, the project page and list, the
drafts list, and the admin's drafts list, draft detail and project change page. None may have a
critical, serious or moderate violation. docs/accessibility.md has the counts before issue 11."""

import pytest

from .admin_helpers import superuser  # noqa: F401 (fixtures)
from .browser.axe_states import rules, walk
from .browser.harness import AXE, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import PASSWORD
from .test_browser_admin import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

SERIOUS = {"critical", "serious", "moderate"}


def test_it_has_no_axe_violations_in_any_state_of_any_page(browser_pages, superuser):
    browser_pages.allow(r"Applying inline style violates")  # axe-core's own probes, refused by the CSP
    if not AXE.exists():
        pytest.skip(f"axe-core is not at {AXE}: `make test` installs it with npm (or set AXE_CORE_JS)")
    page = browser_pages.page(viewport={"width": 1280, "height": 900})
    found = {}
    for state in walk(page, superuser.username, PASSWORD):
        found[state] = [f"{rule['id']} ({rule['impact']})" for rule in rules(page) if rule["impact"] in SERIOUS]

    assert len(found) == 16, list(found)
    assert {state: violations for state, violations in found.items() if violations} == {}


def test_it_has_no_axe_violations_on_a_user_s_admin_page(browser_pages, superuser):
    # The stock user page: its group and permission pickers (filter_horizontal) name their filter
    # icons on a <span> with no role, which ARIA refuses (wizard_site/admin.py FilterWithNamedIcons).
    browser_pages.allow(r"Applying inline style violates")  # axe-core's own probes, refused by the CSP
    if not AXE.exists():
        pytest.skip(f"axe-core is not at {AXE}: `make test` installs it with npm (or set AXE_CORE_JS)")
    page = signed_in_page(browser_pages, superuser)
    page.goto(f"/admin/auth/user/{superuser.pk}/change/")
    expect(page.locator(".selector")).to_have_count(2)  # Django's script has built both pickers
    expect(page.get_by_role("textbox", name="Type into this box to filter down the list of available user permissions.")).to_be_visible()

    assert [f"{rule['id']} ({rule['impact']})" for rule in rules(page) if rule["impact"] in SERIOUS] == []
