"""The wizard's four steps over real HTTP (a ``Browser``), asserting each answer as a user sees it."""

import re

from ..conftest import pdf_bytes
from ..wizard_helpers import VALID_DETAILS, prefixed

DRAFT_PATH = re.compile(r"^/projects/new/([0-9a-f-]{36})/([a-z]+)/$")
PROJECT_PATH = re.compile(r"^/projects/(\d+)/$")
CONNECTOR = ("google_drive", "https://drive.google.com/drive/folders/abc")


def draft_of(path):
    match = DRAFT_PATH.match(path)
    assert match, path
    return match.group(1), match.group(2)


def expect_step(browser, path, step):
    assert draft_of(path)[1] == step, f"expected step {step!r}, was sent to {path}"
    page = browser.get(path)
    assert page.status == 200, (page.status, path, page.text[:2000])
    assert f'data-step="{step}"' in page.text
    return page


def details(browser, **overrides):
    """Step 1 from /projects/new/: returns the requirements step's path (the draft exists now)."""
    page = browser.get("/projects/new/")
    assert page.status == 200, page.status
    values = {key: value for key, value in dict(VALID_DETAILS, **overrides).items() if value is not None}
    response = browser.submit(page, prefixed("details", values))
    path = browser.location(response)
    draft_of(path)
    return path


def requirements(browser, path, files=None, notes="See the spec."):
    page = expect_step(browser, path, "requirements")
    files = files if files is not None else [("spec.pdf", pdf_bytes(f"draft {draft_of(path)[0]}"))]
    response = browser.submit(
        page,
        {"requirements-requirements_notes": notes},
        files=[("requirements-documents", (name, content, "application/octet-stream")) for name, content in files],
    )
    return browser.location(response)


def sources(browser, path, connectors=(CONNECTOR,), ai=True):
    page = expect_step(browser, path, "sources")
    data = {}
    if ai:
        data["sources-ai_sourcing_enabled"] = "on"
    data["sources-connectors-TOTAL_FORMS"] = str(max(len(connectors), 1))
    for index, (kind, target) in enumerate(connectors):
        data[f"sources-connectors-{index}-connector_type"] = kind
        data[f"sources-connectors-{index}-target"] = target
    response = browser.submit(page, data)
    return browser.location(response)


def review(browser, path):
    """Confirm at step 4; returns where the app sends the browser (the project, or sign-in)."""
    page = expect_step(browser, path, "review")
    response = browser.submit(page, {"review-confirm": "on"})
    return browser.location(response)


def project_id(path):
    match = PROJECT_PATH.match(path)
    assert match, f"expected a project page, was sent to {path}"
    return int(match.group(1))
