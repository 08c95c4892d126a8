"""axe-core on every page state issue 11's "Done when" lists (tests/browser/axe_states.py walks
them): each wizard step empty, with errors and filled, the review, the project page and list, the
drafts list, and the admin's drafts list, draft detail and project change page. None may have a
critical, serious or moderate violation. docs/accessibility.md has the counts before issue 11."""

import pytest

from .admin_helpers import superuser  # noqa: F401 (fixtures)
from .browser.axe_states import rules, walk
from .browser.harness import AXE, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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
