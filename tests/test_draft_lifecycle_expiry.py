"""A draft's life through the browser: its expiry. The owner is told a draft expired (others are
told nothing), nothing is saved into it, the time left is shown on the app clock as Redis keeps
it, and using a draft keeps it alive. Records expire in Redis for real (expire_for_real).

Through the test client as a browser; the browsers and page readers are in lifecycle_helpers.py.
"""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from .lifecycle_helpers import NAME, browser, draft_key, resume_url, text
from .lifecycle_helpers import day_long_drafts, desktop  # noqa: F401 (fixtures)
from .wizard_helpers import details_post, expire_for_real, start_draft, step_url

pytestmark = pytest.mark.django_db


# --- expiry --------------------------------------------------------------------------------------

def test_it_tells_the_owner_their_draft_expired(desktop, other_user, drafts_redis):
    draft_id = start_draft(desktop)
    expire_for_real(drafts_redis, draft_id)

    for url in (resume_url(draft_id), step_url(draft_id, "requirements")):
        response = desktop.get(url)
        assert response.status_code == 410
        page = response.content.decode()
        assert "expired" in page
        assert f'href="{reverse("projects:wizard_new")}"' in page
        assert NAME not in page

    stranger = browser(other_user).get(resume_url(draft_id))
    assert stranger.status_code == 404
    assert "expired" not in stranger.content.decode()
    assert desktop.get(resume_url(str(uuid.uuid4()))).status_code == 404
    drafts, expired = text(desktop.get(reverse("projects:drafts"))).split("Expired in the last")
    assert NAME not in drafts and f'href="{resume_url(draft_id)}?via=list"' not in expired
    assert NAME in expired  # listed for the tombstone's lifetime, with when (issue 10 h)


def test_it_tells_an_anonymous_owner_their_draft_expired(anonymous, drafts_redis):
    draft_id = start_draft(anonymous)
    expire_for_real(drafts_redis, draft_id)

    assert anonymous.get(resume_url(draft_id)).status_code == 410
    assert browser().get(resume_url(draft_id)).status_code == 404


def test_it_refuses_to_save_into_an_expired_draft(desktop, drafts_redis):
    draft_id = start_draft(desktop)
    expire_for_real(drafts_redis, draft_id)

    response = desktop.post(step_url(draft_id, "details"), details_post(project_name="Too late"))

    assert response.status_code == 410
    assert drafts_redis.keys("*draft:*") == []


def test_it_shows_when_the_draft_expires(desktop, drafts_redis):
    draft_id = start_draft(desktop)

    page = text(desktop.get(step_url(draft_id, "requirements")))
    assert "23 hours, 59 minutes from now" in page

    drafts_redis.pexpire(draft_key(drafts_redis, draft_id), int(timedelta(hours=3).total_seconds() * 1000))
    listing = text(desktop.get(reverse("projects:drafts")))
    assert "in 2 hours, 59 minutes" in listing


def test_it_counts_last_activity_on_the_app_clock_and_expiry_on_redis(desktop, frozen_clock):
    frozen_clock.travel(timedelta(hours=-3))
    start_draft(desktop)
    frozen_clock.reset()

    listing = text(desktop.get(reverse("projects:drafts")))

    assert "3 hours ago" in listing
    assert "in 23 hours, 59 minutes" in listing


def test_it_shows_the_time_left_on_the_app_clock(desktop, frozen_clock):
    start_draft(desktop)
    frozen_clock.travel(timedelta(hours=20))

    listing = text(desktop.get(reverse("projects:drafts")))

    # Redis still holds the draft for ~24 hours; the page must say so, not 24 h + the clock shift.
    assert "in 23 hours, 59 minutes" in listing


def test_it_keeps_a_draft_alive_while_it_is_used(desktop, drafts_redis):
    draft_id = start_draft(desktop)
    key = draft_key(drafts_redis, draft_id)
    drafts_redis.pexpire(key, 2000)

    assert desktop.get(step_url(draft_id, "requirements")).status_code == 200

    assert drafts_redis.ttl(key) > 86400 - 10
