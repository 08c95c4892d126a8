"""Every page state issue 11's "Done when" names, walked in Chromium with axe-core run in each.

Used by tests/test_browser_axe.py (against the live server: no critical, serious or moderate
violation anywhere), and on its own to count violations by impact on any running site, for the
before/after table in docs/accessibility.md:

    .venv/bin/python -m tests.browser.axe_states http://127.0.0.1:8811 axe 'a-password' > after.json
    .venv/bin/python -m tests.browser.axe_states --table before.json after.json

The user must be a superuser (the walk fills the wizard, creates a project, then opens the admin).
Selectors use input names and the step form's own buttons, which the site has kept since before
issue 11, so the same walk runs on older commits.
"""

import json
import re
import sys
from pathlib import Path

from .harness import AXE, CHROMIUM, LAUNCH_ARGS

IMPACTS = ("critical", "serious", "moderate", "minor")
AXE_RULES = "axe.run({resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length})))"
DRAFTS_ADMIN = "/admin/sessions_store/draftrecord/"
DETAILS = {
    "project_name": "Harbour Office Retrofit",
    "project_description": "Replace the chillers and re-zone floors 2-5.",
    "square_footage": "12500",
    "client_email": "facilities@harbour.example",
    "budget": "250000",
}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def rules(page):
    """The page's axe violations: [{id, impact, nodes}]."""
    page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RULES)


def submit(page):
    # The next page's load, not any navigation: a click while an autosave is in flight submits once
    # the save answers, and that answer's history.replaceState (the new draft's URL) is a
    # same-document navigation, which expect_navigation() took for the submit on a slow machine.
    with page.expect_event("load"):
        page.locator("#step-form .actions button.primary").click()


def settle_uploads(page):
    # With the upload script, a chosen file uploads at once: wait for its row to be answered.
    page.wait_for_function("() => !document.querySelector('#upload-list .upload-row:not(.upload-error)')")


def walk(page, username, password):
    """Yield the name of each state once the page shows it."""
    page.goto("/accounts/login/")
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("[name=password]").press("Enter")

    page.goto("/projects/new/")
    yield "details, empty"
    submit(page)
    yield "details, with errors"
    page.goto("/projects/new/")
    for name, value in DETAILS.items():
        page.locator(f"[name=details-{name}]").fill(value)
    page.locator("[name=details-building_type]").select_option("commercial")
    yield "details, filled"
    submit(page)
    yield "requirements, empty"
    submit(page)
    yield "requirements, with errors"
    page.locator("[name=requirements-documents]").set_input_files(
        files=[{"name": "spec.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    settle_uploads(page)
    page.locator("[name=requirements-requirements_notes]").fill("See the spec.")
    yield "requirements, filled"
    submit(page)
    yield "sources, empty"
    page.locator("[name=sources-connectors-0-connector_type]").select_option("s3")
    submit(page)
    yield "sources, with errors"
    page.locator("[name=sources-connectors-0-target]").fill("s3://harbour-drawings/hvac/")
    yield "sources, filled"
    submit(page)
    yield "review"
    tick = page.locator("input[type=checkbox][name=review-confirm]")  # before issue 11: a tick box
    if tick.count():
        tick.check()
    submit(page)
    project = re.search(r"/projects/(\d+)/$", page.url).group(1)
    yield "project page"
    page.goto("/projects/")
    yield "project list"
    page.goto("/projects/new/")
    page.locator("[name=details-project_name]").fill("Riverside School")
    page.locator("[name=details-building_type]").select_option("education")
    page.locator("[name=details-square_footage]").fill("30000")
    submit(page)
    draft = re.search(r"/projects/new/([0-9a-f-]{36})/", page.url).group(1)
    page.goto("/projects/drafts/")
    yield "drafts list"
    page.goto(DRAFTS_ADMIN)
    yield "admin: drafts list"
    page.goto(f"{DRAFTS_ADMIN}{draft}/")
    yield "admin: draft detail"
    page.goto(f"/admin/projects/project/{project}/change/")
    yield "admin: project change"


def counts(found):
    return {impact: sum(1 for rule in found if rule["impact"] == impact) for impact in IMPACTS}


def measure(base_url, username, password):
    """{state: [violations]} for one site."""
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, timezone_id="UTC")
        context.set_default_timeout(15_000)
        page = context.new_page()
        for state in walk(page, username, password):
            results[state] = rules(page)
        browser.close()
    return results


def table(before, after):
    """The markdown table of docs/accessibility.md: violated rules per impact (critical / serious
    / moderate / minor), before and after."""
    lines = [
        "| State | Before | After | Rules before | Rules after |",
        "|---|---|---|---|---|",
    ]
    for state in after:
        cells = []
        for found in (before.get(state, []), after[state]):
            cells.append("/".join(str(n) for n in counts(found).values()))
        names = [", ".join(sorted(f"`{rule['id']}`" for rule in found)) or "—" for found in (before.get(state, []), after[state])]
        lines.append(f"| {state} | {cells[0]} | {cells[1]} | {names[0]} | {names[1]} |")
    return "\n".join(lines)


def main(argv):
    if argv[:1] == ["--table"]:
        before, after = (json.loads(Path(name).read_text()) for name in argv[1:3])
        print(table(before, after))
        return 0
    base_url, username, password = argv
    print(json.dumps(measure(base_url, username, password), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
