import pytest

from projects.models import Project

from .wizard_helpers import complete_until_review, confirm

pytestmark = pytest.mark.django_db


def test_it_creates_a_project(owner_client, pdf):
    draft_id = complete_until_review(owner_client, [pdf()])
    response = confirm(owner_client, draft_id)
    assert response.status_code == 302
    project = Project.objects.get()
    assert response["Location"] == project.get_absolute_url()
    assert project.documents.count() == 1
