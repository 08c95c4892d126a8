"""Attack-style requests on the staff pages: out-of-range page numbers on the drafts admin
(L1), and the admin's project document download for people who aren't staff (L2)."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from ..admin_helpers import LIST_URL, bulk_drafts, logged_in, paginator, staff
from ..admin_helpers import day_long_drafts, non_staff, staff_viewer, superuser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["184467440737095518", "9" * 40, "-3", "x", "0", "1e9", "4"])
def test_it_shows_the_last_page_for_a_page_number_out_of_range(staff_viewer, frozen_clock, caplog, page):
    bulk_drafts(3, "u:999", frozen_clock)
    with caplog.at_level(logging.WARNING):
        response = logged_in(staff_viewer).get(LIST_URL, {"p": page})
    assert response.status_code == 200
    assert paginator(response) == (3, 1, 1)
    assert "Bulk 00" in response.content.decode()
    assert "unavailable" not in caplog.text


@pytest.fixture
def document_url(owner, pdf):
    from ..test_admin_projects import commit_project

    project = commit_project(owner, [pdf("brief.pdf")])
    return reverse("admin:projects_project_document", args=[project.pk, project.documents.get().pk])


def test_it_sends_anonymous_visitors_and_customers_to_the_admin_login_for_a_document(document_url, owner, non_staff):
    for client in (Client(), logged_in(owner), logged_in(non_staff)):
        response = client.get(document_url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_refuses_a_document_to_staff_who_may_not_view_projects(document_url, superuser):
    assert logged_in(staff("staff_nobody")).get(document_url).status_code == 403
    response = logged_in(superuser).get(document_url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
