"""Total upload bytes per owner (M2, item 2): all the documents of one browser's (or account's)
live drafts together stay within UPLOAD_MAX_OWNER_ANONYMOUS / UPLOAD_MAX_OWNER_USER. A file
past it is refused on step 2 with a field error, before it is stored; the others are kept. The
count comes with the draft's load (no extra round trip). Sizes scaled down from the defaults."""

import pytest
from django.urls import reverse

from ..cleanup_helpers import cleanup, past_their_expiry
from ..conftest import pdf_bytes, upload
from ..test_uploads_edge import document_errors, files_under
from ..wizard_helpers import expire_for_real, management, start_draft, step_url, stored

pytestmark = pytest.mark.django_db


def pdf_of(name, size):
    body = pdf_bytes(name)
    return upload(name, body + b"%" * (size - len(body) - 1) + b"\n", "application/pdf")


def attach(client, draft_id, *files):
    return client.post(step_url(draft_id, "requirements"), {"requirements-documents": list(files), **management("requirements")})


@pytest.fixture
def small_quota(settings):
    settings.UPLOAD_MAX_OWNER_ANONYMOUS = 1000
    settings.UPLOAD_MAX_OWNER_USER = 2000


def test_the_defaults_are_100_mib_a_browser_and_500_mib_an_account(settings):
    assert (settings.UPLOAD_MAX_OWNER_ANONYMOUS, settings.UPLOAD_MAX_OWNER_USER) == (100 * 2**20, 500 * 2**20)


def test_it_refuses_a_file_past_the_owners_total_across_drafts(anonymous, small_quota, settings):
    first, second = start_draft(anonymous), start_draft(anonymous)
    assert attach(anonymous, first, pdf_of("a.pdf", 400), pdf_of("b.pdf", 400)).status_code == 302
    on_disk = files_under(settings.MEDIA_ROOT)

    response = attach(anonymous, second, pdf_of("c.pdf", 150), pdf_of("big.pdf", 400))

    assert response.status_code == 200
    assert document_errors(response) == [
        "“big.pdf” was not added: the documents of all your drafts together must be 1000 bytes or less, "
        "and with it they would make 1.3 KB. Discard a draft you no longer need, or remove some of its "
        "documents, to make room."
    ]
    assert [item["name"] for item in stored(second).files] == ["c.pdf"]  # the one that fits is kept
    assert len(files_under(settings.MEDIA_ROOT)) == len(on_disk) + 1  # big.pdf never reached the disk


@pytest.mark.parametrize("cleaned_up", [False, True], ids=["before cleanup", "after cleanup"])
def test_discarded_and_expired_drafts_free_their_room(anonymous, small_quota, drafts_redis, cleaned_up):
    """Cleanup leaves an expired draft's bytes in its owner's uploads hash until the owner's
    drafts are next listed: they must not count meanwhile."""
    first, second, third = start_draft(anonymous), start_draft(anonymous), start_draft(anonymous)
    assert attach(anonymous, first, pdf_of("a.pdf", 900)).status_code == 302
    assert attach(anonymous, second, pdf_of("b.pdf", 900)).status_code == 200

    assert anonymous.post(f"/projects/new/{first}/discard/").status_code == 302
    assert attach(anonymous, second, pdf_of("b.pdf", 900)).status_code == 302

    expire_for_real(drafts_redis, second)
    if cleaned_up:
        past_their_expiry()
        assert "expired 1 drafts" in cleanup()[0]
    assert attach(anonymous, third, pdf_of("c.pdf", 900)).status_code == 302


def test_each_owner_has_its_own_total(signed_in, anonymous, small_quota):
    mine = start_draft(signed_in)
    assert attach(signed_in, mine, pdf_of("a.pdf", 900), pdf_of("b.pdf", 900)).status_code == 302
    theirs = start_draft(anonymous)
    assert attach(anonymous, theirs, pdf_of("c.pdf", 900)).status_code == 302
    assert document_errors(attach(signed_in, start_draft(signed_in), pdf_of("d.pdf", 900)))[0].startswith(
        "“d.pdf” was not added: the documents of all your drafts together must be 2.0 KB or less"
    )


def test_a_file_chosen_on_its_own_counts_against_the_same_total(anonymous, small_quota, settings):
    """The one-by-one upload (JavaScript's pattern) is held to the owner's total too."""
    first, second = start_draft(anonymous), start_draft(anonymous)
    assert attach(anonymous, first, pdf_of("a.pdf", 900)).status_code == 302
    on_disk = files_under(settings.MEDIA_ROOT)

    response = anonymous.post(
        reverse("projects:draft_document_upload", args=[second]),
        {"requirements-documents": pdf_of("big.pdf", 400), "draft_version": stored(second).revision},
    )

    assert response.status_code == 400, response.content
    assert "the documents of all your drafts together must be 1000\u00a0bytes or less" in response.json()["error"]["message"]
    assert stored(second).files == []
    assert files_under(settings.MEDIA_ROOT) == on_disk


def test_restoring_a_discarded_draft_is_held_to_the_owners_total(anonymous, small_quota):
    # Discarding frees room; restoring must not bring its documents back past the total (else
    # discard, fill, restore, repeat: as many bytes as one likes).
    first, second = start_draft(anonymous), start_draft(anonymous)
    assert attach(anonymous, first, pdf_of("a.pdf", 900)).status_code == 302
    assert anonymous.post(f"/projects/new/{first}/discard/").status_code == 302
    assert attach(anonymous, second, pdf_of("b.pdf", 900)).status_code == 302

    response = anonymous.post(reverse("projects:draft_restore", args=[first]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("projects:drafts")
    assert "documents of all your drafts together must be 1000 bytes or less" in response.content.decode().replace("\xa0", " ")
    assert anonymous.get(step_url(first, "details")).status_code == 410  # still discarded, restorable


def hgetall_calls(drafts_redis):
    return drafts_redis.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0)


def test_only_a_write_that_adds_a_file_reads_the_owners_total(anonymous, small_quota, drafts_redis):
    """Issue 14: the load sums uploads:<owner> only for a step-2 submit and a file attached on its
    own; every other read of the draft (each page, each other submit) skips that work."""
    draft_id = start_draft(anonymous)
    assert attach(anonymous, draft_id, pdf_of("a.pdf", 400)).status_code == 302
    sources = {"sources-connector_count": "0", **management("sources")}

    before = hgetall_calls(drafts_redis)
    for step in ("details", "requirements", "sources"):
        assert anonymous.get(step_url(draft_id, step)).status_code == 200
    assert anonymous.post(step_url(draft_id, "sources"), sources).status_code in (200, 302)
    assert hgetall_calls(drafts_redis) == before

    assert attach(anonymous, draft_id, pdf_of("b.pdf", 400)).status_code == 302
    assert hgetall_calls(drafts_redis) == before + 1
    anonymous.post(
        reverse("projects:draft_document_upload", args=[draft_id]),
        {"requirements-documents": pdf_of("c.pdf", 100), "draft_version": stored(draft_id).revision},
    )
    assert hgetall_calls(drafts_redis) == before + 2
