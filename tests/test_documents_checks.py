"""Step 2 ``requirements``: what the checks let in, with real files through the test client, on
real storage and a real Redis. Accepted types, files whose name lies about their content, unknown
extensions and empty files, the size and count limits, and at least one document.
"""

import html
import io
import re
import zipfile
from pathlib import Path

import pytest

from .conftest import JPEG_BYTES, PNG_BYTES, office_bytes, pdf_bytes, upload
from .documents_helpers import (
    EXE_BYTES,
    GENERATED_NAME,
    assert_refused_with,
    attach,
    draft_folder,
    files_on_disk,
    load_draft,
    post_documents,
    summary_links,
)
from .documents_helpers import draft_id  # noqa: F401 (fixtures)
from .wizard_helpers import step_url

pytestmark = pytest.mark.django_db

ACCEPTED_TYPES = "PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


# --- accepted types ----------------------------------------------------------------------------------

ACCEPTED = [
    ("spec.pdf", pdf_bytes(), "application/pdf"),
    ("brief.docx", office_bytes("docx"), DOCX),
    ("budget.xlsx", office_bytes("xlsx"), XLSX),
    ("rooms.csv", b"room,area\r\nLobby,120\r\n", "text/csv"),
    ("export-windows.csv", "caf\xe9;r\xe9sum\xe9;12\r\n".encode("cp1252"), "text/csv"),
    ("notes.txt", "Chillers on floors 2–5, zones ≤ 24.\n".encode(), "text/plain"),
    ("plan.png", PNG_BYTES, "image/png"),
    ("site.jpg", JPEG_BYTES, "image/jpeg"),
    ("site.jpeg", JPEG_BYTES, "image/jpeg"),
]


@pytest.mark.parametrize("name,content,content_type", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_it_accepts_each_document_type(owner_client, settings, draft_id, name, content, content_type):
    response = post_documents(owner_client, draft_id, [upload(name, content)])

    assert response.status_code == 302, summary_links(response)
    assert response["Location"] == step_url(draft_id, "sources")
    [item] = load_draft(draft_id).files
    assert (item["name"], item["size"], item["content_type"]) == (name, len(content), content_type)
    stored = Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]
    assert stored.parent == draft_folder(settings, draft_id)
    assert GENERATED_NAME.match(stored.name) and stored.suffix == Path(name).suffix
    assert stored.read_bytes() == content


def test_it_accepts_an_upper_case_extension(owner_client, settings, draft_id):
    [item] = attach(owner_client, draft_id, upload("SCAN.PDF", pdf_bytes()))

    assert item["name"] == "SCAN.pdf"
    assert item["tmp_name"].endswith(".pdf")


LIARS = [
    ("spec.pdf", EXE_BYTES, "PDF"),
    ("spec.pdf", plain_zip(), "PDF"),
    ("drawing.pdf", PNG_BYTES, "PDF"),
    ("spec.pdf", b"Just some text, not a PDF.\n", "PDF"),
    ("brief.docx", pdf_bytes(), "Word document (DOCX)"),
    ("brief.docx", office_bytes("xlsx"), "Word document (DOCX)"),
    ("brief.docx", plain_zip(), "Word document (DOCX)"),
    ("brief.docx", b"PK\x03\x04 truncated, not a zip", "Word document (DOCX)"),
    ("budget.xlsx", office_bytes("docx"), "Excel workbook (XLSX)"),
    ("budget.xlsx", EXE_BYTES, "Excel workbook (XLSX)"),
    ("notes.txt", bytes(range(256)), "Plain text"),
    ("notes.txt", EXE_BYTES, "Plain text"),
    ("notes.txt", b"\x81\x8d\x8f\x90\x9d" * 20, "Plain text"),  # neither UTF-8 nor Windows-1252
    ("rooms.csv", PNG_BYTES, "CSV"),
    ("plan.png", JPEG_BYTES, "PNG image"),
    ("plan.png", pdf_bytes(), "PNG image"),
    ("photo.jpg", PNG_BYTES, "JPEG image"),
    ("photo.jpeg", EXE_BYTES, "JPEG image"),
]


@pytest.mark.parametrize(
    "name,content,label", LIARS, ids=[f"{n}<-{c[:6]!r}" for n, c, _ in LIARS]
)
def test_it_refuses_a_file_whose_name_lies_about_its_content(owner_client, settings, draft_id, name, content, label):
    response = post_documents(owner_client, draft_id, [upload(name, content)])

    assert_refused_with(
        response, f"“{name}” does not contain what its name says: it is not a valid {label} file."
    )
    assert load_draft(draft_id).files == []
    assert not load_draft(draft_id).validation.get("requirements")
    assert files_on_disk(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("name", ["setup.exe", "README", "archive.zip", "drawing.dwg", "spec.pdf.exe", "page.html"])
def test_it_refuses_an_unknown_extension(owner_client, settings, draft_id, name):
    response = post_documents(owner_client, draft_id, [upload(name, pdf_bytes())])

    shown = name.strip(".")
    assert_refused_with(response, f"“{shown}” is not an accepted type. Upload {ACCEPTED_TYPES} files.")
    assert load_draft(draft_id).files == []
    assert files_on_disk(settings.MEDIA_ROOT) == []


def test_it_refuses_an_empty_file(owner_client, settings, draft_id):
    response = post_documents(owner_client, draft_id, [upload("empty.pdf", b"")])

    assert response.status_code == 200
    assert [href for href, _ in summary_links(response)] == ["#id_requirements-documents"]
    assert "empty" in summary_links(response)[0][1]
    assert load_draft(draft_id).files == []
    assert files_on_disk(settings.MEDIA_ROOT) == []


def test_it_names_the_empty_file(owner_client, settings, draft_id):
    response = post_documents(owner_client, draft_id, [upload("spec.pdf", pdf_bytes()), upload("empty.pdf", b"")])

    assert response.status_code == 200
    [(href, text)] = summary_links(response)
    assert href == "#id_requirements-documents"
    assert "“empty.pdf”" in text and "empty (0 bytes)" in text
    assert "spec.pdf" not in text
    # The good file chosen with it is kept (issue 10 g).
    assert [item["name"] for item in load_draft(draft_id).files] == ["spec.pdf"]
    assert len(files_on_disk(settings.MEDIA_ROOT)) == 1


def test_it_names_every_refused_file_and_keeps_only_the_good_ones(owner_client, settings, draft_id):
    files = [
        upload("good.pdf", pdf_bytes()),
        upload("virus.pdf", EXE_BYTES),
        upload("tool.exe", EXE_BYTES),
        upload("also-good.png", PNG_BYTES),
    ]
    response = post_documents(owner_client, draft_id, files, notes="Typed notes <kept>")

    assert_refused_with(
        response,
        "“virus.pdf” does not contain what its name says: it is not a valid PDF file.",
        f"“tool.exe” is not an accepted type. Upload {ACCEPTED_TYPES} files.",
    )
    assert len(summary_links(response)) == 2
    assert "Typed notes &lt;kept&gt;</textarea>" in response.content.decode()
    files = load_draft(draft_id).files
    assert [item["name"] for item in files] == ["good.pdf", "also-good.png"]
    assert sorted(files_on_disk(settings.MEDIA_ROOT)) == sorted(f"drafts/{item['tmp_name']}" for item in files)


def test_it_accepts_a_file_of_exactly_the_size_limit(owner_client, settings, draft_id):
    content = pdf_bytes()
    settings.UPLOAD_MAX_FILE_SIZE = len(content)

    [item] = attach(owner_client, draft_id, upload("spec.pdf", content))

    assert item["size"] == len(content)


def test_it_refuses_a_file_one_byte_over_the_size_limit(owner_client, settings, draft_id):
    content = pdf_bytes()
    settings.UPLOAD_MAX_FILE_SIZE = len(content) - 1

    response = post_documents(owner_client, draft_id, [upload("spec.pdf", content)])

    assert_refused_with(
        response, f"“spec.pdf” is {len(content)} bytes: each file must be {len(content) - 1} bytes or smaller."
    )
    assert load_draft(draft_id).files == []


def test_it_refuses_a_file_over_the_size_limit(owner_client, settings, draft_id):
    settings.UPLOAD_MAX_FILE_SIZE = 1024
    big = pdf_bytes("x" * 2000)
    assert len(big) > 2048

    response = post_documents(owner_client, draft_id, [upload("small.pdf", pdf_bytes()), upload("big.pdf", big)])

    assert_refused_with(response, "“big.pdf” is 2.1 KB: each file must be 1.0 KB or smaller.")
    assert "Up to 1.0 KB each" in html.unescape(response.content.decode()).replace("\xa0", " ")
    [item] = load_draft(draft_id).files
    assert item["name"] == "small.pdf"
    assert files_on_disk(settings.MEDIA_ROOT) == [f"drafts/{item['tmp_name']}"]


def test_it_refuses_files_over_the_total_for_one_draft_in_one_post(owner_client, settings, draft_id):
    size = len(pdf_bytes())
    settings.UPLOAD_MAX_DRAFT_SIZE = 2 * size

    response = post_documents(owner_client, draft_id, [upload(f"part{n}.pdf", pdf_bytes()) for n in range(3)])

    assert response.status_code == 200
    [(href, text)] = summary_links(response)
    assert href == "#id_requirements-documents"
    assert text.endswith(
        f"“part2.pdf” was not added: all documents together must be {2 * size} bytes or less, "
        f"and with it they would make {3 * size} bytes."
    )
    # Only the file over the total is refused: the two before it are kept.
    assert [item["name"] for item in load_draft(draft_id).files] == ["part0.pdf", "part1.pdf"]
    assert len(files_on_disk(settings.MEDIA_ROOT)) == 2

    response = post_documents(owner_client, draft_id, [])
    assert response.status_code == 302, summary_links(response)
    assert [item["name"] for item in load_draft(draft_id).files] == ["part0.pdf", "part1.pdf"]


def test_it_counts_attached_files_in_the_total_for_one_draft(owner_client, settings, draft_id):
    size = len(pdf_bytes())
    settings.UPLOAD_MAX_DRAFT_SIZE = 2 * size
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes()), upload("b.pdf", pdf_bytes()))

    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())])

    assert response.status_code == 200
    assert [text.split(": ", 1)[1] for _, text in summary_links(response)] == [
        f"“c.pdf” was not added: all documents together must be {2 * size} bytes or less, "
        f"and with it they would make {3 * size} bytes."
    ]
    assert load_draft(draft_id).files == [first, second]
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 2

    # Removing one makes room for another.
    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())], remove=[first["id"]])
    assert response.status_code == 302, summary_links(response)
    assert [item["name"] for item in load_draft(draft_id).files] == ["b.pdf", "c.pdf"]


def test_it_refuses_more_files_than_the_limit(owner_client, settings, draft_id):
    settings.UPLOAD_MAX_FILES = 3

    response = post_documents(owner_client, draft_id, [upload(f"f{n}.pdf", pdf_bytes()) for n in range(4)])

    assert response.status_code == 200
    assert [text.split(": ", 1)[1] for _, text in summary_links(response)] == [
        "“f3.pdf” was not added: a project can have at most 3 documents. Remove one to make room for another."
    ]
    # Only the file over the limit is refused: the three before it are kept.
    assert [item["name"] for item in load_draft(draft_id).files] == ["f0.pdf", "f1.pdf", "f2.pdf"]
    assert len(files_on_disk(settings.MEDIA_ROOT)) == 3

    assert len(attach(owner_client, draft_id)) == 3


def test_it_counts_attached_files_in_the_file_limit(owner_client, settings, draft_id):
    settings.UPLOAD_MAX_FILES = 2
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes()), upload("b.txt", b"notes"))

    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())])

    assert response.status_code == 200
    assert any(
        text.endswith("“c.pdf” was not added: a project can have at most 2 documents. Remove one to make room for another.")
        for _, text in summary_links(response)
    )
    assert load_draft(draft_id).files == [first, second]

    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())], remove=[second["id"]])
    assert response.status_code == 302, summary_links(response)
    assert [item["name"] for item in load_draft(draft_id).files] == ["a.pdf", "c.pdf"]


# One over the limit, and several over (formerly a bare "Bad Request (400)" past UPLOAD_MAX_FILES + 5).
@pytest.mark.parametrize("over", [1, 6], ids=["one too many", "several too many"])
def test_it_refuses_too_many_files_with_a_message_on_the_step_page(owner_client, settings, draft_id, over):
    limit = settings.UPLOAD_MAX_FILES
    response = post_documents(owner_client, draft_id, [upload(f"f{n}.txt", b"x") for n in range(limit + over)])

    # One message for each file over the limit, naming it; the files within it are kept.
    assert_refused_with(
        response,
        *[
            f"“f{n}.txt” was not added: a project can have at most {limit} documents. Remove one to make room for another."
            for n in range(limit, limit + over)
        ],
    )
    assert len(summary_links(response)) == over
    assert [item["name"] for item in load_draft(draft_id).files] == [f"f{n}.txt" for n in range(limit)]


def test_it_requires_at_least_one_document(owner_client, settings, draft_id):
    response = post_documents(owner_client, draft_id, [])

    assert_refused_with(response, "Attach at least one requirements document.")
    assert not load_draft(draft_id).validation.get("requirements")
    # The next step stays closed.
    response = owner_client.get(step_url(draft_id, "sources"))
    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "requirements")


def test_it_refuses_to_remove_the_last_document_without_a_new_one(owner_client, settings, draft_id):
    [item] = attach(owner_client, draft_id, upload("only.pdf", pdf_bytes()))

    response = post_documents(owner_client, draft_id, [], remove=[item["id"]])

    assert_refused_with(response, "Attach at least one requirements document.")
    assert load_draft(draft_id).files == [item]
    assert (Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]).read_bytes() == pdf_bytes()
    # The box the user ticked is still ticked.
    assert re.search(rf'<input type="checkbox" name="requirements-remove" value="{item["id"]}"[^>]*\bchecked', response.content.decode())
