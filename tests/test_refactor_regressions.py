"""Behaviour that the issue-9 restructuring (services, the store split) changed at first and the
rest of the suite missed, found by a review: each test passes at d5eb566, failed at f16ae0c, and
passes again since the fixes."""

import html

import pytest
from django.db.models.signals import post_save

from projects import forms as project_forms
from projects.models import Project

from .conftest import pdf_bytes, upload
from .wizard_helpers import complete_until_review, confirm, step_url

pytestmark = pytest.mark.django_db

UNAVAILABLE = "We can't save drafts right now because our draft storage is not responding."


def text(response):
    return html.unescape(response.content.decode())


# --- 1. the commit: Redis lost between creating the project and deleting the draft -----------------

def test_it_sends_the_user_to_the_project_when_redis_goes_away_right_after_the_commit(
    owner_client, redis_outage
):
    """The project was created; the draft could not be deleted (Redis gone). The old code logged
    "committed but not deleted" and redirected to the project. The new code's commit lock
    release raises DraftStoreUnavailable from storage.forget(), so the user gets the 503 "we
    can't save drafts" page for a project that exists."""
    draft_id = complete_until_review(owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")])

    def redis_dies(sender, instance, created, **kwargs):
        if created:
            redis_outage.begin()

    post_save.connect(redis_dies, sender=Project, dispatch_uid="review-redis-dies")
    try:
        response = confirm(owner_client, draft_id)
    finally:
        post_save.disconnect(dispatch_uid="review-redis-dies", sender=Project)
        redis_outage.end()

    project = Project.objects.get()
    assert response.status_code == 302, text(response)[:2000]
    assert response["Location"] == project.get_absolute_url()


# --- 2. a commit attempt whose draft cannot be written back: the wizard's own 503 page ---------------

def test_it_keeps_the_input_on_the_503_page_when_redis_goes_away_during_a_commit_attempt(
    owner_client, redis_outage, monkeypatch, settings
):
    """A commit attempt holds the draft's commit lock. Revalidation fails (a limit changed), and
    Redis is gone before the draft is written back. The old code answered with the wizard's 503
    page (input kept, "Nothing you typed below has been lost"); the new one's lock release raises
    inside render_unavailable, so the exception escapes the view and the middleware's bare
    503.html is shown instead."""
    files = [upload(f"spec{i}.pdf", pdf_bytes(f"spec {i}"), "application/pdf") for i in range(3)]
    draft_id = complete_until_review(owner_client, files)
    settings.UPLOAD_MAX_FILES = 2  # the stored requirements step no longer validates

    original_clean = project_forms.RequirementsForm.clean

    def clean_then_redis_dies(self):
        cleaned = original_clean(self)
        if redis_outage.working is None:
            redis_outage.begin()
        return cleaned

    monkeypatch.setattr(project_forms.RequirementsForm, "clean", clean_then_redis_dies)
    try:
        response = confirm(owner_client, draft_id)
    finally:
        monkeypatch.undo()
        redis_outage.end()

    assert response.status_code == 503
    page = text(response)
    assert UNAVAILABLE in page
    assert "Nothing you typed below has been lost" in page
    assert not Project.objects.exists()


# --- 3. cleanup_drafts keeps going after losing its lock to another run -----------------------------

def test_it_stops_a_cleanup_run_that_lost_its_lock_to_another_run(owner_client, drafts_redis):
    """The old run renewed its lock with redis-py's reacquire(), which raises once the lock is no
    longer its own (it expired and another run took it): the run stopped. RedisLock.refresh()
    returns False instead, and cleanup's tick() ignores it: two runs then work side by side."""
    from sessions_store.cleanup import CleanupBusy, cleanup_drafts
    from sessions_store.store import DraftStoreUnavailable, get_draft_store

    from .wizard_helpers import start_draft

    for _ in range(3):
        start_draft(owner_client)  # three tombstones: the tombstone pass ticks once per batch of 1
    lock_key = get_draft_store().key("lock", "cleanup")
    ticks = []

    def progress(stage, count):
        ticks.append((stage, count))
        if len(ticks) == 1:
            # This run's lock expired and another run took it.
            drafts_redis.set(lock_key, "another-run", px=300_000)

    with pytest.raises((DraftStoreUnavailable, CleanupBusy)):
        cleanup_drafts(batch_size=1, progress=progress)
    assert len(ticks) == 1, ticks  # stopped at the first renewal that failed
    assert drafts_redis.get(lock_key) == b"another-run"  # the other run's lock is left alone


# --- 4. drafts admin: connector rows of a sources step stored without its management form ----------

def test_it_shows_staff_the_connector_rows_of_a_sources_step_saved_without_its_management_form(
    owner_client, pdf
):
    """A Back from step 3 keeps what was posted, valid or not. When the formset's management form
    is missing (a tampered or broken page), the rows are still stored; the old detail page listed
    them (it read rows until one was absent), the new one reads TOTAL_FORMS and shows none."""
    from django.test import Client
    from django.urls import reverse

    from .factories import UserFactory
    from .wizard_helpers import management, start_draft

    draft_id = start_draft(owner_client)
    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [pdf()], **management("requirements")},
    )
    assert response.status_code == 302
    response = owner_client.post(
        step_url(draft_id, "sources"),
        {
            "sources-connectors-0-connector_type": "s3",
            "sources-connectors-0-target": "s3://harbour-bucket/drawings/",
            "wizard_goto_step": "requirements",
            **management("sources"),
        },
    )
    assert response.status_code == 302

    staff = Client()
    staff.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    page = text(staff.get(reverse("admin:sessions_store_draftrecord_change", args=[draft_id])))
    assert "Connector 1" in page
    assert "Amazon S3 bucket: s3://harbour-bucket/drawings/"  # the type by its label in page


# --- 5. field errors (autosave and API): their order -------------------------------------------------

def test_it_lists_field_errors_in_the_order_the_form_found_them(client):
    """field_errors() used to follow form.errors (field checks in page order, then what clean()
    added); steps.field_errors() sorts by field order. The keys of the JSON "errors" object
    (autosave) and "fields" (API) come out in another order: here the end date, flagged by
    clean(), now comes before the budget."""
    from django.urls import reverse

    from .wizard_helpers import details_post

    posted = details_post(estimated_start_date="2027-09-30", estimated_end_date="2027-03-01", budget="-5")
    response = client.post(reverse("projects:autosave_new"), posted)
    assert response.status_code == 200, response.content[:500]
    assert list(response.json()["errors"]) == ["details-budget", "details-estimated_end_date"]


# --- 6. records of schema 1 (written before the deploy) ---------------------------------------------

def as_schema_1(redis, draft_id):
    """Rewrite a stored record the way the code before issue 9 wrote it (schema 1, "version")."""
    import json

    from sessions_store.store import get_draft_store

    key = get_draft_store().key("draft", draft_id)
    data = json.loads(redis.get(key))
    if "writes" in data:
        data["version"] = data.pop("writes")
    data["schema"] = 1
    redis.set(key, json.dumps(data, separators=(",", ":"), ensure_ascii=False), keepttl=True)
    return data["version"]


def test_it_keeps_working_on_a_schema_1_draft_and_tells_staff_its_schema(owner_client, drafts_redis, pdf):
    import re

    from django.test import Client
    from django.urls import reverse

    from .factories import UserFactory
    from .wizard_helpers import management, start_draft

    draft_id = start_draft(owner_client)
    writes = as_schema_1(drafts_redis, draft_id)

    staff = Client()
    staff.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    detail = text(staff.get(reverse("admin:sessions_store_draftrecord_change", args=[draft_id])))
    # The record as stored is schema 1: the detail page said so before.
    assert re.search(rf">1 / {writes} writes<", detail), re.findall(r"\d+ / \d+ writes", detail)

    # The wizard still reads and writes it (the SAVE script's compare-and-set on "version").
    assert owner_client.get(step_url(draft_id, "requirements")).status_code == 200
    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [pdf()], **management("requirements")},
    )
    assert response.status_code == 302 and response["Location"] == step_url(draft_id, "sources")
    assert owner_client.get(reverse("projects:drafts")).status_code == 200
