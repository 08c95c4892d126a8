"""A draft's life through the browser: refresh and resume, other devices, the drafts page, Back
and Change, and steps that are not reachable yet.

Through the test client as a browser; the browsers and page readers are in lifecycle_helpers.py.
"""

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from projects.models import Project
from sessions_store.store import get_draft_store

from .conftest import pdf_bytes
from .lifecycle_helpers import (
    NAME,
    PHONE_UA,
    attach,
    browser,
    discard_url,
    form_values,
    resume_url,
    shows_invalid_step,
    stored,
    text,
)
from .lifecycle_helpers import day_long_drafts, desktop  # noqa: F401 (fixtures)
from .wizard_helpers import (
    VALID_DETAILS,
    complete_until_review,
    details_post,
    management,
    sources_post,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

DRIVE = "https://drive.google.com/drive/folders/abc"


# --- refresh and resume ----------------------------------------------------------------------------

def test_it_shows_every_saved_value_when_any_step_is_refreshed(desktop, pdf):
    draft_id = complete_until_review(desktop, [pdf("brief.pdf")])

    for _ in range(2):  # a refresh is just another GET
        details = form_values(desktop.get(step_url(draft_id, "details")))
        for field, value in VALID_DETAILS.items():
            assert details[f"details-{field}"] == [value], field

    requirements = desktop.get(step_url(draft_id, "requirements"))
    assert form_values(requirements)["requirements-requirements_notes"] == ["See the spec."]
    file_link = re.search(r'href="([^"]+/files/[^"]+/)">brief\.pdf<', requirements.content.decode())
    assert file_link, "the attached document is not shown"
    download = desktop.get(file_link.group(1))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes("Requirements")

    sources = form_values(desktop.get(step_url(draft_id, "sources")))
    assert sources["sources-ai_sourcing_enabled"] == ["on"]
    assert sources["sources-connectors-0-connector_type"] == ["google_drive"]
    assert sources["sources-connectors-0-target"] == [DRIVE]

    review = text(desktop.get(step_url(draft_id, "review")))
    for shown in (NAME, "Harbour Estates Ltd", "brief.pdf", "See the spec.", DRIVE):
        assert shown in review


def test_it_resumes_on_the_step_the_user_was_on(owner, desktop):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id)

    later = browser(owner)  # a new browser session, some time later
    response = later.get(resume_url(draft_id))
    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "sources")

    # Went back to look at step 1, then left: that is where they come back to.
    later.get(step_url(draft_id, "details"))
    assert browser(owner).get(resume_url(draft_id))["Location"] == step_url(draft_id, "details")


def test_it_shows_the_draft_to_the_same_user_on_another_device(owner, desktop):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id, name="plans.pdf")

    phone = browser(owner, ua=PHONE_UA)
    page = phone.get(resume_url(draft_id), follow=True)
    assert page.status_code == 200
    assert NAME in page.content.decode()
    requirements = phone.get(step_url(draft_id, "requirements"))
    assert "plans.pdf" in requirements.content.decode()
    assert NAME in phone.get(reverse("projects:drafts")).content.decode()

    # And what the phone saves, the desktop sees.
    response = phone.post(step_url(draft_id, "sources"), sources_post(ai=False))
    assert response.status_code == 302
    assert form_values(desktop.get(step_url(draft_id, "sources"))).get("sources-ai_sourcing_enabled") == []


# --- the drafts page -------------------------------------------------------------------------------

def test_it_lists_drafts_with_progress_expiry_resume_and_discard(desktop):
    first = start_draft(desktop, project_name="Library Extension")
    second = start_draft(desktop, project_name="Depot Roof")
    attach(desktop, second)

    page = desktop.get(reverse("projects:drafts"))
    assert page.status_code == 200
    content = text(page)

    rows = {name: content.index(name) for name in ("Library Extension", "Depot Roof")}
    assert rows["Depot Roof"] < rows["Library Extension"]  # most recent first
    assert "Step 2 of 4" in content
    assert "Step 3 of 4" in content
    assert content.count("in 23 hours, 59 minutes") == 2
    for draft_id in (first, second):
        assert f'href="{resume_url(draft_id)}?via=list"' in content
        assert f'href="{discard_url(draft_id)}"' in content  # asks first (tests/test_draft_discard_restore.py)


def test_it_discards_a_draft_with_its_temporary_files_once_it_can_no_longer_be_restored(desktop, drafts_redis, frozen_clock):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id)
    keep = start_draft(desktop, project_name="Keep me")
    folder = django_settings.DRAFT_UPLOAD_ROOT / draft_id
    assert any(folder.iterdir())

    response = desktop.post(discard_url(draft_id), follow=True)

    assert response.status_code == 200
    assert "discarded" in response.content.decode()
    assert [key for key in drafts_redis.keys(f"*{draft_id}*") if b":draft:" in key] == []
    content = text(desktop.get(reverse("projects:drafts")))
    assert "Keep me" in content.split("Recently discarded")[0]
    assert NAME not in content.split("Recently discarded")[0]  # no longer among the drafts
    assert desktop.get(resume_url(draft_id)).status_code == 410  # "discarded", never "not found"
    assert stored(drafts_redis, keep)["writes"] == 1

    # Restorable for DRAFT_RESTORE_SECONDS; after that the cleanup removes its files, and the
    # Redis keys of the set-aside record go by themselves (its tombstone says "discarded").
    frozen_clock.travel(timedelta(seconds=django_settings.DRAFT_RESTORE_SECONDS + 1))
    call_command("cleanup_drafts", stdout=io.StringIO())
    assert not folder.exists()
    assert NAME not in text(desktop.get(reverse("projects:drafts")))
    assert drafts_redis.ttl(get_draft_store().key("discarded", draft_id)) <= django_settings.DRAFT_RESTORE_SECONDS


# --- Back and Change -------------------------------------------------------------------------------

def test_it_keeps_what_was_typed_on_the_current_step_when_going_back(desktop):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id)

    typed = sources_post(ai=False, connectors=[("dropbox", "https://www.dropbox.com/sh/half-typed")])
    response = desktop.post(step_url(draft_id, "sources"), {**typed, "wizard_goto_step": "requirements"})

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "requirements")
    requirements = desktop.get(response["Location"])
    assert "brief.pdf" in requirements.content.decode()
    assert form_values(requirements)["requirements-requirements_notes"] == ["See the spec."]
    sources = form_values(desktop.get(step_url(draft_id, "sources")))
    assert sources["sources-ai_sourcing_enabled"] == []
    assert sources["sources-connectors-0-connector_type"] == ["dropbox"]
    assert sources["sources-connectors-0-target"] == ["https://www.dropbox.com/sh/half-typed"]


def test_it_keeps_unfinished_input_when_going_back(desktop):
    draft_id = start_draft(desktop)

    # No document attached yet, so the step is incomplete; Back must not lose the notes.
    response = desktop.post(
        step_url(draft_id, "requirements"),
        {"requirements-requirements_notes": "Half-written notes", "wizard_goto_step": "details", **management("requirements")},
    )

    assert response["Location"] == step_url(draft_id, "details")
    details = form_values(desktop.get(step_url(draft_id, "details")))
    assert details["details-project_name"] == [NAME]
    assert form_values(desktop.get(step_url(draft_id, "requirements")))["requirements-requirements_notes"] == ["Half-written notes"]


def test_it_returns_to_review_after_a_change_and_keeps_everything_else(desktop, pdf):
    draft_id = complete_until_review(desktop, [pdf("brief.pdf")])
    review = desktop.get(step_url(draft_id, "review")).content.decode()
    change = f'href="{step_url(draft_id, "details")}?return=review"'
    assert change in review

    page = desktop.get(f'{step_url(draft_id, "details")}?return=review')
    assert form_values(page)["return_to_review"] == ["1"]
    response = desktop.post(
        step_url(draft_id, "details"),
        {**details_post(project_name="Harbour Office Retrofit Phase 2"), "return_to_review": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "review")
    review = text(desktop.get(response["Location"]))
    assert "Harbour Office Retrofit Phase 2" in review
    for kept in ("brief.pdf", "See the spec.", DRIVE, "Harbour Estates Ltd"):
        assert kept in review


def test_it_goes_on_to_the_next_step_after_a_change_without_the_return_flag(desktop, pdf):
    draft_id = complete_until_review(desktop, [pdf()])
    response = desktop.post(step_url(draft_id, "details"), details_post(project_name="Renamed"))
    assert response["Location"] == step_url(draft_id, "requirements")


def test_it_returns_to_review_after_changing_the_documents_step(desktop, pdf):
    draft_id = complete_until_review(desktop, [pdf("brief.pdf")])
    response = desktop.post(
        step_url(draft_id, "requirements"),
        {"requirements-requirements_notes": "Updated notes", "return_to_review": "1", **management("requirements")},
    )
    assert response["Location"] == step_url(draft_id, "review")
    review = text(desktop.get(response["Location"]))
    assert "Updated notes" in review
    assert "brief.pdf" in review


# --- steps that are not reachable yet --------------------------------------------------------------

def test_it_redirects_a_typed_url_ahead_to_the_first_incomplete_step(desktop):
    draft_id = start_draft(desktop)

    for step in ("sources", "review"):
        response = desktop.get(step_url(draft_id, step))
        assert response.status_code == 302
        assert response["Location"] == step_url(draft_id, "requirements")

    page = desktop.get(step_url(draft_id, "review"), follow=True)
    assert shows_invalid_step(page)
    assert "Please complete “Requirements documents” first." in page.content.decode()
    assert 'data-step="requirements"' in page.content.decode()


def test_it_redirects_a_tampered_current_step_to_the_first_incomplete_step(desktop, drafts_redis, pdf):
    draft_id = start_draft(desktop)

    response = desktop.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [pdf()], "project_wizard-current_step": "review"},
    )

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "requirements")
    assert shows_invalid_step(desktop.get(response["Location"]))
    assert stored(drafts_redis, draft_id)["files"] == []


def test_it_refuses_a_post_to_a_step_ahead(desktop, drafts_redis):
    draft_id = start_draft(desktop)
    response = desktop.post(step_url(draft_id, "sources"), sources_post())
    assert response["Location"] == step_url(draft_id, "requirements")
    assert shows_invalid_step(desktop.get(response["Location"]))
    assert stored(drafts_redis, draft_id)["validation"] == {"details": True}


def test_it_refuses_a_tampered_current_step_before_the_draft_exists(desktop, drafts_redis):
    response = desktop.post(reverse("projects:wizard_new"), {**details_post(), "project_wizard-current_step": "review"})
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:wizard_new")
    assert drafts_redis.dbsize() == 0


def test_it_redirects_a_goto_step_ahead_to_the_first_incomplete_step(desktop):
    draft_id = start_draft(desktop)

    response = desktop.post(
        step_url(draft_id, "requirements"),
        {"requirements-requirements_notes": "typed", "wizard_goto_step": "review", **management("requirements")},
    )

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "requirements")
    assert form_values(desktop.get(response["Location"]))["requirements-requirements_notes"] == ["typed"]


def test_it_says_why_a_goto_step_ahead_was_refused(desktop):
    draft_id = start_draft(desktop)
    response = desktop.post(
        step_url(draft_id, "requirements"),
        {"wizard_goto_step": "review", **management("requirements")},
        follow=True,
    )
    assert shows_invalid_step(response)


def test_it_never_answers_a_500_to_unknown_steps_or_broken_management_forms(desktop):
    draft_id = start_draft(desktop)
    requirements = step_url(draft_id, "requirements")
    attempts = [
        ("get", step_url(draft_id, "nonsense"), None),
        ("get", step_url(draft_id, "x" * 300), None),
        ("post", step_url(draft_id, "nonsense"), {"project_wizard-current_step": "nonsense"}),
        ("post", requirements, {"requirements-requirements_notes": "no management form"}),
        ("post", requirements, {"project_wizard-current_step": ""}),
        ("post", requirements, {"project_wizard-current_step": "nonsense"}),
        ("post", requirements, {"project_wizard-current_step": "r" * 10000}),
        ("post", requirements, {"project_wizard-current_step": ["review", "details"]}),
        ("post", requirements, {"wizard_goto_step": "nonsense", **management("requirements")}),
        ("post", step_url(draft_id, "done"), {"project_wizard-current_step": "review"}),
        ("post", reverse("projects:wizard_new"), {}),
        ("post", reverse("projects:wizard_new"), {"project_wizard-current_step": "nonsense", "wizard_goto_step": "review"}),
    ]
    for method, url, data in attempts:
        response = getattr(desktop, method)(url, data or {})
        assert response.status_code in (200, 302), (method, url, data, response.status_code)

    unknown = desktop.get(step_url(draft_id, "nonsense"), follow=True)
    assert shows_invalid_step(unknown)
    assert "There is no step called “nonsense”" in unknown.content.decode()
    assert desktop.get(step_url(draft_id, "details")).status_code == 200


def test_it_never_creates_the_project_on_a_get_of_done(desktop, drafts_redis, pdf):
    draft_id = complete_until_review(desktop, [pdf()])

    response = desktop.get(step_url(draft_id, "done"))

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "review")
    assert not Project.objects.exists()
    assert stored(drafts_redis, draft_id) is not None
