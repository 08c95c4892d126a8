"""The final step: a finished draft becomes one Project, and only one, whatever happens.

Everything here is real: the embedded (or REDIS_URL) Redis, the database, files on disk, and for
the race a live server driven over HTTP by two threads. The only injected failures use real hooks:
a Redis address where nothing listens, and Django's own ``connection.execute_wrapper``.
"""

import html
import re
import threading
from datetime import date
from types import SimpleNamespace
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests
from django.conf import settings as django_settings
from django.db import IntegrityError, OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Project
from projects.services import project_create
from sessions_store.store import get_draft_store

from .conftest import PASSWORD, PNG_BYTES, office_bytes, pdf_bytes, upload
from .factories import UserFactory
from .wizard_helpers import (
    move_drafts_after_sign_in,
    VALID_DETAILS,
    complete_until_review,
    confirm,
    details_post,
    management,
    sources_post,
    step_url,
)

pytestmark = pytest.mark.django_db

STEPS = ("details", "requirements", "sources", "review")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONNECTORS = (
    ("s3", "s3://harbour-drawings/hvac/"),
    ("google_drive", "https://drive.google.com/drive/folders/abc"),
)


def text(response):
    """The page as a user reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def documents():
    """Three real documents: what the user uploads, and the exact bytes we expect back."""
    spec, costs, photo = pdf_bytes("HVAC spec"), office_bytes("xlsx"), PNG_BYTES
    files = [
        upload("spec.pdf", spec, "application/pdf"),
        upload("costs.xlsx", costs, XLSX_TYPE),
        upload("site.png", photo, "image/png"),
    ]
    expected = [
        ("spec.pdf", "application/pdf", spec),
        ("costs.xlsx", XLSX_TYPE, costs),
        ("site.png", "image/png", photo),
    ]
    return files, expected


def redis_keys_mentioning(redis, draft_id):
    return [key.decode() for key in redis.scan_iter(match=f"*{draft_id}*")]


def in_sorted_sets(redis, draft_id):
    """Every ``*index`` / ``*owner:*`` sorted set that still lists the draft."""
    found = []
    for pattern in ("*index", "*owner:*"):
        for key in redis.scan_iter(match=pattern):
            if redis.type(key) == b"zset" and redis.zscore(key, draft_id) is not None:
                found.append(key.decode())
    return found


def permanent_files(media_root):
    root = media_root / "projects"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def temp_files(draft_id):
    folder = django_settings.DRAFT_UPLOAD_ROOT / draft_id
    return sorted(path for path in folder.iterdir() if path.is_file()) if folder.exists() else []


# --- the happy path -----------------------------------------------------------------------------


def test_it_creates_the_project_with_everything_entered_and_removes_the_draft(
    owner_client, owner, drafts_redis, media
):
    files, expected = documents()
    draft_id = complete_until_review(owner_client, files, connectors=CONNECTORS)

    # Before the commit the draft is really there (so the "gone" checks below mean something).
    assert drafts_redis.keys(f"*draft:{draft_id}")
    assert len(in_sorted_sets(drafts_redis, draft_id)) == 2
    assert len(temp_files(draft_id)) == 3
    review = owner_client.get(step_url(draft_id, "review"))
    assert review.status_code == 200
    assert "Harbour Office Retrofit" in text(review)

    response = confirm(owner_client, draft_id)

    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.owner == owner
    assert str(project.draft_id) == draft_id

    # Every field as typed, with its real type.
    assert project.project_name == VALID_DETAILS["project_name"]
    assert project.project_description == VALID_DETAILS["project_description"]
    assert project.building_type == "commercial"
    assert project.square_footage == Decimal("45000")
    assert project.number_of_floors == 6
    assert project.number_of_zones == 24
    assert project.client_name == "Harbour Estates Ltd"
    assert project.client_email == "facilities@harbour.example"
    assert project.client_phone == "+44 20 7946 0000"
    assert project.project_location == "Bristol, UK"
    assert project.estimated_start_date == date(2027, 3, 1)
    assert project.estimated_end_date == date(2027, 9, 30)
    assert project.budget == Decimal("1250000")
    assert project.priority == "high"
    assert project.requirements_notes == "See the spec."
    assert project.ai_sourcing_enabled is True
    project.refresh_from_db()  # as stored, not just as built in memory
    assert isinstance(project.square_footage, Decimal) and project.square_footage == Decimal("45000.00")
    assert isinstance(project.estimated_start_date, date)

    # Documents in upload order, byte for byte, in permanent storage.
    stored = list(project.documents.all())
    assert [(d.original_name, d.content_type, d.size) for d in stored] == [
        (name, kind, len(content)) for name, kind, content in expected
    ]
    for document, (_, _, content) in zip(stored, expected):
        with document.file.open("rb") as handle:
            assert handle.read() == content
        assert document.file.path.startswith(str(media / "projects" / str(project.pk)))
        download = owner_client.get(document.get_absolute_url())
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
    assert len(permanent_files(media)) == 3

    # Connectors in the order entered.
    assert [(c.position, c.connector_type, c.target) for c in project.connectors.all()] == [
        (0, "s3", "s3://harbour-drawings/hvac/"),
        (1, "google_drive", "https://drive.google.com/drive/folders/abc"),
    ]

    # The draft is gone: record, tombstone, indexes, temporary folder.
    assert drafts_redis.keys(f"*draft:{draft_id}") == []
    assert in_sorted_sets(drafts_redis, draft_id) == []
    assert redis_keys_mentioning(drafts_redis, draft_id) == []
    assert not (django_settings.DRAFT_UPLOAD_ROOT / draft_id).exists()

    # The user lands on the project.
    page = owner_client.get(response["Location"])
    assert page.status_code == 200
    body = text(page)
    assert "Project “Harbour Office Retrofit” created." in body
    assert "<h1>Harbour Office Retrofit</h1>" in body
    for name, _, _ in expected:
        assert name in body
    assert "s3://harbour-drawings/hvac/" in body
    assert "https://drive.google.com/drive/folders/abc" in body
    assert owner_client.get(reverse("projects:drafts")).content.decode().count("Harbour Office Retrofit") == 0


# --- revalidation at review --------------------------------------------------------------------


@pytest.mark.parametrize(
    "step, key, value, title, error",
    [
        ("details", "details-square_footage", "0", "Project details", "Square footage must be more than 0."),
        (
            "sources",
            "sources-connectors-1-target",
            "ftp://drive.google.com/x",
            "Data sources",
            "Enter a link starting with https://drive.google.com/.",
        ),
    ],
)
def test_it_sends_the_user_back_to_a_step_whose_stored_data_no_longer_validates(
    owner_client, drafts_redis, step, key, value, title, error
):
    draft_id = complete_until_review(
        owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")], connectors=CONNECTORS
    )
    store = get_draft_store()
    draft, _ = store.load(draft_id)
    assert key in draft.wizard["step_data"][step]
    draft.wizard["step_data"][step][key] = [value]
    store.save(draft)

    response = confirm(owner_client, draft_id)

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, step)
    assert not Project.objects.exists()
    page = owner_client.get(response["Location"])
    assert page.status_code == 200
    body = text(page)
    assert f"“{title}” needs your attention before the project can be created." in body
    assert error in body
    assert f'value="{value}"' in body
    # Review is closed until the step is fixed; the draft is kept.
    assert owner_client.get(step_url(draft_id, "review"))["Location"] == step_url(draft_id, step)
    assert drafts_redis.keys(f"*draft:{draft_id}")


def test_it_sends_the_user_back_to_documents_when_a_limit_changed_since_they_were_attached(
    owner_client, settings
):
    files, _ = documents()
    draft_id = complete_until_review(owner_client, files)
    settings.UPLOAD_MAX_FILES = 2

    response = confirm(owner_client, draft_id)

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "requirements")
    assert not Project.objects.exists()
    body = text(owner_client.get(response["Location"]))
    assert "“Requirements documents” needs your attention" in body
    assert "A project can have at most 2 documents; this would make 3." in body


# --- double submit --------------------------------------------------------------------------


def test_it_creates_one_project_when_review_is_submitted_twice(owner_client):
    draft_id = complete_until_review(
        owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")], connectors=CONNECTORS
    )

    first = confirm(owner_client, draft_id)
    second = confirm(owner_client, draft_id)

    project = Project.objects.get()
    assert first.status_code == 302 and first["Location"] == project.get_absolute_url()
    assert second.status_code == 302 and second["Location"] == project.get_absolute_url()
    assert project.documents.count() == 1
    assert project.connectors.count() == 2

    # Any URL of the old draft now leads to the project.
    old_urls = [step_url(draft_id, step) for step in (*STEPS, "done")]
    old_urls.append(reverse("projects:wizard_resume", args=[draft_id]))
    for url in old_urls:
        response = owner_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == project.get_absolute_url(), url
    assert "This project has already been created." in text(owner_client.get(project.get_absolute_url()))
    assert Project.objects.count() == 1


# --- two final POSTs at the same moment, against a live server ----------------------------------


class Browser:
    """One signed-in browser talking HTTP to the live server."""

    TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base_url, username):
        self.base = base_url
        self.http = requests.Session()
        page = self.http.get(f"{self.base}/accounts/login/", timeout=10)
        response = self.http.post(
            f"{self.base}/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.token(page)},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:2000]
        assert "sessionid" in self.http.cookies and "csrftoken" in self.http.cookies

    def token(self, page):
        match = self.TOKEN.search(page.text)
        assert match, page.text[:2000]
        return match.group(1)

    def twin(self):
        """A second connection with the same cookies: the same session, the same user."""
        other = requests.Session()
        other.cookies.update(self.http.cookies)
        return other

    def post_step(self, path, data, files=None):
        page = self.http.get(f"{self.base}{path}", timeout=10)
        assert page.status_code == 200, page.text[:2000]
        response = self.http.post(
            f"{self.base}{path}",
            data={**data, "csrfmiddlewaretoken": self.token(page)},
            files=files,
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:3000]
        return response.headers["Location"]

    def draft_until_review(self, name):
        location = self.post_step(reverse("projects:wizard_new"), details_post(project_name=name))
        draft_id = re.search(r"/projects/new/([0-9a-f-]{36})/requirements/$", location).group(1)
        self.post_step(
            step_url(draft_id, "requirements"),
            {"requirements-requirements_notes": "", **management("requirements")},
            files=[
                ("requirements-documents", ("spec.pdf", pdf_bytes(name), "application/pdf")),
                ("requirements-documents", ("costs.xlsx", office_bytes("xlsx"), XLSX_TYPE)),
            ],
        )
        location = self.post_step(step_url(draft_id, "sources"), sources_post(connectors=CONNECTORS))
        assert location == step_url(draft_id, "review")
        return draft_id


@pytest.mark.django_db(transaction=True)
def test_it_creates_exactly_one_project_when_two_final_posts_race(live_server, settings, media):
    # The live server speaks plain HTTP; the production settings mark both cookies Secure.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    user = UserFactory(username="racer")
    browser = Browser(live_server.url, "racer")

    for attempt in range(5):
        name = f"Race {attempt}"
        draft_id = browser.draft_until_review(name)
        review = browser.http.get(f"{live_server.url}{step_url(draft_id, 'review')}", timeout=10)
        data = {"review-confirm": "on", **management("review"), "csrfmiddlewaretoken": browser.token(review)}
        clients = [browser.http, browser.twin()]
        barrier = threading.Barrier(len(clients))
        results = [None] * len(clients)

        def submit(index, http):
            barrier.wait(timeout=10)
            try:
                results[index] = http.post(f"{live_server.url}{step_url(draft_id, 'review')}", data=data, timeout=30)
            except Exception as exc:  # reported below, with the other thread's result
                results[index] = exc

        threads = [threading.Thread(target=submit, args=(i, http)) for i, http in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=40)

        projects = list(Project.objects.filter(draft_id=draft_id))
        assert len(projects) == 1, (attempt, results)
        project = projects[0]
        assert project.owner == user and project.project_name == name
        assert project.documents.count() == 2 and project.connectors.count() == 2
        for response in results:
            assert isinstance(response, requests.Response), results
            assert [r.status_code for r in response.history] == [302], (attempt, response.history)
            assert response.status_code == 200, (attempt, response.status_code, response.text[:2000])
            assert response.url == f"{live_server.url}/projects/{project.pk}/"
            assert f"<h1>{name}</h1>" in response.text
        assert not (django_settings.DRAFT_UPLOAD_ROOT / draft_id).exists()

    assert Project.objects.count() == 5
    assert len(permanent_files(media)) == 10


# --- the database refuses the commit ---------------------------------------------------------


def refuse_insert_into(table):
    statement = f'INSERT INTO "{table}" '

    def wrapper(execute, sql, params, many, context):
        if sql.startswith(statement):
            raise OperationalError(f"test: the database refused {statement.strip()}")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.parametrize(
    "table",
    [
        "projects_project",  # before anything is copied
        "projects_projectdocument",  # after the first document was copied to permanent storage
        "projects_dataconnector",  # after every document was copied
    ],
)
def test_it_keeps_the_draft_and_says_so_when_the_database_refuses_the_commit(
    owner_client, drafts_redis, media, table
):
    files, expected = documents()
    draft_id = complete_until_review(owner_client, files, connectors=CONNECTORS)
    before, _ = get_draft_store().load(draft_id)
    temp_before = {path.name: path.read_bytes() for path in temp_files(draft_id)}
    assert len(temp_before) == 3

    with connection.execute_wrapper(refuse_insert_into(table)):
        response = confirm(owner_client, draft_id)

    assert response.status_code == 503
    body = " ".join(text(response).split())
    assert (
        "We could not create your project just now. Nothing was lost: your draft and documents "
        "are safe. Please try again in a moment." in body
    )
    assert 'data-step="review"' in body and "Create project" in body
    assert not Project.objects.exists()
    assert permanent_files(media) == []
    after, _ = get_draft_store().load(draft_id)
    assert after is not None
    assert after.files == before.files
    assert {path.name: path.read_bytes() for path in temp_files(draft_id)} == temp_before
    assert len(in_sorted_sets(drafts_redis, draft_id)) == 2

    retry = confirm(owner_client, draft_id)

    project = Project.objects.get()
    assert retry.status_code == 302 and retry["Location"] == project.get_absolute_url()
    assert [d.original_name for d in project.documents.all()] == [name for name, _, _ in expected]
    assert [d.file.read() for d in project.documents.all()] == [content for _, _, content in expected]
    assert project.connectors.count() == 2
    assert len(permanent_files(media)) == 3
    assert drafts_redis.keys(f"*draft:{draft_id}") == []


# --- Redis is unreachable --------------------------------------------------------------------


def test_it_answers_503_and_keeps_what_was_typed_when_redis_is_unreachable(
    owner_client, redis_outage, drafts_redis
):
    redis_outage.begin()

    # Step 1 lists the user's other drafts, which needs Redis: without it, step 1 still shows.
    new = owner_client.get(reverse("projects:wizard_new"))
    assert new.status_code == 200
    assert 'name="details-project_name"' in text(new)

    details = details_post(project_name="Harbour <Office> & Retrofit")
    response = owner_client.post(reverse("projects:wizard_new"), details)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = text(response)
    assert "We can't save drafts right now" in body
    assert "Nothing you typed below has been lost" in body
    page = response.content.decode()
    assert 'value="Harbour &lt;Office&gt; &amp; Retrofit"' in page
    assert 'value="facilities@harbour.example"' in page
    assert 'value="2027-03-01"' in page
    assert 'action="/projects/new/"' in page

    drafts = owner_client.get(reverse("projects:drafts"))
    assert drafts.status_code == 503
    assert "Drafts are temporarily unavailable" in text(drafts)

    redis_outage.end()
    assert get_draft_store().ping() >= 0
    assert drafts_redis.keys("*draft:*") == []  # nothing half-written while it was down
    response = owner_client.post(reverse("projects:wizard_new"), details)
    assert response.status_code == 302
    assert re.fullmatch(r"/projects/new/[0-9a-f-]{36}/requirements/", response["Location"])
    assert len(drafts_redis.keys("*draft:*")) == 1


# --- an anonymous visitor at review ----------------------------------------------------------


def test_it_asks_an_anonymous_visitor_to_sign_in_and_then_commits_the_same_draft(client, owner, drafts_redis):
    draft_id = complete_until_review(client, [upload("spec.pdf", pdf_bytes(), "application/pdf")])
    review_url = step_url(draft_id, "review")

    response = confirm(client, draft_id)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?{urlencode({'next': review_url})}"
    assert not Project.objects.exists()
    assert drafts_redis.keys(f"*draft:{draft_id}")

    login_page = client.get(response["Location"])
    assert "Sign in or create an account to create the project" in text(login_page)
    signed_in = move_drafts_after_sign_in(client, client.post(
        reverse("login"), {"username": owner.username, "password": PASSWORD, "next": review_url}
    ))
    assert signed_in.status_code == 302 and signed_in["Location"] == review_url
    assert client.get(review_url).status_code == 200

    response = confirm(client, draft_id)

    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert project.owner == owner
    assert str(project.draft_id) == draft_id
    assert project.documents.count() == 1
    assert drafts_redis.keys(f"*draft:{draft_id}") == []


def test_someone_elses_confirm_does_not_hold_up_the_owners_commit(owner_client, other_user, drafts_redis):
    draft_id = complete_until_review(owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")])
    stranger = Client()
    stranger.force_login(other_user)
    assert confirm(stranger, draft_id).status_code == 404
    assert not drafts_redis.keys(f"*commit:{draft_id}")  # no lock left behind
    response = confirm(owner_client, draft_id)
    assert response.status_code == 302
    assert Project.objects.filter(draft_id=draft_id).count() == 1


def test_a_failed_commit_gives_its_lock_back(owner_client, drafts_redis, monkeypatch):
    draft_id = complete_until_review(owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")])

    def broken(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr("projects.services.commit.project_create", broken)
    assert confirm(owner_client, draft_id).status_code == 503
    assert not drafts_redis.keys(f"*commit:{draft_id}")
    monkeypatch.undo()
    assert confirm(owner_client, draft_id).status_code == 302
    assert Project.objects.filter(draft_id=draft_id).count() == 1


# --- what the commit asks the database --------------------------------------------------------


def test_it_inserts_the_project_without_asking_the_database_first(owner_client, drafts_redis):
    # The unique draft id and the range checks are constraints in the database: a query per
    # constraint before the INSERT is CPU on every commit for rows the step forms already refused.
    draft_id = complete_until_review(owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")])

    with CaptureQueriesContext(connection) as queries:
        response = confirm(owner_client, draft_id)

    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    statements = [query["sql"] for query in queries.captured_queries]
    insert = next(n for n, sql in enumerate(statements) if sql.startswith('INSERT INTO "projects_project"'))
    asked_first = [sql for sql in statements[:insert] if "projects_project" in sql or '"_check"' in sql]
    assert asked_first == []


@pytest.mark.parametrize(
    "out_of_range",
    [
        {"square_footage": 0},
        {"budget": Decimal("-1")},
        {"estimated_start_date": date(2027, 3, 1), "estimated_end_date": date(2027, 2, 1)},
    ],
)
def test_the_database_still_refuses_a_project_out_of_range(owner, out_of_range):
    details = {**VALID_DETAILS, **out_of_range}
    with pytest.raises(IntegrityError):
        project_create(
            draft=SimpleNamespace(id="6f1c2d3e-0000-4000-8000-000000000001", files=[]),
            owner=owner,
            details=details,
            requirements={},
            sources={},
            temp_storage=None,
        )
    assert not Project.objects.exists()
