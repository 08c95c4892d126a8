"""Step 2 ``requirements``: posting documents and reading what became of them (the summary, the
draft, the disk), shared by tests/test_documents_*.py. The test modules import the ``draft_id``
fixture from here.
"""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from sessions_store.store import get_draft_store

from .wizard_helpers import management, start_draft, step_url


EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
GENERATED_NAME = re.compile(r"^[0-9a-f]{12}\.[a-z]+$")


# --- helpers ----------------------------------------------------------------------------------------

def load_draft(draft_id):
    draft, _ = get_draft_store().load(draft_id, slide=False)
    assert draft is not None, f"draft {draft_id} is not in Redis"
    return draft


def post_documents(client, draft_id, files=(), remove=(), notes="See the spec."):
    data = {"requirements-requirements_notes": notes, **management("requirements")}
    if files:
        data["requirements-documents"] = list(files)
    if remove:
        data["requirements-remove"] = list(remove)
    return client.post(step_url(draft_id, "requirements"), data)


def summary_links(response):
    match = re.search(r'<div class="error-summary".*?</div>', response.content.decode(), re.S)
    if match is None:
        return []
    return [
        (href, html.unescape(text).replace("\xa0", " "))
        for href, text in re.findall(r'<li><a href="([^"]*)">(.*?)</a></li>', match.group(0), re.S)
    ]


def assert_refused_with(response, *messages):
    """The step is shown again, each message is in the summary (linked to the file input) and on the field."""
    assert response.status_code == 200, response.get("Location")
    links = summary_links(response)
    for message in messages:
        assert any(href == "#id_requirements-documents" and text.endswith(message) for href, text in links), (message, links)
        field = re.search(r'<div class="field[^"]*" id="field-requirements-documents">.*?</div>', response.content.decode(), re.S)
        assert message in html.unescape(field.group(0)).replace("\xa0", " "), message


def files_on_disk(root):
    """Every file under ``root``, relative to it."""
    root = Path(root)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def draft_folder(settings, draft_id):
    return Path(settings.DRAFT_UPLOAD_ROOT) / draft_id


def draft_file_url(draft_id, file_id):
    return reverse("projects:draft_file", args=[draft_id, file_id])


def body(response):
    return b"".join(response.streaming_content)


def attach(client, draft_id, *files):
    response = post_documents(client, draft_id, files)
    assert response.status_code == 302, summary_links(response)
    return load_draft(draft_id).files


@pytest.fixture
def draft_id(owner_client):
    return start_draft(owner_client)
