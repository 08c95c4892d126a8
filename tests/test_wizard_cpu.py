"""CPU per wizard (issue 14): the levers that make each page cheaper render exactly what they did.

Speed itself is measured by bench/stock_compare.py and bench/wizard_cpu.py, never here.
"""

import difflib
import re

import pytest
from django.forms.renderers import DjangoTemplates
from django.template import engines

from projects.forms import STEPS
from projects.renderers import FormRenderer
from sessions_store.files import draft_file_storage

from .conftest import pdf_bytes, upload
from .wizard_helpers import complete_until_review, details_post, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script>&amp; \'x\''
# What differs between two renders of one page anyway: the CSRF token, the sliding expiry.
PER_REQUEST = re.compile(
    r'name="csrfmiddlewaretoken" value="[^"]*"|name="shown_at" value="[^"]*"|<span id="draft-expires-in">[^<]*</span>'
    r"|\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d|\d\d:\d\d [A-Z]{3,5}\b"
)


def page(response):
    return PER_REQUEST.sub("", response.content.decode())


def differences(one, other):
    return "\n".join(difflib.unified_diff(one.splitlines(), other.splitlines(), lineterm="", n=0))


def widget_html(form):
    """Every widget the step page renders: each field, each radio or checkbox option, each
    connector row's fields."""
    fields = [*form, *(field for row in getattr(form, "connectors", None) or [] for field in row)]
    html = [str(field) for field in fields]
    html += [str(choice.tag()) for field in fields if getattr(field.field.widget, "input_type", None) in ("radio", "checkbox") for choice in field]
    return html


def bound_forms(renderer):
    steps = dict(STEPS)
    valid_details = {key: value for key, value in details_post().items() if key.startswith("details-")}
    hostile_details = {key: HOSTILE for key in valid_details}
    sources = sources_post(connectors=[("s3", HOSTILE), ("website", "https://example.com/")])
    return [
        *(form_class(prefix=step, renderer=renderer) for step, form_class in STEPS),
        steps["details"](data=valid_details, prefix="details", renderer=renderer),
        steps["details"](data=hostile_details, prefix="details", renderer=renderer),
        steps["requirements"](
            data={"requirements-requirements_notes": HOSTILE, "requirements-remove": ["a1"]},
            prefix="requirements",
            attached=[{"id": "a1", "name": HOSTILE, "size": 3}],
            renderer=renderer,
        ),
        steps["sources"](data=sources, prefix="sources", renderer=renderer),
        steps["review"](data={}, prefix="review", renderer=renderer),
    ]


def test_it_renders_every_step_widget_exactly_as_djangos_templates_do():
    for ours, django in zip(bound_forms(FormRenderer()), bound_forms(DjangoTemplates())):
        for form in (ours, django):
            form.full_clean()  # errors on the page as after a submit
        assert widget_html(ours) == widget_html(django)


def test_it_renders_the_step_pages_exactly_as_djangos_form_renderer_does(owner_client, settings, media):
    draft_id = complete_until_review(owner_client, [upload("spec.pdf", pdf_bytes(), "application/pdf")])
    pages = [step_url(draft_id, step) for step in ("details", "requirements", "sources", "review")]

    def rendered():
        return [page(owner_client.get(url)) for url in pages]

    rendered()  # anything shown once (a message after the last submit) is shown now
    ours = rendered()
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    for url, mine, django in zip(pages, ours, rendered()):
        assert mine == django, (url, differences(mine, django))
    assert settings.FORM_RENDERER != "projects.renderers.FormRenderer"


def test_it_renders_the_management_forms_exactly_as_djangos_templates_do():
    from django.forms.formsets import ManagementForm
    from formtools.wizard.forms import ManagementForm as WizardManagementForm

    forms = [
        lambda r: WizardManagementForm(prefix="project_wizard", initial={"current_step": HOSTILE}, renderer=r),
        lambda r: ManagementForm(prefix="sources-connectors", initial={"TOTAL_FORMS": 1, "INITIAL_FORMS": 0}, renderer=r),
        lambda r: ManagementForm(data={}, prefix="sources-connectors", renderer=r),  # errors: Django's template
    ]
    for make in forms:
        assert str(make(FormRenderer())) == str(make(DjangoTemplates()))


def test_it_uses_the_python_widgets_as_the_sites_form_renderer(settings):
    assert settings.FORM_RENDERER == "projects.renderers.FormRenderer"


def test_an_invalid_submit_shows_the_same_page_as_djangos_form_renderer(owner_client, settings):
    draft_id = start_draft(owner_client)
    url = step_url(draft_id, "details")
    post = details_post(project_name="", square_footage="-3", client_email=HOSTILE, budget=HOSTILE)

    ours = page(owner_client.post(url, post))
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    django = page(owner_client.post(url, post))

    assert 'id="error-summary"' in ours
    ours, django = (re.sub(r'name="draft_version" value="\d+"', "", html) for html in (ours, django))
    assert ours == django, differences(ours, django)


def test_the_cached_template_loader_is_on_with_debug_off(settings):
    # Django turns the cached loader on by itself when no loaders are configured: keep it so.
    assert not settings.DEBUG
    loaders = engines["django"].engine.template_loaders
    assert [type(loader).__module__ for loader in loaders] == ["django.template.loaders.cached"]


def test_it_builds_the_upload_area_storage_once_per_upload_root(settings, tmp_path):
    assert draft_file_storage() is draft_file_storage()
    settings.DRAFT_UPLOAD_ROOT = tmp_path / "elsewhere"
    assert draft_file_storage().location == str(tmp_path / "elsewhere")
