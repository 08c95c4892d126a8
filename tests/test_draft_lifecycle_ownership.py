"""A draft's life through the browser: who owns it (another user, an anonymous visitor, a guessed
id, the same cookies from another user agent see nothing) and what happens to it when an anonymous
visitor logs in or signs up mid-wizard.

Through the test client as a browser; the browsers and page readers are in lifecycle_helpers.py.
"""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.models import Project

from .conftest import PASSWORD
from .lifecycle_helpers import NAME, PHONE_UA, attach, browser, discard_url, resume_url, stored, text
from .lifecycle_helpers import day_long_drafts, desktop  # noqa: F401 (fixtures)
from .wizard_helpers import complete_until_review, confirm, details_post, management, move_drafts_after_sign_in, start_draft, step_url

pytestmark = pytest.mark.django_db


# --- ownership -------------------------------------------------------------------------------------

def _draft_urls(draft_id, file_id="nofile"):
    return [resume_url(draft_id)] + [
        step_url(draft_id, step) for step in ("details", "requirements", "sources", "review", "done")
    ] + [reverse("projects:draft_file", args=[draft_id, file_id])]


def _assert_no_access(client, draft_id, file_id="nofile", listed_elsewhere=False):
    for url in _draft_urls(draft_id, file_id):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert NAME not in response.content.decode()
        assert "brief.pdf" not in response.content.decode()
    for url, data in [
        (step_url(draft_id, "details"), details_post(project_name="Hijacked")),
        (step_url(draft_id, "requirements"), {"wizard_goto_step": "details", **management("requirements")}),
        (discard_url(draft_id), {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 404, (url, response.status_code)
        assert NAME not in response.content.decode()
    if not listed_elsewhere:
        assert NAME not in client.get(reverse("projects:drafts")).content.decode()


def _file_id(redis, draft_id):
    return stored(redis, draft_id)["files"][0]["id"]


def test_it_hides_a_draft_from_another_user(desktop, other_user, drafts_redis):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id)
    before = stored(drafts_redis, draft_id)

    _assert_no_access(browser(other_user), draft_id, _file_id(drafts_redis, draft_id))

    after = stored(drafts_redis, draft_id)
    assert after["writes"] == before["writes"]
    assert after["wizard"] == before["wizard"]
    assert desktop.get(step_url(draft_id, "requirements")).status_code == 200


def test_it_hides_a_users_draft_from_an_anonymous_visitor(desktop, anonymous, drafts_redis):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id)
    _assert_no_access(anonymous, draft_id, _file_id(drafts_redis, draft_id))
    assert stored(drafts_redis, draft_id)["files"]


def test_it_answers_404_to_a_guessed_draft_id(desktop, drafts_redis):
    start_draft(desktop)
    _assert_no_access(desktop, str(uuid.uuid4()), listed_elsewhere=True)
    assert len(drafts_redis.keys("*draft:*")) == 1


def test_it_binds_an_anonymous_draft_to_its_browser_session_and_user_agent(anonymous, drafts_redis):
    draft_id = start_draft(anonymous)
    attach(anonymous, draft_id)
    assert anonymous.get(step_url(draft_id, "requirements")).status_code == 200

    # The same cookies sent by a browser of another family (a copied session cookie): the pages
    # say the draft was started in another browser (403), a download is not found (404).
    *pages, download = _draft_urls(draft_id, _file_id(drafts_redis, draft_id))
    for url in pages:
        response = anonymous.get(url, HTTP_USER_AGENT=PHONE_UA)
        assert response.status_code == 403, url
        assert "This draft was started in another browser" in response.content.decode()
        assert NAME not in response.content.decode()
    response = anonymous.get(download, HTTP_USER_AGENT=PHONE_UA)
    assert response.status_code == 404
    assert NAME not in response.content.decode()
    response = anonymous.post(discard_url(draft_id), HTTP_USER_AGENT=PHONE_UA)
    assert response.status_code == 404

    # Another browser with the same user agent but without the session.
    _assert_no_access(browser(), draft_id, _file_id(drafts_redis, draft_id))

    assert anonymous.get(step_url(draft_id, "requirements")).status_code == 200


def test_it_does_not_list_an_anonymous_draft_to_another_user_agent(anonymous):
    start_draft(anonymous)
    page = anonymous.get(reverse("projects:drafts"), HTTP_USER_AGENT=PHONE_UA)
    assert NAME not in page.content.decode()


def test_it_does_not_hand_an_anonymous_draft_to_a_login_from_another_user_agent(anonymous, other_user):
    draft_id = start_draft(anonymous)

    response = anonymous.post(
        reverse("login"), {"username": other_user.username, "password": PASSWORD}, HTTP_USER_AGENT=PHONE_UA
    )
    assert response.status_code == 302

    assert browser(other_user).get(resume_url(draft_id)).status_code == 404


# --- logging in or signing up mid-wizard -----------------------------------------------------------

def test_it_keeps_the_draft_when_an_anonymous_visitor_logs_in(anonymous, owner, drafts_redis):
    draft_id = start_draft(anonymous)
    attach(anonymous, draft_id)

    response = anonymous.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert stored(drafts_redis, draft_id)["owner"] != f"u:{owner.pk}"  # not before asking (L3)

    response = move_drafts_after_sign_in(anonymous, response)
    assert response.status_code == 302
    assert stored(drafts_redis, draft_id)["owner"] == f"u:{owner.pk}"
    assert anonymous.get(resume_url(draft_id))["Location"] == step_url(draft_id, "sources")
    elsewhere = browser(owner, ua=PHONE_UA)
    drafts = text(elsewhere.get(reverse("projects:drafts")))
    assert NAME in drafts
    assert "Step 3 of 4" in drafts
    assert "brief.pdf" in elsewhere.get(step_url(draft_id, "requirements")).content.decode()


def test_it_keeps_the_draft_when_an_anonymous_visitor_signs_up(anonymous, drafts_redis):
    draft_id = start_draft(anonymous)

    response = anonymous.post(
        reverse("signup"), {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}
    )

    response = move_drafts_after_sign_in(anonymous, response)
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer = get_user_model().objects.get(username="newcomer")
    assert stored(drafts_redis, draft_id)["owner"] == f"u:{newcomer.pk}"
    assert NAME in browser(newcomer, ua=PHONE_UA).get(reverse("projects:drafts")).content.decode()
    assert anonymous.get(step_url(draft_id, "requirements")).status_code == 200


def test_it_sends_an_anonymous_visitor_to_sign_in_at_review_and_keeps_the_draft(anonymous, owner, drafts_redis, pdf):
    draft_id = complete_until_review(anonymous, [pdf("brief.pdf")])

    response = confirm(anonymous, draft_id)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]
    assert not Project.objects.exists()
    assert stored(drafts_redis, draft_id)["files"][0]["name"] == "brief.pdf"
    login_page = anonymous.get(response["Location"])
    assert "Your draft is kept" in login_page.content.decode()

    response = anonymous.post(
        reverse("login"),
        {"username": owner.username, "password": PASSWORD, "next": step_url(draft_id, "review")},
    )
    response = move_drafts_after_sign_in(anonymous, response)
    assert response["Location"] == step_url(draft_id, "review")
    review = text(anonymous.get(step_url(draft_id, "review")))
    assert NAME in review and "brief.pdf" in review

    # Even with every step already confirmed, a GET of done creates nothing.
    assert anonymous.get(step_url(draft_id, "done"))["Location"] == step_url(draft_id, "review")
    assert not Project.objects.exists()

    response = confirm(anonymous, draft_id)
    project = Project.objects.get()
    assert response["Location"] == project.get_absolute_url()
    assert project.owner == owner
    assert project.documents.count() == 1
