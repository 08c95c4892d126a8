"""Step 2 ``requirements``: real files through the test client, on real storage and a real Redis.

Accepted types, files whose name lies about their content, the size and count limits, hostile
and non-ASCII names, several files per POST, removing and adding, downloads of draft files, and
what the final commit does with the temporary files.
"""

import html
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Project
from sessions_store.store import get_draft_store

from .conftest import JPEG_BYTES, PNG_BYTES, office_bytes, pdf_bytes, upload
from .wizard_helpers import complete_until_review, confirm, management, start_draft, step_url

pytestmark = pytest.mark.django_db

ACCEPTED_TYPES = "PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
GENERATED_NAME = re.compile(r"^[0-9a-f]{12}\.[a-z]+$")


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


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


# --- refused files ----------------------------------------------------------------------------------

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
    assert files_on_disk(settings.MEDIA_ROOT) == []


def test_it_names_every_refused_file_and_keeps_none_of_the_post(owner_client, settings, draft_id):
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
    assert load_draft(draft_id).files == []
    assert files_on_disk(settings.MEDIA_ROOT) == []


# --- limits -------------------------------------------------------------------------------------------

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
    assert load_draft(draft_id).files == []
    assert files_on_disk(settings.MEDIA_ROOT) == []


def test_it_refuses_files_over_the_total_for_one_draft_in_one_post(owner_client, settings, draft_id):
    size = len(pdf_bytes())
    settings.UPLOAD_MAX_DRAFT_SIZE = 2 * size

    response = post_documents(owner_client, draft_id, [upload(f"part{n}.pdf", pdf_bytes()) for n in range(3)])

    assert response.status_code == 200
    [(href, text)] = summary_links(response)
    assert href == "#id_requirements-documents"
    assert f"All documents together must be {2 * size} bytes or less; this would make {3 * size} bytes." in text
    assert load_draft(draft_id).files == []
    assert files_on_disk(settings.MEDIA_ROOT) == []

    response = post_documents(owner_client, draft_id, [upload(f"part{n}.pdf", pdf_bytes()) for n in range(2)])
    assert response.status_code == 302, summary_links(response)
    assert [item["name"] for item in load_draft(draft_id).files] == ["part0.pdf", "part1.pdf"]


def test_it_counts_attached_files_in_the_total_for_one_draft(owner_client, settings, draft_id):
    size = len(pdf_bytes())
    settings.UPLOAD_MAX_DRAFT_SIZE = 2 * size
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes()), upload("b.pdf", pdf_bytes()))

    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())])

    assert response.status_code == 200
    assert any("All documents together must be" in text for _, text in summary_links(response))
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
        "A project can have at most 3 documents; this would make 4. Remove some first."
    ]
    assert load_draft(draft_id).files == []
    assert files_on_disk(settings.MEDIA_ROOT) == []

    assert len(attach(owner_client, draft_id, *[upload(f"f{n}.pdf", pdf_bytes()) for n in range(3)])) == 3


def test_it_counts_attached_files_in_the_file_limit(owner_client, settings, draft_id):
    settings.UPLOAD_MAX_FILES = 2
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes()), upload("b.txt", b"notes"))

    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())])

    assert response.status_code == 200
    assert any(
        text.endswith("A project can have at most 2 documents; this would make 3. Remove some first.")
        for _, text in summary_links(response)
    )
    assert load_draft(draft_id).files == [first, second]

    response = post_documents(owner_client, draft_id, [upload("c.pdf", pdf_bytes())], remove=[second["id"]])
    assert response.status_code == 302, summary_links(response)
    assert [item["name"] for item in load_draft(draft_id).files] == ["a.pdf", "c.pdf"]


# One over the limit, and several over (formerly a bare "Bad Request (400)" past UPLOAD_MAX_FILES + 5).
@pytest.mark.parametrize("over", [1, 6], ids=["one too many", "several too many"])
def test_it_refuses_too_many_files_with_a_message_on_the_step_page(owner_client, settings, draft_id, over):
    count = settings.UPLOAD_MAX_FILES + over
    response = post_documents(owner_client, draft_id, [upload(f"f{n}.txt", b"x") for n in range(count)])

    assert_refused_with(
        response,
        f"A project can have at most {settings.UPLOAD_MAX_FILES} documents; this would make {count}. Remove some first.",
    )
    assert load_draft(draft_id).files == []


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


# --- names --------------------------------------------------------------------------------------------

def raw_multipart_post(client, url, fields, files):
    """POST multipart data as written, so that file names are sent unchanged (the test client
    would strip the directories from them, as most but not all browsers do)."""
    boundary = "----wizardtestboundary7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, filename, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return client.post(url, b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}")


def test_it_stores_a_path_traversal_name_inside_the_draft_folder(owner_client, settings, tmp_path, draft_id):
    names = ["../../etc/passwd.pdf", "..\\..\\x.pdf", "../../../../../../tmp/evil.pdf", "C:\\Users\\me\\spec.pdf"]
    response = raw_multipart_post(
        owner_client,
        step_url(draft_id, "requirements"),
        management("requirements"),
        [("requirements-documents", name, pdf_bytes(name)) for name in names],
    )

    assert response.status_code == 302, summary_links(response)
    files = load_draft(draft_id).files
    assert [item["name"] for item in files] == ["passwd.pdf", "x.pdf", "evil.pdf", "spec.pdf"]
    folder = draft_folder(settings, draft_id)
    for item, name in zip(files, names):
        stored = (Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]).resolve()
        assert stored.parent == folder.resolve()
        assert GENERATED_NAME.match(stored.name)
        assert stored.read_bytes() == pdf_bytes(name)
    # Nothing anywhere else under the test's directory, nor in the real /tmp.
    everything = files_on_disk(tmp_path)
    assert all(path.startswith(str(folder.relative_to(tmp_path)) + "/") for path in everything), everything
    assert len(everything) == 4
    assert not Path("/tmp/evil.pdf").exists()

    page = owner_client.get(step_url(draft_id, "requirements")).content.decode()
    for item in files:
        assert f'<a href="{draft_file_url(draft_id, item["id"])}">{item["name"]}</a>' in page
    assert "../" not in page.split('class="file-list"', 1)[1].split("</ul>", 1)[0]


def test_it_shows_a_hostile_name_safely(owner_client, settings, draft_id):
    long_stem = "a" * 300
    response = raw_multipart_post(
        owner_client,
        step_url(draft_id, "requirements"),
        management("requirements"),
        [
            ("requirements-documents", "<img src=x onerror=alert(1)>.pdf", pdf_bytes()),
            ("requirements-documents", f"{long_stem}.PDF", pdf_bytes()),
        ],
    )

    assert response.status_code == 302, summary_links(response)
    hostile, long = load_draft(draft_id).files
    assert hostile["name"] == "<img src=x onerror=alert(1)>.pdf"
    assert len(long["name"]) == 150 and long["name"].endswith(".pdf")
    page = owner_client.get(step_url(draft_id, "requirements")).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in page
    assert "<img src=x" not in page
    download = owner_client.get(draft_file_url(draft_id, long["id"]))
    assert download["Content-Disposition"] == f'attachment; filename="{long["name"]}"'


def test_it_keeps_a_non_ascii_name_for_display_and_download(owner_client, settings, draft_id):
    name = "Plan d'étage 東京.pdf"
    [item] = attach(owner_client, draft_id, upload(name, pdf_bytes("étage")))

    assert item["name"] == name
    assert item["tmp_name"].isascii()
    page = owner_client.get(step_url(draft_id, "requirements")).content.decode()
    assert "Plan d&#x27;étage 東京.pdf</a>" in page

    response = owner_client.get(draft_file_url(draft_id, item["id"]))
    assert response.status_code == 200
    assert body(response) == pdf_bytes("étage")
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Plan%20d%27%C3%A9tage%20%E6%9D%B1%E4%BA%AC.pdf"
    )


def test_it_normalises_a_decomposed_name(owner_client, draft_id):
    decomposed = unicodedata.normalize("NFD", "Résumé.pdf")
    assert decomposed != "Résumé.pdf"

    [item] = attach(owner_client, draft_id, upload(decomposed, pdf_bytes()))

    assert item["name"] == "Résumé.pdf"


# --- several files, coming back, removing, adding -------------------------------------------------------

def test_it_keeps_every_file_of_one_post(owner_client, settings, draft_id):
    uploads = [
        ("spec.pdf", pdf_bytes("one")),
        ("brief.docx", office_bytes("docx")),
        ("budget.xlsx", office_bytes("xlsx")),
        ("rooms.csv", b"room,area\n"),
        ("site.jpg", JPEG_BYTES),
    ]

    files = attach(owner_client, draft_id, *[upload(name, content) for name, content in uploads])

    assert [item["name"] for item in files] == [name for name, _ in uploads]
    assert len({item["id"] for item in files}) == 5
    for item, (_, content) in zip(files, uploads):
        assert (Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]).read_bytes() == content
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 5


def test_it_lists_the_attached_files_when_coming_back(owner_client, draft_id):
    files = attach(owner_client, draft_id, upload("spec.pdf", pdf_bytes()), upload("plan.png", PNG_BYTES))

    response = owner_client.get(step_url(draft_id, "requirements"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Attached documents (2)" in page
    for item in files:
        assert f'<a href="{draft_file_url(draft_id, item["id"])}">{item["name"]}</a>' in page
        assert f'name="requirements-remove" value="{item["id"]}"' in page
    # Nothing new has to be chosen to continue.
    response = post_documents(owner_client, draft_id, [])
    assert response.status_code == 302
    assert load_draft(draft_id).files == files


def test_it_removes_a_ticked_file_from_the_draft_and_the_disk(owner_client, settings, draft_id):
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes("a")), upload("b.pdf", pdf_bytes("b")))
    first_path = Path(settings.DRAFT_UPLOAD_ROOT) / first["tmp_name"]
    assert first_path.exists()

    response = post_documents(owner_client, draft_id, [], remove=[first["id"]])

    assert response.status_code == 302, summary_links(response)
    assert load_draft(draft_id).files == [second]
    assert not first_path.exists()
    assert (Path(settings.DRAFT_UPLOAD_ROOT) / second["tmp_name"]).read_bytes() == pdf_bytes("b")
    assert owner_client.get(draft_file_url(draft_id, first["id"])).status_code == 404
    page = owner_client.get(step_url(draft_id, "requirements")).content.decode()
    assert "a.pdf" not in page and "b.pdf" in page


def test_it_adds_files_to_those_already_attached(owner_client, settings, draft_id):
    [first] = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes("a")))

    files = attach(owner_client, draft_id, upload("b.txt", b"b"), upload("c.png", PNG_BYTES))

    assert files[0] == first
    assert [item["name"] for item in files] == ["a.pdf", "b.txt", "c.png"]
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 3


def test_it_stores_nothing_new_when_a_post_is_refused(owner_client, settings, draft_id):
    [kept] = attach(owner_client, draft_id, upload("kept.pdf", pdf_bytes("kept")))
    owner_client.get(step_url(draft_id, "requirements"))
    before = load_draft(draft_id)
    disk_before = files_on_disk(settings.MEDIA_ROOT)

    response = post_documents(
        owner_client, draft_id, [upload("new.pdf", pdf_bytes("new")), upload("bad.pdf", EXE_BYTES)], remove=[kept["id"]]
    )

    assert response.status_code == 200
    after = load_draft(draft_id)
    assert after.files == before.files == [kept]
    assert after.wizard == before.wizard
    assert after.version == before.version
    assert files_on_disk(settings.MEDIA_ROOT) == disk_before
    assert (Path(settings.DRAFT_UPLOAD_ROOT) / kept["tmp_name"]).read_bytes() == pdf_bytes("kept")


def test_it_links_a_stale_remove_to_the_attached_files(owner_client, settings, draft_id):
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes("a")), upload("b.pdf", pdf_bytes("b")))
    post_documents(owner_client, draft_id, [], remove=[first["id"]])  # removed in another tab

    response = post_documents(owner_client, draft_id, [], remove=[first["id"]])

    assert response.status_code == 200
    assert [href for href, _ in summary_links(response)] == ["#id_requirements-remove"]


def test_it_refuses_removing_a_file_that_is_not_attached(owner_client, settings, draft_id):
    [item] = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes()))

    response = post_documents(owner_client, draft_id, [], remove=["../../etc/passwd"])

    assert response.status_code == 200
    assert len(summary_links(response)) == 1
    assert load_draft(draft_id).files == [item]
    assert (Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]).exists()


# --- downloads of draft files ----------------------------------------------------------------------------

def test_it_lets_the_owner_download_a_draft_file(owner_client, draft_id):
    [item] = attach(owner_client, draft_id, upload("spec.pdf", pdf_bytes("download me")))

    response = owner_client.get(draft_file_url(draft_id, item["id"]))

    assert response.status_code == 200
    assert body(response) == pdf_bytes("download me")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="spec.pdf"'


def test_it_hides_a_draft_file_from_anyone_else(owner_client, other_user, draft_id):
    [item] = attach(owner_client, draft_id, upload("spec.pdf", pdf_bytes()))
    url = draft_file_url(draft_id, item["id"])

    other = Client()
    other.force_login(other_user)
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert owner_client.get(draft_file_url(draft_id, "0123456789ab")).status_code == 404
    assert owner_client.get(url).status_code == 200


def test_it_binds_an_anonymous_draft_file_to_its_browser(client, pdf):
    draft_id = start_draft(client)
    [item] = attach(client, draft_id, pdf())
    url = draft_file_url(draft_id, item["id"])

    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404
    assert client.get(url, HTTP_USER_AGENT="Another browser/1.0").status_code == 404


def test_it_does_not_serve_a_file_of_another_draft(owner_client, draft_id):
    [item] = attach(owner_client, draft_id, upload("spec.pdf", pdf_bytes()))
    other_draft = start_draft(owner_client)

    assert owner_client.get(draft_file_url(other_draft, item["id"])).status_code == 404


# --- the commit ----------------------------------------------------------------------------------------

def test_it_moves_documents_to_permanent_storage_on_commit(owner_client, settings, other_user):
    uploads = [("Plan d'étage 東京.pdf", pdf_bytes("plan")), ("budget.xlsx", office_bytes("xlsx")), ("site.jpg", JPEG_BYTES)]
    draft_id = complete_until_review(owner_client, [upload(name, content) for name, content in uploads])
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 3

    response = confirm(owner_client, draft_id)

    assert response.status_code == 302
    project = Project.objects.get(draft_id=draft_id)
    documents = list(project.documents.all())
    assert [(d.original_name, d.size) for d in documents] == [(n, len(c)) for n, c in uploads]
    for document, (_, content) in zip(documents, uploads):
        path = Path(document.file.path)
        assert path.is_relative_to(Path(settings.MEDIA_ROOT) / "projects" / str(project.pk))
        assert not path.is_relative_to(Path(settings.DRAFT_UPLOAD_ROOT))
        assert path.read_bytes() == content
    assert not draft_folder(settings, draft_id).exists()
    assert not Path(settings.DRAFT_UPLOAD_ROOT).exists() or files_on_disk(settings.DRAFT_UPLOAD_ROOT) == []

    first, second, _ = documents
    response = owner_client.get(reverse("projects:document", args=[project.pk, first.pk]))
    assert response.status_code == 200
    assert body(response) == pdf_bytes("plan")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Plan%20d%27%C3%A9tage%20%E6%9D%B1%E4%BA%AC.pdf"
    response = owner_client.get(reverse("projects:document", args=[project.pk, second.pk]))
    assert body(response) == uploads[1][1]
    assert response["Content-Disposition"] == 'attachment; filename="budget.xlsx"'

    other = Client()
    other.force_login(other_user)
    assert other.get(reverse("projects:document", args=[project.pk, first.pk])).status_code == 404
    assert other.get(project.get_absolute_url()).status_code == 404


def test_it_no_longer_serves_draft_files_after_the_commit(owner_client, pdf):
    draft_id = complete_until_review(owner_client, [pdf()])
    [item] = load_draft(draft_id).files

    assert confirm(owner_client, draft_id).status_code == 302

    assert owner_client.get(draft_file_url(draft_id, item["id"])).status_code == 404


def test_it_serves_a_document_only_under_its_own_project(owner_client, pdf):
    first_draft = complete_until_review(owner_client, [pdf("one.pdf")])
    confirm(owner_client, first_draft)
    second_draft = complete_until_review(owner_client, [pdf("two.pdf")])
    confirm(owner_client, second_draft)
    one = Project.objects.get(draft_id=first_draft)
    two = Project.objects.get(draft_id=second_draft)

    document = one.documents.get()
    assert owner_client.get(reverse("projects:document", args=[one.pk, document.pk])).status_code == 200
    assert owner_client.get(reverse("projects:document", args=[two.pk, document.pk])).status_code == 404
