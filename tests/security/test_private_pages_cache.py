"""Issue 12 L5: no page with a draft, a project or account data may be kept by a browser cache or
a proxy (a shared computer's Back button, a corporate cache)."""

import pytest

from projects.models import Project

from ..documents_helpers import draft_file_url, load_draft
from ..wizard_helpers import complete_until_review, confirm, step_url

pytestmark = pytest.mark.django_db


def assert_not_stored(response, url):
    assert response.status_code == 200, (url, response.status_code)
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    # no-store: kept by no cache at all (the API's own header says just that); pages say private too.
    expected = {"no-store"} if url.startswith("/api/") else {"no-store", "private"}
    assert expected <= directives, (url, response.get("Cache-Control"))


def test_it_forbids_caching_every_page_with_a_draft_a_project_or_the_account(owner_client, pdf):
    draft_id = complete_until_review(owner_client, [pdf()])
    file_id = load_draft(draft_id).files[0]["id"]
    urls = [
        "/", "/projects/new/", "/projects/drafts/", *(step_url(draft_id, step) for step in ("details", "requirements", "sources", "review")),
        f"/projects/new/{draft_id}/discard/", f"/projects/new/{draft_id}/email-link/", draft_file_url(draft_id, file_id),
        f"/projects/new/{draft_id}/details/versions/", f"/api/sessions/{draft_id}",
        "/accounts/", "/accounts/password_change/",
    ]
    for url in urls:
        assert_not_stored(owner_client.get(url), url)

    confirm(owner_client, draft_id)
    project = Project.objects.get()
    document = project.documents.get()
    for url in ("/projects/", f"/projects/{project.pk}/", f"/projects/{project.pk}/documents/{document.pk}/"):
        assert_not_stored(owner_client.get(url), url)


def test_it_forbids_caching_the_sign_in_pages_too(client):
    for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password_reset/", "/admin/login/"):
        assert_not_stored(client.get(url), url)
