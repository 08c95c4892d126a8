"""Expiry you can see and survive (issue 10 h): one action keeps a draft that is about to expire,
and a page whose draft expired offers to start a new draft with what is on it."""

import html
import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from sessions_store import clock
from sessions_store.store import get_draft_store

from .lifecycle_helpers import browser, text
from .lifecycle_helpers import day_long_drafts, desktop  # noqa: F401 (fixtures)
from .wizard_helpers import details_post, expire_for_real, management, start_draft, step_url, stored

pytestmark = pytest.mark.django_db


def keep_url(draft_id):
    return reverse("projects:draft_keep", args=[draft_id])


def five_minutes_left(redis, draft_id):
    """As Redis keeps it: the record's own TTL (the app clock does not move Redis's)."""
    redis.expire(get_draft_store().location(draft_id), 300)
    assert stored(draft_id).expires_at - clock.now() < timedelta(minutes=6)


def test_it_keeps_a_draft_that_is_about_to_expire(desktop, frozen_clock, drafts_redis):
    draft_id = start_draft(desktop)
    five_minutes_left(drafts_redis, draft_id)

    response = desktop.post(keep_url(draft_id), {"next": step_url(draft_id, "requirements")})

    assert response.status_code == 302 and response["Location"] == step_url(draft_id, "requirements")
    left = stored(draft_id).expires_at - frozen_clock.now()
    assert left > timedelta(seconds=settings.SESSION_TTL - 60)


def test_it_answers_a_keep_from_the_page_script_with_the_new_expiry(desktop, drafts_redis):
    draft_id = start_draft(desktop)
    five_minutes_left(drafts_redis, draft_id)

    response = desktop.post(keep_url(draft_id), HTTP_ACCEPT="application/json", HTTP_X_REQUESTED_WITH="fetch")

    assert response.status_code == 200
    kept_until = datetime.fromisoformat(response.json()["expiresAt"])
    assert abs(kept_until - stored(draft_id).expires_at) < timedelta(seconds=2)
    assert kept_until - clock.now() > timedelta(seconds=settings.SESSION_TTL - 60)
    assert response["Cache-Control"] == "no-store"


def test_it_keeps_no_one_elses_draft_and_sends_nobody_elsewhere(desktop, other_user):
    draft_id = start_draft(desktop)

    assert browser(other_user).post(keep_url(draft_id)).status_code == 404
    response = desktop.post(keep_url(draft_id), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == step_url(draft_id, "requirements")  # where it stands


def test_it_offers_a_new_draft_with_what_was_typed_when_the_draft_expired(desktop, drafts_redis):
    draft_id = start_draft(desktop)
    expire_for_real(drafts_redis, draft_id)

    response = desktop.post(step_url(draft_id, "details"), details_post(project_name="Typed <after> expiry"))

    assert response.status_code == 410
    page = text(response)
    assert "This draft has expired" in page
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="carry-over">(.*?)</form>', response.content.decode(), re.S)
    assert form and form.group(1) == reverse("projects:wizard_restart")
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert html.unescape(fields["details-project_name"]) == "Typed <after> expiry"
    assert drafts_redis.keys("*draft:*") == []  # nothing saved until the person asks

    restarted = desktop.post(reverse("projects:wizard_restart"), {k: html.unescape(v) for k, v in fields.items()})

    assert restarted.status_code == 302
    new_id = re.search(r"/projects/new/([0-9a-f-]{36})/details/$", restarted["Location"]).group(1)
    assert new_id != draft_id
    shown = text(desktop.get(restarted["Location"]))
    assert 'value="Typed &lt;after&gt; expiry"' in desktop.get(restarted["Location"]).content.decode()
    assert "not submitted yet" in shown


def test_it_carries_a_later_steps_answers_to_that_step_of_the_new_draft(desktop, drafts_redis, pdf):
    draft_id = start_draft(desktop)
    expire_for_real(drafts_redis, draft_id)
    posted = {"requirements-requirements_notes": "Floors 2 to 5", "requirements-documents": [pdf()], **management("requirements")}

    response = desktop.post(step_url(draft_id, "requirements"), posted)

    assert response.status_code == 410
    assert "will need to be chosen again" in text(response)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.content.decode()))
    restarted = desktop.post(reverse("projects:wizard_restart"), fields)
    new_id = re.search(r"/projects/new/([0-9a-f-]{36})/details/$", restarted["Location"]).group(1)
    assert stored(new_id).pending["requirements"]["data"]["requirements-requirements_notes"] == ["Floors 2 to 5"]
    assert stored(new_id).validation == {}  # nothing submitted: the person goes through the steps again


def test_it_starts_nothing_from_an_empty_or_unknown_carry_over(desktop, drafts_redis):
    response = desktop.post(reverse("projects:wizard_restart"), {"restart_step": "nowhere"})
    assert response.status_code == 302 and response["Location"] == reverse("projects:wizard_new")
    response = desktop.post(reverse("projects:wizard_restart"), {"restart_step": "details", **management("details")})
    assert response.status_code == 302 and response["Location"] == reverse("projects:wizard_new")
    assert drafts_redis.keys("*draft:*") == []
