"""Discarding a draft, and taking it back: the confirmation page (no JavaScript needed), the
restore window (DRAFT_RESTORE_SECONDS, passed with the app clock), what the pages, autosave, the
API and downloads say about a discarded draft (to its owner only), the cleanup of its files after
the window, and the drafts list with recently discarded and expired drafts.

Through the test client as a browser, against real Redis; helpers in lifecycle_helpers.py.
"""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from .api_helpers import read, session_url
from .cleanup_helpers import cleanup
from .lifecycle_helpers import NAME, attach, browser, discard_url, form_values, resume_url, stored, text
from .lifecycle_helpers import day_long_drafts, desktop  # noqa: F401 (fixtures)
from .wizard_helpers import expire_for_real, json_error, start_draft, step_url

pytestmark = pytest.mark.django_db

WINDOW = timedelta(minutes=10)


def restore_url(draft_id):
    return reverse("projects:draft_restore", args=[draft_id])


def file_url(draft_id, file_id):
    return reverse("projects:draft_file", args=[draft_id, file_id])


def draft_with_a_document(client, redis):
    draft_id = start_draft(client)
    attach(client, draft_id)
    return draft_id, stored(redis, draft_id)


# --- asking first --------------------------------------------------------------------------------

def test_it_asks_before_discarding_on_a_page_that_needs_no_javascript(desktop, drafts_redis):
    draft_id, before = draft_with_a_document(desktop, drafts_redis)

    response = desktop.get(discard_url(draft_id))

    assert response.status_code == 200
    page = text(response)
    assert "Discard this draft?" in page
    assert NAME in page
    assert "Step 3 of 4" in page
    assert "1 document" in page
    assert f'<form method="post" action="{discard_url(draft_id)}"' in page
    assert f'href="{resume_url(draft_id)}"' in page  # the way back
    assert "<script>" not in page
    assert stored(drafts_redis, draft_id)["writes"] == before["writes"]  # asking changed nothing


def test_it_links_to_the_confirmation_from_the_wizard_and_the_drafts_list(desktop):
    draft_id = start_draft(desktop)

    for url in (step_url(draft_id, "requirements"), reverse("projects:drafts")):
        assert f'href="{discard_url(draft_id)}' in desktop.get(url).content.decode()


# --- restoring -----------------------------------------------------------------------------------

def test_it_restores_a_discarded_draft_with_its_answers_and_files(desktop, drafts_redis, frozen_clock):
    draft_id, before = draft_with_a_document(desktop, drafts_redis)
    answers = form_values(desktop.get(step_url(draft_id, "details")))
    answers.pop("csrfmiddlewaretoken")
    desktop.get(step_url(draft_id, "sources"))  # the step it was left at
    file_id = before["files"][0]["id"]
    before = stored(drafts_redis, draft_id)

    response = desktop.post(discard_url(draft_id), follow=True)
    assert response.status_code == 200
    listing = text(response)
    assert "discarded" in listing
    assert f'action="{restore_url(draft_id)}"' in listing
    assert desktop.get(step_url(draft_id, "details")).status_code == 410

    frozen_clock.travel(WINDOW - timedelta(seconds=30))
    response = desktop.post(restore_url(draft_id))

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "sources")  # where it was
    after = stored(drafts_redis, draft_id)
    assert (after["owner"], after["wizard"], after["files"], after["revision"]) == (
        before["owner"], before["wizard"], before["files"], before["revision"])
    page = desktop.get(response["Location"], follow=True)
    assert "restored" in text(page)
    assert {**form_values(desktop.get(step_url(draft_id, "details"))), "csrfmiddlewaretoken": None} == {**answers, "csrfmiddlewaretoken": None}
    download = desktop.get(file_url(draft_id, file_id))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "in 23 hours, 59 minutes" in text(desktop.get(reverse("projects:drafts")))  # lifetime restarted


def test_it_says_clearly_that_a_draft_can_no_longer_be_restored_after_the_window(desktop, drafts_redis, frozen_clock):
    draft_id, _ = draft_with_a_document(desktop, drafts_redis)
    desktop.post(discard_url(draft_id))

    frozen_clock.travel(WINDOW + timedelta(seconds=1))
    response = desktop.post(restore_url(draft_id))

    assert response.status_code == 410
    page = text(response)
    assert "can no longer be restored" in page
    assert f'action="{restore_url(draft_id)}"' not in page
    assert drafts_redis.keys("*:draft:*") == []
    assert f'action="{restore_url(draft_id)}"' not in text(desktop.get(reverse("projects:drafts")))


# --- what a discarded draft's pages say -----------------------------------------------------------

def test_it_tells_the_owner_a_draft_was_discarded_on_every_page_never_not_found(desktop, drafts_redis):
    draft_id, before = draft_with_a_document(desktop, drafts_redis)
    file_id = before["files"][0]["id"]
    desktop.post(discard_url(draft_id))

    for url in (resume_url(draft_id), step_url(draft_id, "review"), file_url(draft_id, file_id), discard_url(draft_id)):
        response = desktop.get(url)
        assert response.status_code == 410, url
        page = text(response)
        assert "This draft was discarded" in page, url
        assert NAME in page
        assert f'action="{restore_url(draft_id)}"' in page
    submitted = desktop.post(step_url(draft_id, "review"), {"review-confirm": "on"})
    assert submitted.status_code == 410 and "discarded" in text(submitted)

    autosave = reverse("projects:autosave", args=[draft_id, "details"])
    error = json_error(desktop.post(autosave, {"details-project_name": "Typed"}), 410, "SESSION_DISCARDED")
    assert "discarded" in error["message"] and error["restoreUrl"] == restore_url(draft_id)
    error = json_error(read(desktop, draft_id), 410, "SESSION_DISCARDED")
    assert error["restorableUntil"]
    assert drafts_redis.keys("*:draft:*") == []  # nothing above brought it back


def test_it_tells_another_user_nothing_of_a_discarded_draft(desktop, other_user, drafts_redis):
    draft_id, before = draft_with_a_document(desktop, drafts_redis)
    file_id = before["files"][0]["id"]
    desktop.post(discard_url(draft_id))
    stranger = browser(other_user)

    for url in (resume_url(draft_id), step_url(draft_id, "details"), file_url(draft_id, file_id), discard_url(draft_id)):
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert "discarded" not in text(response) and NAME not in text(response)
    assert stranger.post(restore_url(draft_id)).status_code == 404
    json_error(read(stranger, draft_id), 404, "SESSION_NOT_FOUND")
    assert drafts_redis.keys("*:draft:*") == []
    assert NAME not in text(stranger.get(reverse("projects:drafts")))


def test_it_keeps_an_api_delete_restorable_like_a_discard(signed_in, drafts_redis):
    draft_id = start_draft(signed_in)

    response = signed_in.delete(session_url(draft_id))

    assert response.status_code == 200
    assert response.json()["restorableUntil"]
    json_error(read(signed_in, draft_id), 410, "SESSION_DISCARDED")
    assert signed_in.post(restore_url(draft_id)).status_code == 302
    assert read(signed_in, draft_id).status_code == 200


# --- cleanup -------------------------------------------------------------------------------------

def test_it_removes_a_discarded_drafts_files_only_after_the_window(desktop, drafts_redis, frozen_clock):
    draft_id, _ = draft_with_a_document(desktop, drafts_redis)
    folder = django_settings.DRAFT_UPLOAD_ROOT / draft_id
    desktop.post(discard_url(draft_id))

    cleanup()
    frozen_clock.travel(WINDOW - timedelta(seconds=30))
    cleanup()
    assert any(folder.iterdir())

    frozen_clock.travel(timedelta(minutes=1))
    cleanup()
    assert not folder.exists()
    assert desktop.get(resume_url(draft_id)).status_code == 410  # still "discarded", not "not found"


# --- the drafts list -----------------------------------------------------------------------------

def test_it_lists_recently_discarded_and_expired_drafts(desktop, drafts_redis, frozen_clock):
    binned = start_draft(desktop, project_name="Binned Barn")
    lapsed = start_draft(desktop, project_name="Lapsed Library")
    start_draft(desktop, project_name="Live Lodge")
    expire_for_real(drafts_redis, lapsed)
    assert "discarded" in text(desktop.post(discard_url(binned), follow=True))
    at_once = text(desktop.get(reverse("projects:drafts")))
    assert "just now" in at_once and "0 minutes ago" not in at_once  # not Django's "0 minutes ago"
    frozen_clock.travel(timedelta(minutes=2))

    page = text(desktop.get(reverse("projects:drafts")))

    live, rest = page.split("Recently discarded")
    discarded, expired = rest.split("Expired in the last 7 days")
    assert "Live Lodge" in live and "Binned Barn" not in live and "Lapsed Library" not in live
    assert "Binned Barn" in discarded and "2 minutes ago" in discarded
    assert f'action="{restore_url(binned)}"' in discarded
    assert "for 7 minutes" in discarded  # how long it can still be restored
    assert "Lapsed Library" in expired and "2 minutes ago" in expired
    assert f'action="{restore_url(lapsed)}"' not in page

    frozen_clock.travel(WINDOW)
    page = text(desktop.get(reverse("projects:drafts")))
    assert "Binned Barn" not in page and "Lapsed Library" in page
    frozen_clock.travel(timedelta(days=7))
    assert "Lapsed Library" not in text(desktop.get(reverse("projects:drafts")))
