"""A draft's life through the browser: refresh, resume, other devices, Back/Change, guarded steps,
ownership, login mid-wizard, expiry and the drafts page."""

import json
import re
import time
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from projects.models import Project

from .conftest import PASSWORD, pdf_bytes, upload
from .wizard_helpers import (
    VALID_DETAILS,
    complete_until_review,
    confirm,
    details_post,
    management,
    sources_post,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
NAME = VALID_DETAILS["project_name"]
DRIVE = "https://drive.google.com/drive/folders/abc"


# --- helpers ---------------------------------------------------------------------------------------

class _FormValues(HTMLParser):
    """What a browser would submit from the page's fields (name -> list of values)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values = {}
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in ("submit", "button", "file"):
            values = self.values.setdefault(name, [])
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    values.append(attrs.get("value") or "on")
            else:
                values.append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            name, text = self._textarea
            self.values.setdefault(name, []).append(text.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data


def form_values(response):
    assert response.status_code == 200, response.status_code
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.values


def text(response):
    """The page as a user reads it (non-breaking spaces as spaces)."""
    return response.content.decode().replace("\xa0", " ").replace("&nbsp;", " ")


def shows_invalid_step(response):
    return 'data-tags="INVALID_STEP' in response.content.decode()


def browser(user=None, ua=DESKTOP_UA):
    client = Client(HTTP_USER_AGENT=ua)
    if user is not None:
        client.force_login(user)
    return client


def resume_url(draft_id):
    return reverse("projects:wizard_resume", args=[draft_id])


def discard_url(draft_id):
    return reverse("projects:draft_discard", args=[draft_id])


def draft_key(redis, draft_id):
    keys = [key for key in redis.keys("*draft:*") if key.decode().endswith(f"draft:{draft_id}")]
    assert len(keys) == 1, keys
    return keys[0]


def stored(redis, draft_id):
    raw = redis.get(draft_key(redis, draft_id))
    return json.loads(raw) if raw else None


def expire_for_real(redis, draft_id):
    """Let Redis expire the draft itself (no sleeping through the TTL)."""
    key = draft_key(redis, draft_id)
    redis.pexpire(key, 1)
    deadline = time.monotonic() + 2
    while redis.exists(key):
        assert time.monotonic() < deadline, "the draft did not expire"
        time.sleep(0.005)


def attach(client, draft_id, name="brief.pdf", notes="See the spec."):
    response = client.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [_pdf(name)],
            "requirements-requirements_notes": notes,
            **management("requirements"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def _pdf(name):
    return upload(name, pdf_bytes(name), "application/pdf")


@pytest.fixture(autouse=True)
def day_long_drafts(settings):
    """The texts below ("23 hours, 59 minutes") assume drafts kept for a day."""
    settings.SESSION_TTL = 86400


@pytest.fixture
def desktop(owner):
    return browser(owner)


@pytest.fixture
def anonymous():
    return browser()


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
        assert f'href="{resume_url(draft_id)}"' in content
        assert f'action="{discard_url(draft_id)}"' in content


def test_it_discards_a_draft_with_its_temporary_files(desktop, drafts_redis):
    draft_id = start_draft(desktop)
    attach(desktop, draft_id)
    keep = start_draft(desktop, project_name="Keep me")
    folder = django_settings.DRAFT_UPLOAD_ROOT / draft_id
    assert any(folder.iterdir())

    response = desktop.post(discard_url(draft_id), follow=True)

    assert response.status_code == 200
    assert "discarded" in response.content.decode()
    assert drafts_redis.keys(f"*{draft_id}*") == []
    assert not folder.exists()
    content = text(desktop.get(reverse("projects:drafts")))
    assert NAME not in content
    assert "Keep me" in content
    assert desktop.get(resume_url(draft_id)).status_code == 404
    assert stored(drafts_redis, keep)["version"] == 1


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
    assert after["version"] == before["version"]
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

    # The same cookies sent by another user agent (a copied session cookie).
    for url in _draft_urls(draft_id, _file_id(drafts_redis, draft_id)):
        response = anonymous.get(url, HTTP_USER_AGENT=PHONE_UA)
        assert response.status_code == 404, url
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
    assert NAME not in desktop.get(reverse("projects:drafts")).content.decode()


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
