"""Issue 12 L3: on a shared computer, drafts started anonymously move into an account only when
whoever signs in says so; moving them is the default answer."""

import pytest
from django.urls import reverse

from ..conftest import PASSWORD
from ..wizard_helpers import browser, move_drafts_after_sign_in, start_draft, step_url, stored

pytestmark = pytest.mark.django_db


def test_it_asks_before_moving_and_lists_the_drafts(owner):
    visitor = browser()
    first, second = start_draft(visitor, project_name="Clinic fit-out"), start_draft(visitor, project_name="Depot roof")

    response = visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD})

    assert response["Location"].startswith(reverse("projects:drafts_move"))
    assert stored(first).owner.startswith("a:") and stored(second).owner.startswith("a:")
    page = visitor.get(response["Location"]).content.decode()
    assert "Move these 2 drafts to your account?" in page
    assert "Clinic fit-out" in page and "Depot roof" in page
    assert page.index('value="move"') < page.index('value="leave"')  # the default comes first


def test_moving_puts_them_in_the_account_and_goes_on_to_the_draft(owner):
    visitor = browser()
    draft_id = start_draft(visitor)
    response = visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD, "next": step_url(draft_id, "requirements")})

    response = move_drafts_after_sign_in(visitor, response)

    assert response["Location"] == step_url(draft_id, "requirements")
    assert stored(draft_id).owner == f"u:{owner.pk}"


def test_leaving_them_keeps_them_out_of_the_account_and_in_the_browser(owner):
    visitor = browser()
    draft_id = start_draft(visitor, project_name="Someone else's clinic")
    response = visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD})

    move_drafts_after_sign_in(visitor, response, choice="leave")

    assert stored(draft_id).owner.startswith("a:")
    assert "Someone else&#x27;s clinic" not in visitor.get(reverse("projects:drafts")).content.decode()
    assert "Someone else&#x27;s clinic" not in browser(owner).get(reverse("projects:drafts")).content.decode()
    visitor.post(reverse("logout"))
    assert "Someone else&#x27;s clinic" in visitor.get(reverse("projects:drafts")).content.decode()


def test_a_get_moves_nothing_and_signing_in_without_drafts_asks_nothing(owner):
    visitor = browser()
    draft_id = start_draft(visitor)
    response = visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    visitor.get(response["Location"])
    assert stored(draft_id).owner.startswith("a:")

    fresh = browser()
    assert fresh.post(reverse("login"), {"username": owner.username, "password": PASSWORD})["Location"] == reverse("projects:list")


@pytest.mark.xfail(strict=True, reason="rev1 finding, not fixed: draft_claim saves each draft with action='update', so "
                   "neither the account's drafts cap nor its upload total is checked when drafts move in")
def test_moving_drafts_in_is_held_to_the_accounts_cap(owner, settings, drafts_redis):
    settings.DRAFT_MAX_USER = 1
    start_draft(browser(owner), project_name="Already mine")
    visitor = browser()
    start_draft(visitor, project_name="Started anonymously")

    move_drafts_after_sign_in(visitor, visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD}))

    from sessions_store.connection import make_key

    assert drafts_redis.zcard(make_key("owner", f"u:{owner.pk}")) <= 1
