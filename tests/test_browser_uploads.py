"""Step 2's multi-file upload pattern in a real browser (issue 11, item 3; static/js/uploads.js).

With JavaScript each chosen file uploads at once, in a row of its own with its progress and
status, then joins the attached list with a Remove button that acts at once; a refused file
says why in its own row while the others upload; "Save and continue" waits for uploads in
flight, showing that it does. Without the script the form posts the files, and the button shows
a busy state while it does; without JavaScript at all the tick boxes and the submit still work.
"""

import re

import pytest

from .browser.harness import Held, axe_violations, browser_pages, browser_settings, chromium  # noqa: F401 (fixtures)
from .conftest import pdf_bytes
from .documents_helpers import EXE_BYTES, load_draft
from .test_browser import draft_id_of, save_and_continue, wait_for
from .test_browser_pages_content import to_requirements

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips every test with the reason
    expect = None

UPLOADS = re.compile(r"/files/$")


def pdf_file(name, size=0):
    content = pdf_bytes(name)
    return {"name": name, "mimeType": "application/pdf", "buffer": content + b"%" * max(size - len(content), 0)}


def choose(page, *files):
    page.locator("#id_requirements-documents").set_input_files(files=list(files))


def attached_names(page):
    return page.locator("#attached-list li a").all_inner_texts()


def stored_names(page):
    return [item["name"] for item in load_draft(draft_id_of(page)).files]


def test_it_uploads_each_file_as_chosen_and_removes_one_at_once(browser_pages):
    page = browser_pages.page()
    to_requirements(page)
    held = Held(page, UPLOADS)

    choose(page, pdf_file("one.pdf"), pdf_file("two.pdf"))

    rows = page.locator("#upload-list .upload-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_label("one.pdf")).to_have_js_property("tagName", "PROGRESS")
    expect(page.get_by_label("two.pdf")).to_have_js_property("tagName", "PROGRESS")
    expect(rows.first.locator(".upload-status")).to_have_text("Uploading…")
    expect(rows.nth(1).locator(".upload-status")).to_have_text("Waiting…")
    browser_pages.screenshot(page, "uploading")
    held.release()

    expect(rows).to_have_count(0)
    expect(page.locator("#attached-list li")).to_have_count(2)
    assert attached_names(page) == ["one.pdf", "two.pdf"]
    expect(page.locator("#documents legend")).to_have_text("Attached documents (2)")
    expect(page.locator("label[for=id_requirements-documents]")).to_have_text("Add documents (optional)")
    assert page.locator("#documents").get_attribute("aria-live") == "polite"
    assert stored_names(page) == ["one.pdf", "two.pdf"]
    assert page.get_by_role("checkbox").count() == 0
    assert axe_violations(page) == []
    browser_pages.screenshot(page, "uploaded")

    page.get_by_role("button", name="Remove one.pdf").click()

    expect(page.locator("#attached-list li")).to_have_count(1)
    expect(page.get_by_role("button", name="Remove two.pdf")).to_be_focused()
    expect(page.locator("#documents-status")).to_have_text("“one.pdf” removed. 1 document attached.")
    assert stored_names(page) == ["two.pdf"]
    page.reload()
    assert attached_names(page) == ["two.pdf"]
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))


def test_it_gives_a_refused_file_its_own_error_while_the_others_upload(browser_pages, settings):
    settings.UPLOAD_MAX_FILE_SIZE = 1000
    browser_pages.allow(r"status of 400")  # each refused file's answer
    # At 320 px, and a name with no break in it: a row never widens the page (site.css .file-list).
    good = "survey-" + "x" * 100 + ".pdf"
    page = browser_pages.page(viewport={"width": 320, "height": 800})
    to_requirements(page)

    choose(
        page,
        pdf_file("large.pdf", size=2000),
        pdf_file(good),
        {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": EXE_BYTES},
    )

    expect(page.locator("#attached-list li")).to_have_count(1)
    errors = page.locator("#upload-list .upload-error")
    expect(errors).to_have_count(2)
    expect(errors.first).to_contain_text("“large.pdf” is 2.0\xa0KB: each file must be 1000\xa0bytes or smaller.")
    expect(errors.nth(1)).to_contain_text("“setup.pdf” does not contain what its name says")
    assert attached_names(page) == [good]
    assert stored_names(page) == [good]
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert axe_violations(page) == []
    browser_pages.screenshot(page, "refused-320")



def test_it_uploads_files_chosen_before_the_page_script_arrived(browser_pages):
    # A slow network: the files are chosen while uploads.js is still on its way.
    page = browser_pages.page()
    to_requirements(page)
    held = Held(page, "**/js/uploads*.js")
    page.reload(wait_until="commit")
    wait_for(page, held.routes)
    choose(page, pdf_file("early.pdf"))
    held.release()
    expect(page.locator("#attached-list li")).to_have_count(1)
    assert attached_names(page) == ["early.pdf"]
    assert stored_names(page) == ["early.pdf"]


def test_it_refuses_a_file_too_big_without_sending_it(browser_pages, settings):
    # On a phone's data plan a file over the limit is refused at once, in the server's words.
    settings.UPLOAD_MAX_FILE_SIZE = 1000
    page = browser_pages.page()
    to_requirements(page)
    sent = []
    page.route(UPLOADS, lambda route: (sent.append(route.request.post_data_buffer or b""), route.fallback()))
    choose(page, pdf_file("large.pdf", size=2000), pdf_file("small.pdf"))

    expect(page.locator("#attached-list li")).to_have_count(1)
    expect(page.locator("#upload-list .upload-error")).to_contain_text(
        "“large.pdf” is 2.0\xa0KB: each file must be 1000\xa0bytes or smaller."
    )
    assert len(sent) == 1 and b'filename="small.pdf"' in sent[0]
    assert stored_names(page) == ["small.pdf"]

def test_it_continues_once_the_uploads_in_flight_are_done(browser_pages):
    page = browser_pages.page()
    to_requirements(page)
    held = Held(page, UPLOADS)
    choose(page, pdf_file("spec.pdf"))
    expect(page.locator("#upload-list .upload-row")).to_have_count(1)

    save_and_continue(page)

    button = page.locator(".actions .primary")
    expect(button).to_have_text("Uploading…")
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(page).to_have_url(re.compile(r"/requirements/$"))
    held.release()
    expect(page).to_have_url(re.compile(r"/sources/$"))
    assert stored_names(page) == ["spec.pdf"]


def test_it_clears_the_no_document_error_once_a_document_is_attached(browser_pages):
    page = browser_pages.page()
    to_requirements(page)
    save_and_continue(page)
    expect(page.locator("#field-requirements-documents .error-message")).to_have_count(1)

    choose(page, pdf_file("spec.pdf"))

    expect(page.locator("#attached-list li")).to_have_count(1)
    expect(page.locator("#field-requirements-documents .error-message")).to_have_count(0)
    expect(page.locator("#error-summary")).to_be_hidden()
    assert not page.title().startswith("Error:")


# Reports what the step form's primary button shows once its submit goes ahead, then clicks it
# again (while the first submit is held, locators and evaluate wait for the navigation).
SUBMIT_WATCH = """window.addEventListener("submit", (event) => {
  if (event.target.id !== "step-form") return;
  const button = event.target.querySelector(".actions .primary");
  if (!window.pwSubmitted) {
    window.pwSubmitted = true;
    console.log(`pw:busy ${button.textContent} ${button.getAttribute("aria-disabled")}`);
    setTimeout(() => button.click(), 0);
  } else {
    console.log(`pw:again ${event.defaultPrevented ? "ignored" : "sent"}`);
  }
});"""


def test_it_shows_the_form_busy_while_it_posts_files_without_the_upload_script(browser_pages):
    browser_pages.allow(r"Failed to load resource")
    page = browser_pages.page()
    page.route("**/uploads.js", lambda route: route.abort())
    to_requirements(page)
    page.add_init_script(SUBMIT_WATCH)
    page.reload()
    posts, said = [], []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/requirements/") and posts.append(r))
    page.on("console", lambda message: message.text.startswith("pw:") and said.append(message.text))
    held = Held(page, "**/requirements/")
    choose(page, pdf_file("spec.pdf"))
    expect(page.locator("#upload-list")).to_have_count(0)  # not enhanced: the files go with the form

    with page.expect_console_message(lambda message: message.text.startswith("pw:again")):
        page.get_by_role("button", name="Save and continue").click(no_wait_after=True)
    held.release()

    expect(page).to_have_url(re.compile(r"/sources/$"))
    assert said == ["pw:busy Uploading… true", "pw:again ignored"]
    assert len(posts) == 1
    assert stored_names(page) == ["spec.pdf"]


def test_it_keeps_the_tick_boxes_and_the_submit_without_javascript(browser_pages):
    page = browser_pages.page(java_script_enabled=False)
    to_requirements(page)
    requirements = page.url
    choose(page, pdf_file("one.pdf"), pdf_file("two.pdf"))
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))
    page.goto(requirements)

    expect(page.get_by_role("checkbox", name="Remove one.pdf")).to_be_visible()
    assert page.get_by_role("button", name=re.compile("^Remove")).count() == 0
    page.get_by_role("checkbox", name="Remove one.pdf").check()
    save_and_continue(page)
    expect(page).to_have_url(re.compile(r"/sources/$"))
    assert [item["name"] for item in load_draft(draft_id_of(page)).files] == ["two.pdf"]


@pytest.mark.parametrize(
    "name, size",
    [
        ("large.pdf", 1280),  # 1.25 KB: Django rounds it to "1.2 KB" (half to even), not "1.3 KB"
        ("{size} plan.pdf", 2000),  # the name's own "{size}" is not the message's
        ("Plan.PDF", 2000),  # the server shows the name as it keeps it (display_name): "Plan.pdf"
    ],
)
def test_it_refuses_a_file_too_big_in_exactly_the_servers_words(browser_pages, settings, name, size):
    from django.template.defaultfilters import filesizeformat

    from projects.forms import too_big_message
    from projects.uploads import display_name

    settings.UPLOAD_MAX_FILE_SIZE = 1000
    page = browser_pages.page()
    to_requirements(page)
    choose(page, pdf_file(name, size=size))

    expect(page.locator("#upload-list .upload-error")).to_have_count(1)
    shown = page.locator("#upload-list .upload-error").inner_text()
    assert too_big_message(display_name(name), filesizeformat(size)) in shown
