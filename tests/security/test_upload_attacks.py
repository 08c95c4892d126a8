"""Attack-style uploads on step 2: zip bombs dressed as DOCX/XLSX (L6), and file names that
can't be decoded (L7). Each is refused with its own clear error; nothing is stored or dropped
silently while the step reports success."""

import io
import zipfile

import pytest

from ..conftest import pdf_bytes, upload
from ..support import multipart
from ..test_uploads_edge import REQUIREMENTS, assert_nothing_stored, attach_one, document_errors, load_draft
from ..wizard_helpers import management, start_draft, step_url

pytestmark = pytest.mark.django_db


def office_bomb(kind, zeros):
    """A valid-looking DOCX/XLSX whose one big part is ``zeros`` bytes of zeros, deflated."""
    part = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
        archive.writestr("word/media/padding.bin", b"\0" * zeros)
    return buffer.getvalue()


@pytest.fixture
def draft_id(owner_client):
    return start_draft(owner_client)


def post_documents(client, draft_id, *files):
    return client.post(step_url(draft_id, "requirements"), {"requirements-documents": list(files), **management("requirements")})


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_it_refuses_an_office_file_that_expands_over_a_hundred_times(owner_client, settings, draft_id, kind):
    before = load_draft(draft_id)
    bomb = office_bomb(kind, 4 * 1024 * 1024)  # 4 MiB of zeros deflate to about 4 KiB

    response = post_documents(owner_client, draft_id, upload(f"plans.{kind}", bomb))

    assert response.status_code == 200
    [error] = document_errors(response)
    assert error.startswith(f"“plans.{kind}” was not added: it expands ")
    assert "a real document expands at most 100 times" in error
    assert_nothing_stored(settings, draft_id, before)


def test_it_refuses_an_office_file_that_expands_past_the_size_limit(owner_client, settings, draft_id):
    settings.UPLOAD_ZIP_MAX_EXPANDED = 1024 * 1024
    settings.UPLOAD_ZIP_MAX_RATIO = 10**6
    before = load_draft(draft_id)

    response = post_documents(owner_client, draft_id, upload("plans.docx", office_bomb("docx", 2 * 1024 * 1024)))

    assert document_errors(response) == [
        "“plans.docx” was not added: it expands to 2.0 MB when opened; documents may expand to at most 1.0 MB."
    ]
    assert_nothing_stored(settings, draft_id, before)


def test_it_keeps_the_good_files_chosen_with_a_bomb(owner_client, settings, draft_id, pdf):
    response = post_documents(owner_client, draft_id, upload("plans.docx", office_bomb("docx", 4 * 1024 * 1024)), pdf("brief.pdf"))

    assert response.status_code == 200 and len(document_errors(response)) == 1
    assert [item["name"] for item in load_draft(draft_id).files] == ["brief.pdf"]


# --- names that can't be decoded ----------------------------------------------------------------------

UNREADABLE = "A file whose name could not be read (it is not UTF-8 text) was not added. Rename it with ordinary letters and numbers, then choose it again."


@pytest.mark.parametrize(
    "filename,filename_star",
    [
        ("\udcff\udcfe\udc80.pdf", None),  # raw bytes in the header (Django skips the part)
        ("Pl\udce4ne.pdf", None),  # Latin-1 "Pläne.pdf"
        ("plans.pdf", "UTF-8''%FF%FE.pdf"),  # RFC 5987 with bytes that are not UTF-8
    ],
)
def test_it_says_so_when_a_file_name_cant_be_decoded(owner_client, settings, draft_id, filename, filename_star):
    before = attach_one(owner_client, draft_id)  # the step would be complete without the file

    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [dict(name="requirements-documents", filename=filename, filename_star=filename_star, content=pdf_bytes())],
    )

    assert response.status_code == 200, "the step must not report success"
    assert document_errors(response) == [UNREADABLE]
    assert_nothing_stored(settings, draft_id, before)


def test_it_keeps_a_readable_file_sent_with_an_unreadable_one(owner_client, settings, draft_id):
    response = multipart.post(
        owner_client, step_url(draft_id, "requirements"), REQUIREMENTS,
        [
            dict(name="requirements-documents", filename="\udcff.pdf", content=pdf_bytes()),
            dict(name="requirements-documents", filename="good.pdf", content=pdf_bytes("good")),
        ],
    )

    assert document_errors(response) == [UNREADABLE]
    assert [item["name"] for item in load_draft(draft_id).files] == ["good.pdf"]
