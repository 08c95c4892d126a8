"""Autosave: what the user types is kept as "typed, not submitted", and tabs do not overwrite each other.

The endpoint is posted form-encoded like the step form (as static/js/autosave.js sends it), with
the page's ``draft_version``. Then the pages: a submit from a stale tab is a 409 that keeps the
input; navigation alone never makes another tab stale. Real Redis and a real database throughout.
"""

import html
import re
import uuid
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from projects.models import Project
from projects.steps import draft_title

from .conftest import pdf_bytes, upload
from .wizard_helpers import (
    attach_on_page,
    browser,
    draft_count,
    json_error,
    page_version,
    stored,
    VALID_DETAILS,
    complete_until_review,
    confirm,
    details_post,
    management,
    prefixed,
    sources_post,
    stale_first_tab,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

OTHER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
AUTOSAVE_NEW = reverse("projects:autosave_new")
RESTORED = "We restored what you typed here at"
CONFLICT = "Some answers on this page were changed in another tab or window since you opened it."
# The first step as a browser sends it before anything is typed: empty fields, the preset priority.
EMPTY_DETAILS = {
    **prefixed("details", {name: "" for name in VALID_DETAILS if name != "priority"}),
    "details-priority": "medium",
}


# --- helpers ---------------------------------------------------------------------------------------

def autosave_url(draft_id, step):
    return reverse("projects:autosave", kwargs={"draft_id": draft_id, "step": step})


def autosave(client, url, values, version=None, **extra):
    """POST like autosave.js: form-encoded, files left out, the page's draft_version."""
    data = {**values, **management(url.rstrip("/").split("/")[-2] if url != AUTOSAVE_NEW else "details")}
    if version is not None:
        data["draft_version"] = str(version)
    return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded", **extra)


def saved(response):
    assert response.status_code == 200, response.content.decode()[:2000]
    data = response.json()
    assert data["saved"] is True, data
    return data


def page(response):
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def api_session(client, draft_id):
    response = client.get(f"/api/sessions/{draft_id}")
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.json()


# --- a draft from the first typed value ------------------------------------------------------------

def test_it_saves_nothing_for_an_empty_form_and_creates_no_draft(anonymous, drafts_redis):
    response = autosave(anonymous, AUTOSAVE_NEW, {**EMPTY_DETAILS, "details-priority": ""})

    assert response.status_code == 200
    assert response.json() == {"saved": False}
    assert draft_count(drafts_redis) == 0
    assert drafts_redis.keys("*limit:create:*") == []  # not counted as a creation either


def test_it_creates_no_draft_from_the_untouched_first_step(anonymous, drafts_redis):
    response = autosave(anonymous, AUTOSAVE_NEW, EMPTY_DETAILS)

    assert response.json() == {"saved": False}
    assert draft_count(drafts_redis) == 0


def test_it_creates_a_draft_owned_by_this_browser_from_the_first_typed_values(anonymous, drafts_redis):
    response = autosave(anonymous, AUTOSAVE_NEW, {**EMPTY_DETAILS, "details-project_name": "Harbour", "details-client_email": "half@"})

    data = saved(response)
    draft_id = data["draftId"]
    assert data["version"] == 1
    assert data["stepUrl"] == step_url(draft_id, "details")
    assert data["autosaveUrl"] == autosave_url(draft_id, "details")
    assert data["savedAt"]
    # Errors keyed by input name, for the page to show under its fields.
    assert set(data["errors"]) == {"details-building_type", "details-square_footage", "details-client_email"}
    assert data["errors"]["details-client_email"] == ["Enter the client email in the format name@example.com."]
    assert draft_count(drafts_redis) == 1
    draft = stored(draft_id)
    assert draft.wizard["step_data"] == {}  # typed, not submitted
    assert draft.pending["details"]["data"]["details-project_name"] == ["Harbour"]

    # The draft is this browser's: not another browser's, nor this one with another user agent.
    assert browser().get(data["stepUrl"]).status_code == 404
    other_browser = anonymous.get(data["stepUrl"], HTTP_USER_AGENT=OTHER_UA)
    assert other_browser.status_code == 403
    assert "This draft was started in another browser" in other_browser.content.decode()
    assert "Harbour" not in other_browser.content.decode()
    json_error(autosave(browser(), data["autosaveUrl"], {"details-project_name": "Not mine"}), 404, "SESSION_NOT_FOUND")
    assert stored(draft_id).pending["details"]["data"]["details-project_name"] == ["Harbour"]


def test_it_shows_the_typed_values_on_the_step_without_errors_and_says_they_were_restored(anonymous):
    data = saved(autosave(anonymous, AUTOSAVE_NEW, {**EMPTY_DETAILS, "details-project_name": "Harbour <Office>", "details-client_email": "half@"}))

    response = anonymous.get(data["stepUrl"])

    content = page(response)
    assert 'value="Harbour <Office>"' in content
    assert 'value="half@"' in content
    assert 'value="medium" id="id_details-priority_1" required checked' in content
    assert RESTORED in content and "It is not submitted yet" in content
    # Not submitted, so not shouted about: no error summary, no field errors.
    assert 'id="error-summary"' not in content
    assert "error-message" not in content
    assert not content.split("<title>")[1].startswith("Error")
    assert page_version(response) == str(data["version"])
    assert f'data-autosave-url="{data["autosaveUrl"]}"' in content


def test_it_completes_the_step_only_when_it_is_submitted(anonymous):
    data = saved(autosave(anonymous, AUTOSAVE_NEW, prefixed("details", VALID_DETAILS)))
    draft_id = data["draftId"]
    assert data["errors"] == {}  # valid, but still only typed

    ahead = anonymous.get(step_url(draft_id, "requirements"))
    assert ahead.status_code == 302 and ahead["Location"] == step_url(draft_id, "details")
    assert api_session(anonymous, draft_id)["completedSteps"] == []
    assert api_session(anonymous, draft_id)["unsubmittedSteps"] == [1]

    form = anonymous.get(data["stepUrl"])
    response = anonymous.post(data["stepUrl"], {**details_post(), "draft_version": page_version(form)})

    assert response.status_code == 302 and response["Location"] == step_url(draft_id, "requirements")
    assert anonymous.get(step_url(draft_id, "requirements")).status_code == 200
    session = api_session(anonymous, draft_id)
    assert session["completedSteps"] == [1] and session["unsubmittedSteps"] == []
    assert stored(draft_id).pending == {}
    assert RESTORED not in page(anonymous.get(data["stepUrl"]))


def test_it_keeps_a_submitted_step_as_submitted_until_it_is_submitted_again(signed_in, pdf):
    draft_id = complete_until_review(signed_in, [pdf()])
    version = page_version(signed_in.get(step_url(draft_id, "details")))

    data = saved(autosave(signed_in, autosave_url(draft_id, "details"), prefixed("details", {**VALID_DETAILS, "project_name": ""}), version))

    assert data["errors"] == {"details-project_name": ["Enter a project name."]}
    # The step stays complete with its submitted answers: review and the project use those.
    review = page(signed_in.get(step_url(draft_id, "review")))
    assert "Harbour Office Retrofit" in review
    details = page(signed_in.get(step_url(draft_id, "details")))
    assert RESTORED in details and 'id="id_details-project_name"' in details
    assert 'value="Harbour Office Retrofit"' not in details  # the page shows what was typed last
    assert confirm(signed_in, draft_id).status_code == 302
    assert Project.objects.get().project_name == "Harbour Office Retrofit"


# --- an existing draft -----------------------------------------------------------------------------

def test_it_writes_only_when_the_values_change(anonymous):
    first = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour"}))
    draft_id = first["draftId"]

    second = saved(autosave(anonymous, first["autosaveUrl"], {"details-project_name": "Harbour Office"}, first["version"]))
    assert second["version"] == first["version"] + 1
    store_version = stored(draft_id).writes

    again = saved(autosave(anonymous, first["autosaveUrl"], {"details-project_name": "Harbour Office"}, second["version"]))

    assert again["version"] == second["version"]
    assert again["savedAt"] == second["savedAt"]
    assert stored(draft_id).writes == store_version  # no write at all


def test_it_refuses_a_stale_draft_version_and_writes_nothing(anonymous):
    first = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour"}))
    other_tab = saved(autosave(anonymous, first["autosaveUrl"], {"details-project_name": "Other tab"}, first["version"]))
    store_version = stored(first["draftId"]).writes

    response = autosave(anonymous, first["autosaveUrl"], {"details-project_name": "This tab"}, first["version"])

    failure = json_error(response, 409, "SESSION_CONFLICT")
    assert "another tab" in failure["message"]
    draft = stored(first["draftId"])
    assert draft.pending["details"]["data"]["details-project_name"] == ["Other tab"]
    assert draft.writes == store_version and draft.revision == other_tab["version"]
    # Without a draft_version nothing can be checked, so nothing is written either.
    json_error(autosave(anonymous, first["autosaveUrl"], {"details-project_name": "No version"}), 400, "VALIDATION_FAILED")
    assert stored(first["draftId"]).revision == other_tab["version"]


def test_it_refuses_the_review_step_and_steps_not_reached_yet(signed_in, pdf):
    draft_id = start_draft(signed_in)
    version = stored(draft_id).revision

    for step in ("sources", "review", "nonsense"):
        json_error(autosave(signed_in, autosave_url(draft_id, step), {f"{step}-ai_sourcing_enabled": "on"}, version), 400, "INVALID_STEP")
    assert stored(draft_id).revision == version

    attach_on_page(signed_in, draft_id)
    version = stored(draft_id).revision
    json_error(autosave(signed_in, autosave_url(draft_id, "review"), {"review-confirm": "on"}, version), 400, "INVALID_STEP")
    typed = sources_post(connectors=[("google_drive", "https://drive.google.com/drive/folders/abc"), ("s3", "https://not-a-bucket")])
    data = saved(autosave(signed_in, autosave_url(draft_id, "sources"), typed, version))
    assert data["version"] == version + 1
    assert data["errors"] == {"sources-connectors-1-target": ["Enter a bucket address like s3://my-bucket/drawings/."]}
    content = page(signed_in.get(step_url(draft_id, "sources")))
    assert 'value="https://not-a-bucket"' in content and RESTORED in content and "error-message" not in content


def test_it_hides_another_users_draft(signed_in, other_user):
    draft_id = start_draft(signed_in)
    version = stored(draft_id).revision

    for stranger in (browser(other_user), browser()):
        json_error(autosave(stranger, autosave_url(draft_id, "details"), {"details-project_name": "Mine now"}, version), 404, "SESSION_NOT_FOUND")
    json_error(autosave(signed_in, autosave_url(str(uuid.uuid4()), "details"), {"details-project_name": "x"}), 404, "SESSION_NOT_FOUND")
    assert stored(draft_id).pending == {}


def test_it_answers_410_for_an_expired_or_committed_draft(owner_client, pdf, drafts_redis):
    draft_id = complete_until_review(owner_client, [pdf()])
    assert confirm(owner_client, draft_id).status_code == 302

    gone = json_error(autosave(owner_client, autosave_url(draft_id, "details"), {"details-project_name": "Late"}), 410, "SESSION_EXPIRED")

    assert gone["projectId"] == Project.objects.get().pk
    assert drafts_redis.keys(f"*draft:{draft_id}") == []


def test_it_answers_503_json_while_redis_is_unreachable(anonymous, redis_outage, drafts_redis):
    data = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour"}))
    redis_outage.begin()

    for response in (
        autosave(anonymous, data["autosaveUrl"], {"details-project_name": "Harbour Office"}, data["version"]),
        autosave(browser(), AUTOSAVE_NEW, {"details-project_name": "New during the outage"}),
    ):
        failure = json_error(response, 503, "SERVICE_UNAVAILABLE")
        assert response["Retry-After"] == "30"
        assert "not responding" in failure["message"]

    redis_outage.end()
    assert draft_count(drafts_redis) == 1
    assert stored(data["draftId"]).pending["details"]["data"]["details-project_name"] == ["Harbour"]
    assert saved(autosave(anonymous, data["autosaveUrl"], {"details-project_name": "Harbour Office"}, data["version"]))["version"] == 2


def test_it_limits_creations_by_autosave_but_not_saves_into_a_draft(settings, anonymous, drafts_redis):
    settings.SESSION_RATE_LIMIT = 3
    drafts = [saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": f"Draft {n}"})) for n in range(3)]

    response = autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Fourth"})

    limited = json_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in limited["message"]
    assert draft_count(drafts_redis) == 3
    for data in drafts:
        assert saved(autosave(anonymous, data["autosaveUrl"], {"details-project_name": "Renamed"}, data["version"]))["version"] == 2
    assert saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Elsewhere"}, REMOTE_ADDR="198.51.100.7"))


def test_it_refuses_values_over_the_size_cap(settings, anonymous, drafts_redis):
    settings.SESSION_MAX_BYTES = 2048
    data = saved(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour"}))
    long_text = "Chillers and air handling units, floor by floor. " * 40  # ~2,000 characters

    json_error(autosave(anonymous, data["autosaveUrl"], {"details-project_name": "Harbour", "details-project_description": long_text}, data["version"]), 413, "PAYLOAD_TOO_LARGE")
    json_error(autosave(anonymous, AUTOSAVE_NEW, {"details-project_description": long_text}), 413, "PAYLOAD_TOO_LARGE")

    assert draft_count(drafts_redis) == 1
    draft = stored(data["draftId"])
    assert draft.revision == data["version"]
    assert "details-project_description" not in draft.pending["details"]["data"]


def test_it_never_stores_files_and_ignores_remove(signed_in, settings):
    draft_id = start_draft(signed_in)
    attach_on_page(signed_in, draft_id, name="kept.pdf")
    before = stored(draft_id)
    (kept,) = before.files
    folder = settings.DRAFT_UPLOAD_ROOT / draft_id
    files_before = sorted(path.name for path in folder.iterdir())

    # Multipart with a file, as a careless client might send it: the file is not kept.
    response = signed_in.post(
        autosave_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload("new.pdf", pdf_bytes("new"), "application/pdf")],
            "requirements-remove": [kept["id"]],
            "requirements-requirements_notes": "Typed notes",
            "draft_version": str(before.revision),
            **management("requirements"),
        },
    )

    data = saved(response)
    assert data["errors"] == {}
    after = stored(draft_id)
    assert after.files == before.files
    assert sorted(path.name for path in folder.iterdir()) == files_before
    assert after.pending["requirements"]["data"] == {"requirements-requirements_notes": ["Typed notes"]}
    content = page(signed_in.get(step_url(draft_id, "requirements")))
    assert "kept.pdf" in content and "new.pdf" not in content
    assert "Typed notes" in content and RESTORED in content
    assert 'value="{}" checked'.format(kept["id"]) not in content  # not ticked for removal


def test_it_needs_the_csrf_token(drafts_redis):
    client = browser(enforce_csrf_checks=True)
    client.get(reverse("projects:wizard_new"))
    token = client.cookies["csrftoken"].value

    json_error(autosave(client, AUTOSAVE_NEW, {"details-project_name": "Harbour"}), 403, "CSRF_FAILED")
    assert draft_count(drafts_redis) == 0

    # The page's hidden csrfmiddlewaretoken (or the header) is what autosave.js sends.
    assert saved(autosave(client, AUTOSAVE_NEW, {"details-project_name": "Harbour", "csrfmiddlewaretoken": token}))
    assert saved(autosave(client, AUTOSAVE_NEW, {"details-project_name": "Harbour"}, HTTP_X_CSRFTOKEN=token))


# --- tabs: the page's draft_version -----------------------------------------------------------------

def test_it_asks_about_an_answer_a_stale_tab_changed_differently_and_keeps_what_was_typed(signed_in):
    draft_id = start_draft(signed_in)
    first_tab = stale_first_tab(signed_in, draft_id, "details", details_post(project_name="Second tab"))

    response = signed_in.post(
        step_url(draft_id, "details"),
        {**details_post(project_name="First <tab>", client_name="Typed in the first tab"), "draft_version": page_version(first_tab)},
    )

    assert response.status_code == 409
    content = html.unescape(response.content.decode())
    assert CONFLICT in content
    assert 'value="First <tab>"' in content and 'value="Typed in the first tab"' in content
    # Beside the answer both tabs changed: the other one, and a way to take it.
    assert re.search(r'id="id_details-project_name-conflict">\s*<p>Saved in another tab or window: <strong>Second tab</strong>', content)
    assert 'name="use_theirs" value="details-project_name"' in content
    assert f'action="{step_url(draft_id, "details")}"' in content
    assert draft_title(stored(draft_id)) == "Second tab"

    # Submitting the 409 page as it is (it carries the latest version) saves the first tab's input.
    retry = signed_in.post(
        step_url(draft_id, "details"),
        {**details_post(project_name="First <tab>", client_name="Typed in the first tab"), "draft_version": page_version(response)},
    )
    assert retry.status_code == 302
    assert draft_title(stored(draft_id)) == "First <tab>"


def test_it_keeps_no_file_from_a_stale_tab_and_asks_for_it_again(signed_in, settings):
    draft_id = start_draft(signed_in)
    stale = signed_in.get(step_url(draft_id, "requirements"))
    saved(autosave(signed_in, autosave_url(draft_id, "requirements"), {"requirements-requirements_notes": "Other tab"}, page_version(stale)))

    response = signed_in.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload("late.pdf", pdf_bytes("late"), "application/pdf")],
            "requirements-requirements_notes": "Stale tab",
            "draft_version": page_version(stale),
            **management("requirements"),
        },
    )

    assert response.status_code == 409
    content = html.unescape(response.content.decode())
    assert CONFLICT in content and "Files you selected will need to be chosen again." in content
    assert "Stale tab" in content
    assert stored(draft_id).files == []
    folder = settings.DRAFT_UPLOAD_ROOT / draft_id
    assert not folder.exists() or not any(folder.iterdir())


def test_it_refuses_a_submit_after_another_tab_autosaved(signed_in):
    draft_id = start_draft(signed_in)
    first_tab = signed_in.get(step_url(draft_id, "details"))
    saved(autosave(signed_in, autosave_url(draft_id, "details"), prefixed("details", {**VALID_DETAILS, "client_name": "Autosaved"}), page_version(first_tab)))

    response = signed_in.post(step_url(draft_id, "details"), {**details_post(client_name="Submitted"), "draft_version": page_version(first_tab)})

    assert response.status_code == 409
    draft = stored(draft_id)
    assert draft.step_values("details")["client_name"] == [VALID_DETAILS["client_name"]]
    assert draft.pending["details"]["data"]["details-client_name"] == ["Autosaved"]


def test_it_accepts_a_submit_without_draft_version_from_an_old_page(signed_in):
    draft_id = start_draft(signed_in)
    version = stored(draft_id).revision
    saved(autosave(signed_in, autosave_url(draft_id, "details"), {"details-project_name": "Autosaved"}, version))

    response = signed_in.post(step_url(draft_id, "details"), details_post(project_name="Old form"))

    assert response.status_code == 302
    assert draft_title(stored(draft_id)) == "Old form"
    assert stored(draft_id).pending == {}


def test_it_does_not_make_a_tab_stale_when_another_tab_only_navigates(signed_in):
    draft_id = start_draft(signed_in)
    first_tab = signed_in.get(step_url(draft_id, "requirements"))
    version = page_version(first_tab)

    for url in (
        step_url(draft_id, "details"),
        reverse("projects:wizard_resume", args=[draft_id]),
        step_url(draft_id, "review"),  # not reachable: a redirect
        step_url(draft_id, "details") + "?return=review",
        reverse("projects:drafts"),
        f"/api/sessions/{draft_id}",
    ):
        assert signed_in.get(url).status_code in (200, 302), url
    assert str(stored(draft_id).revision) == version

    assert saved(autosave(signed_in, autosave_url(draft_id, "requirements"), {"requirements-requirements_notes": "Typed"}, version))
    response = signed_in.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload("brief.pdf", pdf_bytes(), "application/pdf")],
            "requirements-requirements_notes": "Submitted",
            "draft_version": str(int(version) + 1),
            **management("requirements"),
        },
    )
    assert response.status_code == 302 and response["Location"] == step_url(draft_id, "sources")
    assert stored(draft_id).step_values("requirements")["requirements_notes"] == ["Submitted"]


def test_the_review_page_flags_a_section_with_unsubmitted_changes(owner_client, pdf):
    draft_id = complete_until_review(owner_client, [pdf()])
    review = owner_client.get(step_url(draft_id, "review"))
    assert b"unsubmitted-details" not in review.content
    version = re.search(rb'name="draft_version" value="(\d+)"', review.content).group(1).decode()
    saved = owner_client.post(
        f"/projects/new/{draft_id}/details/autosave/",
        {**details_post(project_name="Renamed but not submitted"), "draft_version": version},
    )
    assert saved.status_code == 200 and saved.json()["saved"] is True
    review = owner_client.get(step_url(draft_id, "review"))
    assert b'id="unsubmitted-details"' in review.content
    section = review.content.split(b'aria-labelledby="review-details"')[1].split(b"</section>")[0]
    assert b"Harbour Office Retrofit" in section  # what will be created: the submitted name
    assert b"Renamed but not submitted" not in section


def test_a_draft_saved_only_by_autosave_is_listed_under_the_name_typed(client):
    saved = client.post("/projects/new/autosave/", details_post(project_name="Typed, never submitted"))
    assert saved.status_code == 200 and saved.json()["saved"] is True
    listing = client.get(reverse("projects:drafts"))
    assert b"Typed, never submitted" in listing.content
    assert b"Untitled project" not in listing.content


def test_it_refuses_an_autosave_that_carries_none_of_the_steps_fields(signed_in):
    draft_id = start_draft(signed_in)
    version = stored(draft_id).revision
    response = signed_in.post(
        autosave_url(draft_id, "details"),
        urlencode({"draft_version": version, "unrelated": "x"}),
        content_type="application/x-www-form-urlencoded",
    )
    json_error(response, 400, "VALIDATION_FAILED")
    draft = stored(draft_id)
    assert draft.revision == version and draft.pending == {}
    assert draft_title(draft) == VALID_DETAILS["project_name"]


def test_typing_back_what_was_submitted_is_no_unsubmitted_change(signed_in):
    draft_id = start_draft(signed_in)
    version = stored(draft_id).revision
    changed = saved(autosave(signed_in, autosave_url(draft_id, "details"), details_post(project_name="Typo"), version))
    assert stored(draft_id).pending
    undone = saved(autosave(signed_in, autosave_url(draft_id, "details"), details_post(), changed["version"]))
    draft = stored(draft_id)
    assert draft.pending == {}  # back to what was submitted: nothing unsubmitted any more
    assert undone["version"] == changed["version"] + 1
    again = saved(autosave(signed_in, autosave_url(draft_id, "details"), details_post(), undone["version"]))
    assert again["version"] == undone["version"]  # and no write at all the second time


def test_the_wizard_keeps_only_the_steps_own_fields(signed_in, drafts_redis):
    draft_id = start_draft(signed_in)
    response = signed_in.post(
        step_url(draft_id, "details"),
        {**details_post(), "details-junk": "x" * 100_000, "details-connectors-0-target": "y"},
    )
    assert response.status_code == 302
    draft = stored(draft_id)
    assert not any("junk" in key or "connectors" in key for key in draft.wizard["step_data"]["details"])


def test_answers_too_long_for_a_draft_get_a_clear_page_and_are_shown_again(signed_in, settings):
    settings.SESSION_MAX_BYTES = 4 * 1024
    draft_id = start_draft(signed_in)
    before = stored(draft_id)
    long_text = "word " * 990  # 4.9 KB: within the field's 5,000 characters, too long for the draft
    response = signed_in.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-requirements_notes": long_text,
            "wizard_goto_step": "details",
            **management("requirements"),
        },
    )
    assert response.status_code == 413
    text = html.unescape(response.content.decode())
    assert "too long to keep in a draft" in text
    assert long_text.strip() in text  # nothing typed is lost
    assert stored(draft_id).writes == before.writes
