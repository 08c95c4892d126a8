"""A database outage is a 503, never a 500 (M5, item 7): every wizard page, autosave and API call
of a signed-in user (whose user record is loaded from the database first) answers 503 with the
input shown again (JSON for the API), the draft stays intact in Redis, and a retry works once the
database is back. Run for real against PostgreSQL: connections to the test database are refused
(ALLOW_CONNECTIONS false) and its backends terminated, from a separate connection."""

import html

import psycopg
import pytest
from django.db import connection

from projects.models import Project

from ..api_helpers import update
from ..test_autosave import autosave, autosave_url
from ..wizard_helpers import complete_until_review, confirm, details_post, json_error, page_version, step_url, stored

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class DatabaseOutage:
    def __init__(self):
        settings = connection.settings_dict
        self.name = settings["NAME"]
        self.admin = psycopg.connect(
            host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, user=settings["USER"],
            password=settings["PASSWORD"] or None, dbname="postgres", autocommit=True,
        )

    def begin(self):
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name],
        )

    def end(self):
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        # A server closes a broken connection at the next request's start (close_old_connections,
        # with CONN_HEALTH_CHECKS); the test client leaves that signal out.
        connection.close()


@pytest.fixture
def database_outage():
    outage = DatabaseOutage()
    yield outage
    outage.end()
    outage.admin.close()


def test_it_answers_503_with_the_input_and_keeps_the_draft_until_the_database_is_back(signed_in, pdf, database_outage):
    draft_id = complete_until_review(signed_in, [pdf()])
    version = page_version(signed_in.get(step_url(draft_id, "details")))
    before = stored(draft_id)
    database_outage.begin()

    page = signed_in.post(step_url(draft_id, "details"), details_post(project_name="Typed during the outage"))
    assert page.status_code == 503 and page["Retry-After"]
    content = html.unescape(page.content.decode())
    assert "our database is not responding" in content
    assert 'value="Typed during the outage"' in content

    for url in (step_url(draft_id, "review"), "/projects/drafts/", "/projects/"):
        response = signed_in.get(url)
        assert response.status_code == 503, url
        assert "Our database is not responding" in html.unescape(response.content.decode())
    json_error(autosave(signed_in, autosave_url(draft_id, "details"), details_post(), version=version), 503, "DATABASE_UNAVAILABLE")
    json_error(update(signed_in, {"sessionId": draft_id, "version": before.revision, "projectData": {"projectName": "API"}}), 503, "DATABASE_UNAVAILABLE")

    final = confirm(signed_in, draft_id)
    assert final.status_code == 503
    assert "We could not create your project just now" in html.unescape(final.content.decode())
    assert stored(draft_id).writes == before.writes  # the draft is intact

    database_outage.end()
    retry = confirm(signed_in, draft_id)
    assert retry.status_code == 302
    assert Project.objects.get(draft_id=draft_id).project_name == "Harbour Office Retrofit"
