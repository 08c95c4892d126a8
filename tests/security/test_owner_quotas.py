"""Live drafts per owner (M1, item 2): one browser or account can't keep more than
DRAFT_MAX_ANONYMOUS / DRAFT_MAX_USER drafts. Past the cap, a new draft is refused with the
person's input shown again and their drafts listed, each to resume or discard; the API and
autosave answer 409 with the same list. The cap is checked inside the draft's create script (no
extra round trip)."""

import html
import re

import pytest
from django.urls import reverse

from ..api_helpers import create
from ..cleanup_helpers import cleanup, past_their_expiry
from ..test_autosave import AUTOSAVE_NEW, autosave
from ..wizard_helpers import browser, details_post, draft_count, expire_for_real, json_error, start_draft, stored

pytestmark = pytest.mark.django_db

NEW = reverse("projects:wizard_new")


def test_the_defaults_are_ten_drafts_a_browser_and_fifty_an_account(settings):
    assert (settings.DRAFT_MAX_ANONYMOUS, settings.DRAFT_MAX_USER) == (10, 50)


def test_an_anonymous_browser_can_keep_ten_drafts_and_no_more(anonymous, drafts_redis):
    for number in range(10):
        start_draft(anonymous, project_name=f"Tower {number}")

    response = anonymous.post(NEW, details_post(project_name="Tower eleven"))

    assert response.status_code == 409
    content = html.unescape(response.content.decode())
    assert "You already have 10 unfinished drafts, the most you can keep at once" in content
    assert 'value="Tower eleven"' in content  # nothing typed is lost
    assert draft_count(drafts_redis) == 10


def test_the_page_lists_the_drafts_to_resume_or_discard(anonymous, settings, drafts_redis):
    settings.DRAFT_MAX_ANONYMOUS = 2
    first, second = start_draft(anonymous, project_name="North"), start_draft(anonymous, project_name="South")

    content = html.unescape(anonymous.post(NEW, details_post(project_name="East")).content.decode())

    for draft_id, name in ((first, "North"), (second, "South")):
        assert f'<a href="/projects/new/{draft_id}/">Resume “{name}”</a>' in content
        assert re.search(rf'<button type="submit" form="step-form" name="discard_first" value="{draft_id}"[^>]*>Discard “{name}” and save this project instead', content)
    # Discarding one makes room.
    assert anonymous.post(f"/projects/new/{first}/discard/").status_code == 302
    assert anonymous.post(NEW, details_post(project_name="East")).status_code == 302
    assert draft_count(drafts_redis) == 2


def test_discarding_one_from_the_page_saves_what_was_typed_in_its_place(anonymous, settings, drafts_redis):
    """The page's Discard buttons post the step's form: the draft goes, and what was typed is saved."""
    settings.DRAFT_MAX_ANONYMOUS = 2
    first, second = start_draft(anonymous, project_name="North"), start_draft(anonymous, project_name="South")

    response = anonymous.post(NEW, {**details_post(project_name="East"), "discard_first": first})

    assert response.status_code == 302 and response["Location"].endswith("/requirements/")
    new = response["Location"].split("/")[3]
    assert stored(new).wizard["step_data"]["details"]["details-project_name"] == ["East"]
    assert draft_count(drafts_redis) == 2
    assert anonymous.get(f"/projects/new/{first}/").status_code == 410  # discarded (restorable)
    assert stored(second) is not None


def test_a_discard_of_someone_elses_draft_discards_nothing_and_keeps_the_input(anonymous, signed_in, settings, drafts_redis):
    settings.DRAFT_MAX_ANONYMOUS = 1
    start_draft(anonymous, project_name="Mine")
    theirs = start_draft(signed_in, project_name="Theirs")

    for refused in (theirs, "not-a-draft", "00000000-0000-0000-0000-000000000000"):
        response = anonymous.post(NEW, {**details_post(project_name="Another"), "discard_first": refused})
        assert response.status_code == 409
        assert 'value="Another"' in response.content.decode()
    assert stored(theirs) is not None


def test_the_api_and_autosave_answer_409_with_the_drafts(anonymous, settings):
    settings.DRAFT_MAX_ANONYMOUS = 1
    draft_id = start_draft(anonymous, project_name="North")

    for response in (
        create(anonymous, {"projectData": {"projectName": "South"}}),
        autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "South"}),
    ):
        error = json_error(response, 409, "TOO_MANY_DRAFTS")
        assert "Resume one or discard one" in error["message"]
        assert error["drafts"] == [
            {"sessionId": draft_id, "title": "North", "resumeUrl": f"/projects/new/{draft_id}/", "discardUrl": f"/projects/new/{draft_id}/discard/"}
        ]


def test_an_account_has_its_own_cap_and_other_owners_are_not_affected(signed_in, anonymous, settings):
    settings.DRAFT_MAX_ANONYMOUS, settings.DRAFT_MAX_USER = 1, 2
    start_draft(signed_in)
    start_draft(signed_in)
    assert signed_in.post(NEW, details_post()).status_code == 409
    start_draft(anonymous)
    assert browser().post(NEW, details_post()).status_code == 302


@pytest.mark.parametrize("cleaned_up", [False, True], ids=["before cleanup", "after cleanup"])
def test_drafts_that_expired_no_longer_count(anonymous, settings, drafts_redis, cleaned_up):
    """Cleanup leaves an expired draft in its owner's index until the owner's drafts are next
    listed: it must not count meanwhile."""
    settings.DRAFT_MAX_ANONYMOUS = 1
    expire_for_real(drafts_redis, start_draft(anonymous))
    if cleaned_up:
        past_their_expiry()
        assert "expired 1 drafts" in cleanup()[0]

    assert anonymous.post(NEW, details_post()).status_code == 302


def test_starting_again_from_an_expired_page_at_the_cap_sends_to_the_drafts(anonymous, settings):
    settings.DRAFT_MAX_ANONYMOUS = 1
    start_draft(anonymous)

    response = anonymous.post(reverse("projects:wizard_restart"), {"restart_step": "details", "details-project_name": "Again"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("projects:drafts")
    assert "You already have as many unfinished drafts as you can keep at once" in html.unescape(response.content.decode())


def test_restoring_a_discarded_draft_is_held_to_the_cap_too(anonymous, settings, drafts_redis):
    # Discard one, start another, restore the first: without the cap on restore, each round adds a
    # draft past it, as many as one likes.
    settings.DRAFT_MAX_ANONYMOUS = 1
    first = start_draft(anonymous, project_name="North")
    assert anonymous.post(f"/projects/new/{first}/discard/").status_code == 302
    start_draft(anonymous, project_name="South")

    response = anonymous.post(reverse("projects:draft_restore", args=[first]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("projects:drafts")
    assert "as many unfinished drafts as you can keep at once" in html.unescape(response.content.decode())
    assert draft_count(drafts_redis) == 1
