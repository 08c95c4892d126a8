"""Step 2 ``requirements``: several files chosen together, some of them bad (issue 10 g). A bad
file never takes the good ones with it.

- Good and bad files chosen together: every good one is attached to the draft (stored once, under
  a generated name); each bad one is refused with its name and why, in the error summary and on
  the field; the step is shown again, with what was typed.
- Good files and another answer on the step that needs fixing: the files are attached all the same.
- The count and total-size limits refuse only the files that overflow, in the order chosen.
- A disguised executable among good files is never stored; nothing at all is stored when Redis
  is down or refuses the write; the draft keeps only the accepted files, and so does the project.

Real Redis, a real database and real files on disk throughout.
"""

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from projects.models import Project

from .conftest import PNG_BYTES, pdf_bytes, upload
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
from .reliability_helpers import UNAVAILABLE
from .support.browser import form_payload
from .test_reliability_redis import own_redis  # noqa: F401 (fixtures)
from .wizard_helpers import confirm, management, page_version, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db

ACCEPTED_TYPES = "PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG"
DISGUISED = "“invoice.pdf” does not contain what its name says: it is not a valid PDF file."


def names(files):
    return [item["name"] for item in files]


def stored_bytes(settings, files):
    return [(Path(settings.DRAFT_UPLOAD_ROOT) / item["tmp_name"]).read_bytes() for item in files]


def page_text(response):
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def mixed_upload(client, draft_id, **kwargs):
    """What users saw: a site plan chosen together with an executable renamed invoice.pdf."""
    return post_documents(
        client, draft_id, [upload("site-plan.pdf", pdf_bytes("plan")), upload("invoice.pdf", EXE_BYTES)], **kwargs
    )


# --- good and bad files chosen together -------------------------------------------------------------

def test_it_keeps_the_good_file_chosen_with_a_disguised_executable(owner_client, settings, draft_id):
    response = mixed_upload(owner_client, draft_id, notes="Typed notes <kept>")

    assert_refused_with(response, DISGUISED)
    # Labelled as on any page with a document attached: more are welcome, none is required.
    assert [text for _, text in summary_links(response)] == [f"Add documents: {DISGUISED}"]
    assert re.search(r'<label for="id_requirements-documents">Add documents <span class="optional">\(optional\)', response.content.decode())
    draft = load_draft(draft_id)
    assert names(draft.files) == ["site-plan.pdf"]
    assert stored_bytes(settings, draft.files) == [pdf_bytes("plan")]
    # The executable is nowhere on disk; the plan is there once, under a generated name.
    assert [Path(path).name for path in files_on_disk(settings.MEDIA_ROOT)] == [Path(draft.files[0]["tmp_name"]).name]
    assert GENERATED_NAME.match(Path(draft.files[0]["tmp_name"]).name)
    assert all(EXE_BYTES not in path.read_bytes() for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())
    # The page lists the plan as attached, says so, and keeps the typed notes.
    page = response.content.decode()
    assert re.search(r'<legend>Attached documents \(1\)</legend>.*site-plan\.pdf', page, re.S)
    assert "Typed notes &lt;kept&gt;</textarea>" in page
    assert "Attached “site-plan.pdf”." in page_text(response)
    # The step is not complete: the next one stays closed until the person continues.
    assert not draft.validation.get("requirements")


def test_it_continues_from_the_page_of_a_mixed_upload_without_choosing_the_good_file_again(owner_client, draft_id):
    response = mixed_upload(owner_client, draft_id)
    assert response.status_code == 200

    # "Save and continue" on that page as it is (its draft_version included), no file chosen.
    payload = form_payload(response.content.decode())
    response = owner_client.post(step_url(draft_id, "requirements"), payload)

    assert response.status_code == 302, summary_links(response)
    assert response["Location"] == step_url(draft_id, "sources")
    assert names(load_draft(draft_id).files) == ["site-plan.pdf"]
    assert load_draft(draft_id).validation["requirements"] is True


def test_it_names_each_refused_file_once_and_keeps_every_good_one_in_order(owner_client, settings, draft_id):
    files = [
        upload("good.pdf", pdf_bytes("good")),
        upload("virus.pdf", EXE_BYTES),
        upload("tool.exe", EXE_BYTES),
        upload("also-good.png", PNG_BYTES),
        upload("empty.pdf", b""),
        upload("last.txt", b"Last notes\n"),
    ]

    response = post_documents(owner_client, draft_id, files)

    assert_refused_with(
        response,
        "“virus.pdf” does not contain what its name says: it is not a valid PDF file.",
        f"“tool.exe” is not an accepted type. Upload {ACCEPTED_TYPES} files.",
        "“empty.pdf” is empty (0 bytes).",
    )
    assert len(summary_links(response)) == 3
    draft = load_draft(draft_id)
    assert names(draft.files) == ["good.pdf", "also-good.png", "last.txt"]
    assert stored_bytes(settings, draft.files) == [pdf_bytes("good"), PNG_BYTES, b"Last notes\n"]
    assert len(files_on_disk(settings.MEDIA_ROOT)) == 3


def test_it_keeps_good_files_when_another_answer_on_the_step_needs_fixing(owner_client, settings, draft_id):
    notes = "n" * 5001

    response = post_documents(owner_client, draft_id, [upload("spec.pdf", pdf_bytes("spec"))], notes=notes)

    assert response.status_code == 200
    assert [href for href, _ in summary_links(response)] == ["#id_requirements-requirements_notes"]
    assert f"{notes}</textarea>" in response.content.decode()
    draft = load_draft(draft_id)
    assert names(draft.files) == ["spec.pdf"]
    assert stored_bytes(settings, draft.files) == [pdf_bytes("spec")]
    assert not draft.validation.get("requirements")

    # Fixing the notes is all that is left to do.
    response = post_documents(owner_client, draft_id, [], notes="Shorter.")
    assert response.status_code == 302, summary_links(response)
    assert names(load_draft(draft_id).files) == ["spec.pdf"]


def test_it_keeps_the_good_files_when_going_back_from_a_mixed_upload(owner_client, draft_id):
    data = {
        "requirements-documents": [upload("site-plan.pdf", pdf_bytes("plan")), upload("invoice.pdf", EXE_BYTES)],
        "wizard_goto_step": "details",
        **management("requirements"),
    }

    response = owner_client.post(step_url(draft_id, "requirements"), data)

    assert response.status_code == 302
    assert names(load_draft(draft_id).files) == ["site-plan.pdf"]


# --- the limits, across the files chosen --------------------------------------------------------------

def test_it_refuses_only_the_files_over_the_count_limit_in_the_order_chosen(owner_client, settings, draft_id):
    settings.UPLOAD_MAX_FILES = 3
    [first] = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes("a")))

    response = post_documents(owner_client, draft_id, [upload(f"f{n}.pdf", pdf_bytes(f"f{n}")) for n in range(4)])

    over = "was not added: a project can have at most 3 documents. Remove one to make room for another."
    assert_refused_with(response, f"“f2.pdf” {over}", f"“f3.pdf” {over}")
    assert len(summary_links(response)) == 2
    draft = load_draft(draft_id)
    assert names(draft.files) == ["a.pdf", "f0.pdf", "f1.pdf"]
    assert draft.files[0] == first
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 3


def test_it_refuses_only_the_files_that_overflow_the_total_size(owner_client, settings, draft_id):
    size = len(pdf_bytes("aa"))
    settings.UPLOAD_MAX_DRAFT_SIZE = 2 * size
    big = pdf_bytes("b" * 40)

    response = post_documents(
        owner_client,
        draft_id,
        [upload("first.pdf", pdf_bytes("aa")), upload("big.pdf", big), upload("second.pdf", pdf_bytes("cc")), upload("third.pdf", pdf_bytes("dd"))],
    )

    assert_refused_with(
        response,
        f"“big.pdf” was not added: all documents together must be {2 * size} bytes or less, "
        f"and with it they would make {size + len(big)} bytes.",
        f"“third.pdf” was not added: all documents together must be {2 * size} bytes or less, "
        f"and with it they would make {3 * size} bytes.",
    )
    assert len(summary_links(response)) == 2
    assert names(load_draft(draft_id).files) == ["first.pdf", "second.pdf"]
    assert len(files_on_disk(settings.MEDIA_ROOT)) == 2


def test_it_counts_ticked_removals_when_it_makes_room(owner_client, settings, draft_id):
    settings.UPLOAD_MAX_FILES = 2
    first, second = attach(owner_client, draft_id, upload("a.pdf", pdf_bytes("a")), upload("b.pdf", pdf_bytes("b")))

    response = post_documents(
        owner_client, draft_id, [upload("c.pdf", pdf_bytes("c")), upload("invoice.pdf", EXE_BYTES)], remove=[first["id"]]
    )

    assert_refused_with(response, DISGUISED)
    assert len(summary_links(response)) == 1
    draft = load_draft(draft_id)
    assert names(draft.files) == ["b.pdf", "c.pdf"]
    assert draft.files[0] == second
    # The removed file is gone from the disk too, once the response is complete.
    assert not (Path(settings.DRAFT_UPLOAD_ROOT) / first["tmp_name"]).exists()
    assert len(files_on_disk(draft_folder(settings, draft_id))) == 2


# --- what is stored, and when nothing is -----------------------------------------------------------------

def test_it_never_stores_a_disguised_executable_chosen_among_good_files(owner_client, settings, draft_id):
    response = post_documents(
        owner_client,
        draft_id,
        [upload("a.pdf", pdf_bytes("a")), upload("invoice.pdf", EXE_BYTES), upload("b.png", PNG_BYTES)],
    )

    assert_refused_with(response, DISGUISED)
    files = load_draft(draft_id).files
    assert names(files) == ["a.pdf", "b.png"]
    assert [item["content_type"] for item in files] == ["application/pdf", "image/png"]
    on_disk = [path.read_bytes() for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert sorted(on_disk) == sorted([pdf_bytes("a"), PNG_BYTES])
    # Nor can it be downloaded: no draft file serves it.
    for item in files:
        response = owner_client.get(reverse("projects:draft_file", args=[draft_id, item["id"]]))
        assert EXE_BYTES not in b"".join(response.streaming_content)


def test_it_stores_nothing_of_a_mixed_upload_while_redis_is_down(owner_client, own_redis, settings):  # noqa: F811
    draft_id = start_draft(owner_client)
    own_redis.stop()

    response = mixed_upload(owner_client, draft_id, notes="Typed while Redis was down")

    assert response.status_code == 503
    assert UNAVAILABLE in page_text(response)
    assert form_payload(response.content.decode())["requirements-requirements_notes"] == ["Typed while Redis was down"]
    assert files_on_disk(settings.MEDIA_ROOT) == []
    own_redis.start()
    assert load_draft(draft_id).files == []


def test_it_stores_nothing_of_a_mixed_upload_when_redis_refuses_the_write(owner_client, own_redis, settings):  # noqa: F811
    # After a failover the old primary is read-only: the draft is read, the files are written,
    # then the draft's save fails. The files written are removed again.
    draft_id = start_draft(owner_client)
    with own_redis.client() as direct:
        direct.replicaof("127.0.0.1", "1")
        try:
            response = mixed_upload(owner_client, draft_id)
        finally:
            direct.replicaof("NO", "ONE")

    assert response.status_code == 503
    assert "Files you selected will need to be chosen again." in page_text(response)
    assert files_on_disk(settings.MEDIA_ROOT) == []
    assert load_draft(draft_id).files == []


def test_it_creates_the_project_with_only_the_accepted_files(owner_client, settings, draft_id):
    mixed_upload(owner_client, draft_id)
    response = post_documents(owner_client, draft_id, [])
    assert response.status_code == 302, summary_links(response)
    response = owner_client.post(step_url(draft_id, "sources"), sources_post())
    assert response.status_code == 302, response.content.decode()[:2000]

    response = confirm(owner_client, draft_id)

    assert response.status_code == 302
    project = Project.objects.get(draft_id=draft_id)
    assert [(doc.original_name, doc.file.read()) for doc in project.documents.all()] == [("site-plan.pdf", pdf_bytes("plan"))]


# --- with JavaScript: autosave sends no files, and carries on after a mixed upload ------------------

def test_it_autosaves_the_notes_on_the_page_of_a_mixed_upload(owner_client, draft_id):
    response = mixed_upload(owner_client, draft_id)
    version = page_version(response)

    response = owner_client.post(
        reverse("projects:autosave", kwargs={"draft_id": draft_id, "step": "requirements"}),
        {"requirements-requirements_notes": "Typed after the upload", "draft_version": version, **management("requirements")},
    )

    assert response.status_code == 200, response.content.decode()[:2000]
    draft = load_draft(draft_id)
    assert draft.pending["requirements"]["data"] == {"requirements-requirements_notes": ["Typed after the upload"]}
    assert names(draft.files) == ["site-plan.pdf"]
    page = owner_client.get(step_url(draft_id, "requirements")).content.decode()
    assert "Typed after the upload</textarea>" in page and "site-plan.pdf" in page
