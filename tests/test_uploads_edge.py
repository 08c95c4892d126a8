"""Upload edge cases (issue 5) that test_documents_*.py do not already cover.

test_documents_checks.py covers each accepted type, content that contradicts its extension,
unknown extensions, zero-byte files, the per-file, per-draft and file-count limits (one and several
over); test_documents_handling.py hostile, path-traversal, non-ASCII and decomposed names, and
removing and adding files. Here:

- what the client claims is ignored: the Content-Type it sends, and its idea of a file name
  (NUL bytes, right-to-left overrides, NTFS streams, names made only of path parts);
- big files that Django streams to a temporary file, refused or accepted, leave nothing behind;
- what browsers send that the test client never does: an empty file part when nothing was
  chosen, and RFC 5987 ``filename*`` names;
- far too many files or fields in one request: a clear 400 page, nothing parsed or stored;
- files posted where they can't go (someone else's draft, a step not reached, another step, a
  stale page): nothing stored;
- text that is really HTML is only ever served as a download, never rendered.

Every refusal is checked for a clear message and for nothing stored: not in the draft, not on disk.
"""

import html
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from sessions_store.store import get_draft_store

from .conftest import pdf_bytes, upload
from .support import multipart
from .wizard_helpers import management, start_draft, step_url

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
ACCEPTED_TYPES = "PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG"
REQUIREMENTS = [("project_wizard-current_step", "requirements"), ("requirements-requirements_notes", "Typed notes")]


def load_draft(draft_id):
    draft, _ = get_draft_store().load(draft_id, slide=False)
    assert draft is not None
    return draft


def files_under(root):
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def document_errors(response):
    """The error messages shown on the documents field."""
    match = re.search(r'id="field-requirements-documents">(.*?)</div>', response.content.decode(), re.S)
    assert match, response.content.decode()[:3000]
    return [
        html.unescape(re.sub(r"<[^>]+>", "", text)).replace("Error:", "").replace("\xa0", " ").strip()
        for text in re.findall(r'<p class="error-message"[^>]*>(.*?)</p>', match.group(1), re.S)
    ]


def assert_nothing_stored(settings, draft_id, before):
    after = load_draft(draft_id)
    assert after.files == before.files
    assert files_under(settings.MEDIA_ROOT) == [
        str(Path("drafts") / item["tmp_name"]) for item in before.files
    ]


@pytest.fixture
def draft_id(owner_client):
    return start_draft(owner_client)


def attach_one(client, draft_id, name="kept.pdf", content=None):
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload(name, content or pdf_bytes(name))], **management("requirements")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return load_draft(draft_id)


# --- what the client claims -------------------------------------------------------------------------

def test_it_refuses_an_executable_whatever_content_type_the_browser_claims(owner_client, settings, draft_id):
    before = load_draft(draft_id)

    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename="spec.pdf", content=EXE_BYTES, content_type="application/pdf")],
    )

    assert response.status_code == 200
    assert document_errors(response) == ["“spec.pdf” does not contain what its name says: it is not a valid PDF file."]
    assert_nothing_stored(settings, draft_id, before)


def test_it_records_the_type_it_found_not_the_type_the_browser_claimed(owner_client, settings, draft_id):
    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename="spec.pdf", content=pdf_bytes(), content_type="application/x-msdownload")],
    )

    assert response.status_code == 302
    [item] = load_draft(draft_id).files
    assert item["content_type"] == "application/pdf"
    download = owner_client.get(reverse("projects:draft_file", args=[draft_id, item["id"]]))
    assert download["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    "sent,shown",
    [
        ("spec.pdf\x00.exe", "spec.pdf.exe"),  # NUL injection: "spec.pdf" to C, ".exe" to us
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override: looks like "invoiceexe.pdf"
        ("spec.pdf::$DATA", "spec.pdf::$data"),  # an NTFS stream name
        ("spec.pdf%00.exe", "spec.pdf%00.exe"),  # URL-encoded NUL stays literal
    ],
    ids=["NUL byte", "right-to-left override", "NTFS stream", "encoded NUL"],
)
def test_it_refuses_a_name_that_hides_its_real_extension(owner_client, settings, draft_id, sent, shown):
    before = load_draft(draft_id)

    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename=sent, content=pdf_bytes())],
    )

    assert response.status_code == 200
    assert document_errors(response) == [f"“{shown}” is not an accepted type. Upload {ACCEPTED_TYPES} files."]
    assert_nothing_stored(settings, draft_id, before)


@pytest.mark.parametrize("sent", ["..", "../", "/", "....", "\\", "C:\\", "../../", " "])
def test_it_stores_nothing_for_a_name_made_only_of_path_parts(owner_client, settings, draft_id, sent):
    before = load_draft(draft_id)

    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename=sent, content=pdf_bytes())],
    )

    assert response.status_code == 200
    # Either Django drops the nameless part, or we refuse "document" (no extension): said clearly.
    assert document_errors(response) in (
        ["Attach at least one requirements document."],
        [f"“document” is not an accepted type. Upload {ACCEPTED_TYPES} files."],
    )
    assert_nothing_stored(settings, draft_id, before)


def test_it_stores_a_windows_device_name_under_a_generated_name(owner_client, settings, draft_id):
    draft = attach_one(owner_client, draft_id, "CON.pdf")

    [item] = draft.files
    assert item["name"] == "CON.pdf"
    assert re.fullmatch(rf"{draft_id}/[0-9a-f]{{12}}\.pdf", item["tmp_name"])


# --- non-ASCII names as other clients send them ----------------------------------------------------

@pytest.mark.parametrize(
    "filename_star,name",
    [
        ("UTF-8''%E6%9D%B1%E4%BA%AC%20plan.pdf", "東京 plan.pdf"),
        ("UTF-8''%F0%9F%93%90%20drawings.PDF", "📐 drawings.pdf"),
        ("UTF-8''%D8%AE%D8%B7%D8%A9.pdf", "خطة.pdf"),
    ],
)
def test_it_keeps_a_non_ascii_name_sent_as_rfc_5987(owner_client, settings, draft_id, filename_star, name):
    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename="fallback.pdf", filename_star=filename_star, content=pdf_bytes())],
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    [item] = load_draft(draft_id).files
    assert item["name"] == name
    assert item["tmp_name"].isascii()
    assert name in html.unescape(owner_client.get(step_url(draft_id, "requirements")).content.decode())


def test_it_keeps_two_files_of_the_same_name_apart(owner_client, settings, draft_id):
    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("spec.pdf", pdf_bytes("one")), upload("spec.pdf", pdf_bytes("two"))], **management("requirements")},
    )

    assert response.status_code == 302
    first, second = load_draft(draft_id).files
    assert first["name"] == second["name"] == "spec.pdf"
    assert first["tmp_name"] != second["tmp_name"]
    for item, text in ((first, "one"), (second, "two")):
        download = owner_client.get(reverse("projects:draft_file", args=[draft_id, item["id"]]))
        assert b"".join(download.streaming_content) == pdf_bytes(text)


# --- what a browser sends with nothing chosen ---------------------------------------------------------

def test_it_continues_when_the_browser_sends_an_empty_file_field(owner_client, settings, draft_id):
    before = attach_one(owner_client, draft_id)

    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename="", content=b"")],
    )

    assert response.status_code == 302, document_errors(response)
    assert_nothing_stored(settings, draft_id, before)


def test_it_asks_for_a_document_not_about_an_empty_file_when_none_was_chosen(owner_client, settings, draft_id):
    before = load_draft(draft_id)

    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename="", content=b"")],
    )

    assert response.status_code == 200
    assert document_errors(response) == ["Attach at least one requirements document."]
    assert_nothing_stored(settings, draft_id, before)


# --- big files, streamed to a temporary file -------------------------------------------------------

BIG = 3 * 1024 * 1024  # over FILE_UPLOAD_MAX_MEMORY_SIZE (2 MiB): Django writes it to a temporary file


@pytest.fixture
def upload_tmp(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    return Path(settings.FILE_UPLOAD_TEMP_DIR)


def big_pdf(size):
    head = pdf_bytes()
    return head + b"%" + b"x" * (size - len(head) - 1)


def test_it_refuses_a_streamed_file_over_the_limit_and_leaves_no_temporary_file(owner_client, settings, draft_id, upload_tmp):
    settings.UPLOAD_MAX_FILE_SIZE = BIG
    before = load_draft(draft_id)

    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("huge.pdf", big_pdf(BIG + 1))], **management("requirements")},
    )

    assert response.status_code == 200
    assert document_errors(response) == ["“huge.pdf” is 3.0 MB: each file must be 3.0 MB or smaller."]
    assert_nothing_stored(settings, draft_id, before)
    assert list(upload_tmp.iterdir()) == []


def test_it_stores_a_streamed_file_intact_and_leaves_no_temporary_file(owner_client, settings, draft_id, upload_tmp):
    settings.UPLOAD_MAX_FILE_SIZE = BIG
    content = big_pdf(BIG)

    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("big.pdf", content)], **management("requirements")},
    )

    assert response.status_code == 302
    [item] = load_draft(draft_id).files
    assert item["size"] == BIG
    assert (Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]).read_bytes() == content
    assert list(upload_tmp.iterdir()) == []


def test_it_refuses_a_streamed_executable_disguised_as_a_pdf(owner_client, settings, draft_id, upload_tmp):
    settings.UPLOAD_MAX_FILE_SIZE = BIG
    before = load_draft(draft_id)

    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("setup.pdf", EXE_BYTES + b"\x00" * (BIG - len(EXE_BYTES)))], **management("requirements")},
    )

    assert response.status_code == 200
    assert document_errors(response) == ["“setup.pdf” does not contain what its name says: it is not a valid PDF file."]
    assert_nothing_stored(settings, draft_id, before)
    assert list(upload_tmp.iterdir()) == []


# --- far too much in one request ------------------------------------------------------------------------

def test_it_answers_a_clear_400_to_far_too_many_files_and_parses_none(owner_client, settings, draft_id, upload_tmp):
    before = load_draft(draft_id)
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1

    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload(f"f{n}.txt", b"x") for n in range(count)], **management("requirements")},
    )

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f"Too many files were sent at once. A project can have at most {settings.UPLOAD_MAX_FILES} documents" in page
    assert_nothing_stored(settings, draft_id, before)
    assert list(upload_tmp.iterdir()) == []


def test_it_answers_400_not_500_to_far_too_many_fields(owner_client, settings, draft_id):
    before = load_draft(draft_id)
    fields = {f"sources-connectors-{n}-target": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = owner_client.post(step_url(draft_id, "requirements"), {**fields, **management("requirements")})

    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()
    assert_nothing_stored(settings, draft_id, before)


# --- files posted where they can't go -------------------------------------------------------------------

@pytest.mark.parametrize("who", ["other user", "anonymous", "same user, other browser"])
def test_it_stores_nothing_posted_to_someone_elses_draft(client, other_user, settings, who):
    draft_id = start_draft(client)  # an anonymous owner: the draft is bound to this browser
    before = load_draft(draft_id)
    intruder = Client(HTTP_USER_AGENT="Another browser/1.0" if who == "same user, other browser" else "")
    if who == "other user":
        intruder.force_login(other_user)
    if who == "same user, other browser":
        intruder.cookies = client.cookies  # the same session cookie, another user agent

    response = intruder.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload("spec.pdf", pdf_bytes())], **management("requirements")},
    )

    # Its own token from another browser is told the draft was started elsewhere (403).
    assert response.status_code == (403 if who == "same user, other browser" else 404)
    assert_nothing_stored(settings, draft_id, before)


@pytest.mark.parametrize("step", ["details", "sources", "review", "nonsense"])
def test_it_stores_no_file_posted_to_another_step(owner_client, settings, draft_id, step):
    before = load_draft(draft_id)

    response = owner_client.post(
        step_url(draft_id, step),
        {"requirements-documents": [upload("spec.pdf", pdf_bytes())], **management(step)},
    )

    assert response.status_code in (200, 302)
    assert_nothing_stored(settings, draft_id, before)


def test_it_keeps_the_uploads_of_a_page_that_is_out_of_date_with_the_others(owner_client, settings, draft_id):
    page = owner_client.get(step_url(draft_id, "requirements")).content.decode()
    version = re.search(r'name="draft_version" value="([^"]*)"', page)
    assert version, "the step form carries the draft's version"
    stale = {"draft_version": version.group(1), **management("requirements")}
    # The first tab saves; the second, still showing the same version, then uploads: no answer
    # was changed on both sides, so its upload joins the first (issue 10: nothing is lost).
    response = owner_client.post(step_url(draft_id, "requirements"), {"requirements-documents": [upload("one.pdf", pdf_bytes("1"))], **stale})
    assert response.status_code == 302

    response = owner_client.post(step_url(draft_id, "requirements"), {"requirements-documents": [upload("two.pdf", pdf_bytes("2"))], **stale})

    assert response.status_code == 302
    assert [item["name"] for item in load_draft(draft_id).files] == ["one.pdf", "two.pdf"]


# --- text that is really a web page ----------------------------------------------------------------------

def test_it_only_ever_serves_uploaded_html_as_a_download(owner_client, settings, draft_id):
    page = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"
    draft = attach_one(owner_client, draft_id, "notes.txt", page)  # it is text, so it is accepted

    [item] = draft.files
    response = owner_client.get(reverse("projects:draft_file", args=[draft_id, item["id"]]))

    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_it_refuses_an_svg_disguised_as_a_png(owner_client, settings, draft_id):
    before = load_draft(draft_id)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'

    response = owner_client.post(
        step_url(draft_id, "requirements"), {"requirements-documents": [upload("plan.png", svg)], **management("requirements")}
    )

    assert response.status_code == 200
    assert document_errors(response) == ["“plan.png” does not contain what its name says: it is not a valid PNG image file."]
    assert_nothing_stored(settings, draft_id, before)


@pytest.mark.parametrize("name", ["\uf8ff\u200b.pdf", ".pdf"], ids=["unprintable", "only an extension"])
def test_a_name_that_is_only_an_extension_is_kept_as_document(owner_client, name):
    draft_id = start_draft(owner_client)
    response = owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [upload(name, pdf_bytes(), "application/pdf")], **management("requirements")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft, _ = get_draft_store().load(draft_id, slide=False)
    assert [item["name"] for item in draft.files] == ["document.pdf"]
