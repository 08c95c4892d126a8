"""Step 2's documents one at a time (issue 11, item 3): the endpoints the page's upload script
calls. Each file is checked as a step-2 submit checks it, attached at once, and removed at once;
the draft's access rules, revisions and CSRF hold as for autosave. Real Redis, database and disk.
"""

import pytest
from django.urls import reverse

from .conftest import pdf_bytes, upload
from .documents_helpers import EXE_BYTES, draft_folder, files_on_disk, load_draft, post_documents
from .documents_helpers import draft_id  # noqa: F401 (fixtures)
from .wizard_helpers import browser, json_error, page_version, step_url

pytestmark = pytest.mark.django_db


def upload_url(draft_id):
    return reverse("projects:draft_document_upload", args=[draft_id])


def send(client, draft_id, *, name="brief.pdf", content=None, version=None):
    version = load_draft(draft_id).revision if version is None else version
    return client.post(
        upload_url(draft_id),
        {"requirements-documents": upload(name, content or pdf_bytes(name), "application/pdf"), "draft_version": version},
    )


def remove(client, document, *, version):
    return client.post(document["removeUrl"], {"draft_version": version})


def test_it_attaches_a_file_at_once_and_says_how_to_show_it(owner_client, draft_id, settings):
    response = send(owner_client, draft_id)

    assert response.status_code == 201, response.content
    body = response.json()
    draft = load_draft(draft_id)
    assert [item["name"] for item in draft.files] == ["brief.pdf"]
    assert body["document"]["name"] == "brief.pdf" and body["count"] == 1
    assert body["version"] == draft.revision
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 1
    download = owner_client.get(body["document"]["url"])
    assert b"".join(download.streaming_content) == pdf_bytes("brief.pdf")
    # The step's answers are untouched: "Continue" submits the step.
    assert draft.validation.get("requirements") is None


def test_it_refuses_a_bad_file_with_the_steps_own_words_and_stores_nothing(owner_client, draft_id, settings):
    error = json_error(send(owner_client, draft_id, name="setup.pdf", content=EXE_BYTES), 400, "FILE_REFUSED")

    assert "“setup.pdf” does not contain what its name says" in error["message"]
    assert load_draft(draft_id).files == []
    assert files_on_disk(draft_folder(settings, draft_id)) == []


def test_it_refuses_a_file_over_the_limits_on_its_own(owner_client, draft_id, settings):
    settings.UPLOAD_MAX_FILES = 1
    assert send(owner_client, draft_id, name="one.pdf").status_code == 201

    error = json_error(send(owner_client, draft_id, name="two.pdf"), 400, "FILE_REFUSED")

    assert "at most 1 documents" in error["message"]
    assert [item["name"] for item in load_draft(draft_id).files] == ["one.pdf"]


def test_it_removes_a_document_at_once(owner_client, draft_id, settings):
    first = send(owner_client, draft_id, name="one.pdf").json()
    second = send(owner_client, draft_id, name="two.pdf", version=first["version"]).json()

    response = remove(owner_client, first["document"], version=second["version"])

    assert response.status_code == 200, response.content
    draft = load_draft(draft_id)
    assert [item["name"] for item in draft.files] == ["two.pdf"]
    assert response.json() == {"removed": first["document"]["id"], "version": draft.revision, "count": 1}
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 1
    # A second click (or another tab) finds it gone: no error.
    assert remove(owner_client, first["document"], version=draft.revision).status_code == 200


def test_it_reopens_the_step_when_its_last_document_is_removed(owner_client, draft_id):
    post_documents(owner_client, draft_id, [upload("brief.pdf", pdf_bytes(), "application/pdf")])
    draft = load_draft(draft_id)
    assert draft.validation["requirements"] is True
    document = {"removeUrl": reverse("projects:draft_document_remove", args=[draft_id, draft.files[0]["id"]])}

    assert remove(owner_client, document, version=draft.revision).status_code == 200

    assert load_draft(draft_id).validation["requirements"] is False
    response = owner_client.get(step_url(draft_id, "sources"))
    assert response.status_code == 302 and response["Location"].endswith("/requirements/")


def test_it_keeps_the_pages_revision_when_the_draft_changed_elsewhere(owner_client, draft_id):
    page = owner_client.get(step_url(draft_id, "requirements"))
    seen = int(page_version(page))
    send(owner_client, draft_id, name="elsewhere.pdf")  # another tab

    body = send(owner_client, draft_id, name="here.pdf", version=seen).json()

    # This page has not seen the other tab's change: its next save is still merged from ``seen``.
    assert body["version"] == seen
    assert [item["name"] for item in load_draft(draft_id).files] == ["elsewhere.pdf", "here.pdf"]


def test_it_refuses_a_revision_that_is_no_revision(owner_client, draft_id):
    json_error(send(owner_client, draft_id, version="latest"), 409, "SESSION_CONFLICT")
    json_error(send(owner_client, draft_id, version=""), 400, "VALIDATION_FAILED")
    assert load_draft(draft_id).files == []


def test_it_opens_a_draft_only_to_its_owner(owner_client, draft_id, other_user):
    json_error(send(browser(other_user), draft_id), 404, "SESSION_NOT_FOUND")
    document = send(owner_client, draft_id).json()["document"]
    json_error(remove(browser(other_user), document, version=load_draft(draft_id).revision), 404, "SESSION_NOT_FOUND")
    assert len(load_draft(draft_id).files) == 1


def test_it_needs_the_csrf_token(owner, draft_id):
    client = browser(owner, enforce_csrf_checks=True)

    assert send(client, draft_id).status_code == 403
    assert load_draft(draft_id).files == []


def test_it_deletes_the_stored_file_again_when_the_draft_cannot_be_saved(owner_client, draft_id, settings):
    draft = load_draft(draft_id)
    draft.history = []  # what the store gives up first
    settings.SESSION_MAX_BYTES = len(draft.to_json().encode()) + 40  # no room for one more document

    json_error(send(owner_client, draft_id), 413, "PAYLOAD_TOO_LARGE")

    assert load_draft(draft_id).files == []
    assert files_on_disk(draft_folder(settings, draft_id)) == []
