"""The Project admin: projects listed with their owner, searched and filtered, and shown with their
documents and connectors inline (documents and the draft id read-only). Projects are committed
through the wizard; the users and helpers are in admin_helpers.py.
"""

import re

import pytest

from projects.models import Project

from .admin_helpers import CONNECTORS, attach, browser, logged_in, text
from .admin_helpers import day_long_drafts, superuser  # noqa: F401 (fixtures)
from .wizard_helpers import confirm, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db


# --- the project admin ------------------------------------------------------------------------------

PROJECTS_URL = "/admin/projects/project/"


def commit_project(user, documents, ai=True, connectors=CONNECTORS[:1], **details):
    client = browser(user)
    draft_id = start_draft(client, **details)
    attach(client, draft_id, *documents)
    response = client.post(step_url(draft_id, "sources"), sources_post(ai=ai, connectors=connectors))
    assert response["Location"] == step_url(draft_id, "review")
    response = confirm(client, draft_id)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Project.objects.get(draft_id=draft_id)


@pytest.fixture
def projects(owner, other_user, pdf):
    harbour = commit_project(owner, [pdf("brief.pdf")], connectors=CONNECTORS)
    riverside = commit_project(
        other_user,
        [pdf("school.pdf")],
        ai=False,
        connectors=(),
        project_name="Riverside School Extension",
        building_type="education",
        priority="low",
        client_name="Northfield Council",
        client_email="Estates.Team@Northfield.example",
    )
    return harbour, riverside


def project_names(response):
    assert response.status_code == 200
    return [text(name) for name in re.findall(r'<th class="field-project_name"><a [^>]*>(.*?)</a>', response.content.decode())]


def test_it_lists_projects_with_their_owner(superuser, projects):
    response = logged_in(superuser).get(PROJECTS_URL)

    assert sorted(project_names(response)) == ["Harbour Office Retrofit", "Riverside School Extension"]
    owners = [text(cell) for cell in re.findall(r'<td class="field-owner[^"]*">(.*?)</td>', response.content.decode())]
    assert sorted(owners) == ["other", "owner"]


def test_it_searches_projects_by_name_client_email_draft_id_and_owner(superuser, projects):
    harbour, riverside = projects
    client = logged_in(superuser)

    assert project_names(client.get(PROJECTS_URL, {"q": "riverside"})) == [riverside.project_name]
    assert project_names(client.get(PROJECTS_URL, {"q": "office retrofit"})) == [harbour.project_name]
    assert project_names(client.get(PROJECTS_URL, {"q": "facilities@harbour.example"})) == [harbour.project_name]
    assert project_names(client.get(PROJECTS_URL, {"q": "estates.team@northfield"})) == [riverside.project_name]
    assert project_names(client.get(PROJECTS_URL, {"q": str(riverside.draft_id)})) == [riverside.project_name]
    assert project_names(client.get(PROJECTS_URL, {"q": "other"})) == [riverside.project_name]  # owner's username
    assert project_names(client.get(PROJECTS_URL, {"q": "nothing like this"})) == []


def test_it_filters_projects(superuser, projects):
    harbour, riverside = projects
    client = logged_in(superuser)

    assert project_names(client.get(PROJECTS_URL, {"building_type__exact": "education"})) == [riverside.project_name]
    assert project_names(client.get(PROJECTS_URL, {"building_type__exact": "commercial"})) == [harbour.project_name]
    assert project_names(client.get(PROJECTS_URL, {"priority__exact": "high"})) == [harbour.project_name]
    assert project_names(client.get(PROJECTS_URL, {"ai_sourcing_enabled__exact": "1"})) == [harbour.project_name]
    assert project_names(client.get(PROJECTS_URL, {"ai_sourcing_enabled__exact": "0"})) == [riverside.project_name]
    assert project_names(client.get(PROJECTS_URL, {"priority__exact": "low", "building_type__exact": "commercial"})) == []
    year = harbour.created_at.year
    assert len(project_names(client.get(PROJECTS_URL, {"created_at__year": year}))) == 2


def test_it_shows_documents_and_connectors_inline_and_draft_id_read_only(superuser, projects):
    harbour, _ = projects

    response = logged_in(superuser).get(f"{PROJECTS_URL}{harbour.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="documents-group"' in content
    assert 'id="connectors-group"' in content
    assert re.search(r'<td class="field-original_name">\s*<p>brief.pdf</p>', content)
    assert re.search(r'<td class="field-content_type">\s*<p>application/pdf</p>', content)
    assert 'name="documents-0-original_name"' not in content  # documents are read-only
    for index, (kind, target) in enumerate(CONNECTORS):
        assert re.search(rf'name="connectors-{index}-target"[^>]*value="{re.escape(target)}"', content) or re.search(
            rf'value="{re.escape(target)}"[^>]*name="connectors-{index}-target"', content
        ), target
        assert re.search(
            rf'<select name="connectors-{index}-connector_type".*?<option value="{kind}" selected>', content, re.S
        ), kind
    assert 'name="draft_id"' not in content
    assert re.search(
        rf'<div class="readonly">{harbour.draft_id}</div>', content
    ), "draft_id is not shown read-only"
    assert 'name="project_name"' in content  # the project itself stays editable
