"""Issue 12 L3: on a shared computer, drafts started anonymously move into an account only when
whoever signs in says so; moving them is the default answer."""

import re

import pytest
from django.urls import reverse

from ..conftest import PASSWORD
from ..wizard_helpers import browser, move_drafts_after_sign_in, start_draft, step_url, stored
from .test_upload_quota import attach, pdf_of

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


def test_moving_drafts_in_is_held_to_the_accounts_cap(owner, settings, drafts_redis):
    settings.DRAFT_MAX_USER = 1
    start_draft(browser(owner), project_name="Already mine")
    visitor = browser()
    start_draft(visitor, project_name="Started anonymously")

    move_drafts_after_sign_in(visitor, visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD}))

    from sessions_store.connection import make_key

    assert drafts_redis.zcard(make_key("owner", f"u:{owner.pk}")) <= 1


def sign_in_and_move(visitor, owner):
    response = move_drafts_after_sign_in(visitor, visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD}))
    return visitor.get(response["Location"])


def shown_messages(page):
    return [" ".join(m.split()) for m in re.findall(r'<div class="message [^"]*"[^>]*>(.*?)</div>', page.content.decode(), re.S)]


def test_the_most_recent_drafts_move_until_the_account_is_full_and_it_says_so(owner, settings):
    settings.DRAFT_MAX_USER = 3
    mine = browser(owner)
    start_draft(mine, project_name="Already mine")
    visitor = browser()
    oldest = start_draft(visitor, project_name="Oldest")
    middle = start_draft(visitor, project_name="Middle")
    newest = start_draft(visitor, project_name="Newest")

    page = sign_in_and_move(visitor, owner)

    assert [stored(d).owner for d in (newest, middle)] == [f"u:{owner.pk}"] * 2
    assert stored(oldest).owner.startswith("a:")
    assert shown_messages(page) == [
        "2 drafts were moved to your account. 1 stayed with this browser because your account already has 3 "
        "unfinished drafts, the most it can keep: discard one in Your drafts to make room, then move it from there."
    ]


def test_a_draft_whose_documents_would_take_the_account_past_its_total_stays(owner, settings):
    settings.UPLOAD_MAX_OWNER_ANONYMOUS, settings.UPLOAD_MAX_OWNER_USER = 1000, 1000
    mine = browser(owner)
    assert attach(mine, start_draft(mine, project_name="Already mine"), pdf_of("mine.pdf", 600)).status_code == 302
    visitor = browser()
    small = start_draft(visitor, project_name="Small documents")
    assert attach(visitor, small, pdf_of("small.pdf", 300)).status_code == 302
    big = start_draft(visitor, project_name="Big documents")  # the most recent: tried first
    assert attach(visitor, big, pdf_of("big.pdf", 500)).status_code == 302

    page = sign_in_and_move(visitor, owner)

    assert stored(big).owner.startswith("a:")
    assert stored(small).owner == f"u:{owner.pk}"  # the one that fits still moves
    assert shown_messages(page) == [
        "1 draft was moved to your account. 1 stayed with this browser because with its documents, the documents "
        "of all your drafts together would be more than 1000 bytes, the most your account can keep: discard a draft "
        "you no longer need in Your drafts, or remove some of its documents, then move it from there."
    ]


def test_the_store_holds_each_move_to_the_cap_and_the_upload_total_too(owner, settings):
    """Another tab's draft or documents can arrive between the read of the account and the move."""
    from sessions_store.store import OwnerAtCap, OwnerUploadsFull, get_draft_store

    settings.UPLOAD_MAX_OWNER_ANONYMOUS, settings.UPLOAD_MAX_OWNER_USER = 1000, 1000
    mine = browser(owner)
    assert attach(mine, start_draft(mine), pdf_of("mine.pdf", 600)).status_code == 302
    visitor = browser()
    theirs = start_draft(visitor)
    assert attach(visitor, theirs, pdf_of("theirs.pdf", 500)).status_code == 302
    draft = stored(theirs)
    draft.owner = f"u:{owner.pk}"

    with pytest.raises(OwnerUploadsFull):
        get_draft_store().save(draft, action="claim")
    assert stored(theirs).owner.startswith("a:")

    settings.UPLOAD_MAX_OWNER_USER, settings.DRAFT_MAX_USER = 2000, 1
    with pytest.raises(OwnerAtCap):
        get_draft_store().save(draft, action="claim")
    assert stored(theirs).owner.startswith("a:")
    settings.DRAFT_MAX_USER = 2
    get_draft_store().save(draft, action="claim")
    assert stored(theirs).owner == f"u:{owner.pk}"


def test_drafts_left_behind_stay_listed_for_the_browser_and_move_once_there_is_room(owner, settings):
    settings.DRAFT_MAX_USER = 1
    mine = browser(owner)
    already = start_draft(mine, project_name="Already mine")
    visitor = browser()
    left = start_draft(visitor, project_name="Left behind")

    sign_in_and_move(visitor, owner)

    assert stored(left).owner.startswith("a:")
    drafts_page = visitor.get(reverse("projects:drafts")).content.decode()
    assert "1 draft started in this browser before you signed in is not in your account." in drafts_page
    assert "Left behind" in visitor.get(reverse("projects:drafts_move")).content.decode()

    assert visitor.post(f"/projects/new/{already}/discard/").status_code == 302
    response = visitor.post(reverse("projects:drafts_move"), {"choice": "move", "next": reverse("projects:drafts")})

    assert stored(left).owner == f"u:{owner.pk}"
    page = visitor.get(response["Location"])
    assert shown_messages(page)[-1] == "1 draft was moved to your account."  # after the discard's
    assert "not in your account" not in page.content.decode()
    assert visitor.get(reverse("projects:drafts_move"))["Location"] == reverse("projects:list")  # nothing left to move


def test_drafts_left_behind_are_the_browsers_again_after_signing_out(owner, settings):
    settings.DRAFT_MAX_USER = 1
    start_draft(browser(owner), project_name="Already mine")
    visitor = browser()
    start_draft(visitor, project_name="Left behind")

    sign_in_and_move(visitor, owner)
    visitor.post(reverse("logout"))

    assert "Left behind" in visitor.get(reverse("projects:drafts")).content.decode()
