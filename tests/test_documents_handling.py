"""Step 2 ``requirements``: what becomes of the files, with real files through the test client, on
real storage and a real Redis. Hostile and non-ASCII names, several files per POST, coming back,
removing and adding, downloads of draft files, and what the final commit does with the temporary
files.
"""

import unicodedata
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Project

from .conftest import JPEG_BYTES, PNG_BYTES, office_bytes, pdf_bytes, upload
from .documents_helpers import (
    EXE_BYTES,
    GENERATED_NAME,
    attach,
    body,
    draft_file_url,
    draft_folder,
    files_on_disk,
    load_draft,
    post_documents,
    summary_links,
)
from .documents_helpers import draft_id  # noqa: F401 (fixtures)
from .wizard_helpers import complete_until_review, confirm, management, start_draft, step_url

pytestmark = pytest.mark.django_db


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

    # Every file chosen is refused, and removing the only document would leave none.
    response = post_documents(
        owner_client, draft_id, [upload("bad.pdf", EXE_BYTES), upload("tool.exe", EXE_BYTES)], remove=[kept["id"]]
    )

    assert response.status_code == 200
    after = load_draft(draft_id)
    assert after.files == before.files == [kept]
    assert after.wizard == before.wizard
    assert after.writes == before.writes
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
