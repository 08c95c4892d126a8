"""Bad input, property-based (issue 5): whatever is posted to a step, the wizard never answers 5xx.

Hypothesis posts arbitrary data through the wizard (the test client, a real Redis and database)
to every step form: DetailsForm, RequirementsForm, SourcesForm with its connector formset, and
ReviewForm, plus the navigation fields every step shares. For each example:

- the answer is never a server error (the test client also re-raises any exception in a view);
- an accepted step (302) stored only data that validates again, as the commit will revalidate it;
- a refused step (200) is shown again with what was typed in its fields, and stores nothing new
  but the documents that pass every check (a bad file never takes the good ones with it);
- whatever a step stored, every page that shows the draft renders (the user's and the admin's);
- whatever the steps accepted, the commit stores as entered (the forms and the model agree).

The ``next`` of sign-in and sign-up is bad input too: it must never send the browser off-site.

Hand-picked upload cases (types, sizes, names, counts) are in test_documents_*.py and
test_uploads_edge.py; here uploads are random bytes under random names.

Examples run derandomized by default (the same inputs every run, so CI is stable); set
FORM_PROPERTY_RANDOM=1 to explore new inputs and FORM_PROPERTY_EXAMPLES to run more.
"""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, event, example, given, settings as hypothesis_settings, strategies as st

from projects.forms import DetailsForm, SourcesForm
from projects.models import BuildingType, ConnectorType, Priority, Project
from projects.uploads import RejectedFile, display_name, identify
from projects.steps import draft_title
from sessions_store.store import get_draft_store

from .conftest import JPEG_BYTES, PASSWORD, PNG_BYTES, office_bytes, pdf_bytes
from .factories import UserFactory
from .support.browser import form_payload
from .wizard_helpers import complete_until_review, sources_post, start_draft, step_url

EXAMPLES = int(os.environ.get("FORM_PROPERTY_EXAMPLES", "60"))
# Each example is a few requests (about 0.1-0.3 s): more examples need more time.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(120 + 3 * EXAMPLES)]
fuzz = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # leave nothing in the work tree; a failure prints its reproduce blob
    print_blob=True,
    derandomize=not os.environ.get("FORM_PROPERTY_RANDOM"),
    # The client, user and draft are made once per test and shared by its examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies -------------------------------------------------------------------------------------

# Any text a browser can send: every code point but lone surrogates (not encodable as UTF-8).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
nasty = st.sampled_from(
    [
        "", " ", "\t", "\x00", "a\x00b", "\r\n", "0", "-0", "-1", "1e3", "1e309", "1E+999999999", "1e-999999999",
        "NaN", "-Infinity", "inf", "١٢٣", "１２３", "0x10", "1_000", "$", "£-5", "99999999999999999999.99",
        "2027-02-30", "0000-00-00", "9999-12-31", "0001-01-01", "2027-13-01", "27-3-1",
        "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "\u202e", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "a" * 101, "9" * 40, "x" * 6000, "@", "a@b", "a@b.c", "mailto:a@b.com", "+", "+44 20 7946 0000",
    ]
)
junk = st.one_of(any_text, nasty)


def numbers(places=2):
    return st.one_of(
        st.integers(-10**12, 10**12).map(str),
        st.decimals(allow_nan=False, allow_infinity=False, places=places).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
    )


def choice_of(choices):
    return st.one_of(st.sampled_from([value for value, _ in choices]), junk)


DETAILS_FIELDS = {
    "project_name": st.one_of(st.text(min_size=1, max_size=120), junk),
    "project_description": st.one_of(st.text(max_size=6000), junk),
    "building_type": choice_of(BuildingType.choices),
    "square_footage": st.one_of(numbers(), junk),
    "number_of_floors": st.one_of(st.integers(-5, 600).map(str), numbers(0), junk),
    "number_of_zones": st.one_of(st.integers(-5, 20000).map(str), numbers(0), junk),
    "client_name": junk,
    "client_email": st.one_of(st.emails().map(str), junk),
    "client_phone": st.one_of(st.from_regex(r"\+?[0-9(][0-9 ()\-.]{5,30}", fullmatch=True), junk),
    "project_location": junk,
    "estimated_start_date": st.one_of(st.dates().map(date.isoformat), junk),
    "estimated_end_date": st.one_of(st.dates().map(date.isoformat), junk),
    "budget": st.one_of(numbers(), junk),
    "priority": choice_of(Priority.choices),
}

# Fields a refused step must show again exactly as typed (inputs and textareas; a select or a
# radio group can only show a value it offers).
TYPED_DETAILS = [name for name in DETAILS_FIELDS if name not in ("building_type", "priority")]


@st.composite
def details_posts(draw):
    data = {}
    for name, strategy in DETAILS_FIELDS.items():
        if draw(st.integers(0, 9)):  # now and then a field is missing altogether
            data[f"details-{name}"] = draw(strategy)
    return data


@st.composite
def navigation(draw, step):
    """What every step's form carries besides its fields: the management form and the buttons."""
    data = {}
    current = draw(st.one_of(st.just(step), st.sampled_from(["details", "requirements", "sources", "review", "done"]), junk, st.none()))
    if current is not None:
        data["project_wizard-current_step"] = current
    if draw(st.booleans()):
        data["wizard_goto_step"] = draw(st.one_of(st.sampled_from(["details", "requirements", "sources", "review"]), junk))
    if draw(st.integers(0, 4)) == 0:
        data["return_to_review"] = draw(junk)
    if draw(st.integers(0, 4)) == 0:
        data["draft_version"] = draw(st.one_of(st.integers(-2, 50).map(str), junk))
    return data


URL_TARGETS = st.one_of(
    st.sampled_from(
        [
            "https://drive.google.com/drive/folders/abc", "https://docs.google.com/x", "https://acme.sharepoint.com/s",
            "https://onedrive.live.com/?id=1", "https://www.dropbox.com/sh/x", "s3://bucket-name/prefix/",
            "s3://-bad/", "https://api.example.com/v1", "http://example.com", "https://user:pw@drive.google.com/x",
            "javascript:alert(1)", "file:///etc/passwd", "https://[::1]/", "https://exa mple.com", "https://", "s3://",
            "https://" + "a" * 2100 + ".com",
        ]
    ),
    st.from_regex(r"(https?|s3|ftp)://[a-z0-9.\-]{0,30}(/[^\s]{0,30})?", fullmatch=True),
    junk,
)


@st.composite
def sources_posts(draw):
    rows = draw(st.integers(0, 28))
    data = {}
    if draw(st.integers(0, 3)):
        data["sources-ai_sourcing_enabled"] = draw(st.one_of(st.just("on"), junk))
    management_values = st.one_of(st.integers(-3, 40).map(str), junk)
    for key, default in (("TOTAL_FORMS", rows), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 20)):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            continue  # missing
        data[f"sources-connectors-{key}"] = str(default) if choice > 2 else draw(management_values)
    for index in range(rows):
        row = draw(st.integers(0, 20)) and index or draw(st.integers(0, 60))  # sometimes a stray index
        if draw(st.integers(0, 5)):
            data[f"sources-connectors-{row}-connector_type"] = draw(choice_of(ConnectorType.choices))
        if draw(st.integers(0, 5)):
            data[f"sources-connectors-{row}-target"] = draw(URL_TARGETS)
        if draw(st.integers(0, 6)) == 0:
            data[f"sources-connectors-{row}-DELETE"] = draw(st.one_of(st.just("on"), junk))
    if draw(st.integers(0, 5)) == 0:
        data["add_connector"] = draw(st.one_of(st.just("1"), junk))
    return data


MAGIC = [pdf_bytes(), office_bytes("docx"), office_bytes("xlsx"), PNG_BYTES, JPEG_BYTES, b"room,area\n", b""]
file_names = st.one_of(
    st.sampled_from(["spec.pdf", "brief.docx", "budget.xlsx", "plan.png", "site.jpg", "notes.txt", "rooms.csv", "x.exe", ".pdf", "README"]),
    st.tuples(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='/\\"\r\n'), min_size=1, max_size=40),
              st.sampled_from([".pdf", ".PDF", ".docx", ".xlsx", ".png", ".jpeg", ".txt", ".csv", ".exe", ""])).map("".join),
)
file_contents = st.one_of(st.sampled_from(MAGIC), st.binary(max_size=2048), st.sampled_from(MAGIC).flatmap(lambda head: st.binary(max_size=256).map(lambda tail: head + tail)))


@st.composite
def requirements_posts(draw):
    """A requirements POST; a whole number in ``remove`` stands for one of the attached files."""
    data = {}
    if draw(st.integers(0, 5)):
        data["requirements-requirements_notes"] = draw(st.one_of(st.text(max_size=6000), junk))
    removing = draw(st.lists(st.one_of(st.integers(0, 20), junk), max_size=3))
    if removing:
        data["requirements-remove"] = removing
    files = draw(st.lists(st.tuples(file_names, file_contents), max_size=4))
    if files:
        data["requirements-documents"] = files
    return data


def as_post(data, attached_ids):
    post = dict(data)
    if "requirements-remove" in post:
        post["requirements-remove"] = [
            (attached_ids[pick % len(attached_ids)] if attached_ids else "0123456789ab") if isinstance(pick, int) else pick
            for pick in post["requirements-remove"]
        ]
    if "requirements-documents" in post:
        post["requirements-documents"] = [SimpleUploadedFile(name, content) for name, content in post["requirements-documents"]]
    return post


# --- helpers ------------------------------------------------------------------------------------

def load_draft(draft_id):
    return get_draft_store().load(draft_id, slide=False)[0]


def assert_no_server_error(response):
    event(f"answered {response.status_code}")  # the mix of answers: --hypothesis-show-statistics
    assert response.status_code < 500, response.content.decode(errors="replace")[:3000]


def assert_shown_again_as_typed(response, data, fields):
    """A refused step (or a 409 conflict) is the step's page again, each typed value in its field."""
    assert response.status_code in (200, 409), response.status_code
    page = response.content.decode()
    assert 'id="step-form"' in page
    shown = form_payload(page)
    for name in fields:
        if name in data and name in shown:
            assert shown[name] == [data[name]], (name, data[name], shown[name])


def stored_form(form_class, draft, step):
    return form_class(data=MultiValueDict(draft.wizard["step_data"].get(step, {})), prefix=step)


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def assert_draft_pages_render(owner_client, admin_client, draft_id):
    """Whatever a step stored, every page that shows the draft still renders: the user's and staff's."""
    assert owner_client.get("/projects/drafts/").status_code == 200
    for step in ("details", "requirements", "sources", "review"):
        assert owner_client.get(step_url(draft_id, step)).status_code in (200, 302)
    draft = load_draft(draft_id)
    changelist = reverse("admin:sessions_store_draftrecord_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": (draft_title(draft) or "x")[:30]}).status_code == 200
    assert admin_client.get(reverse("admin:sessions_store_draftrecord_change", args=[draft_id])).status_code == 200


@pytest.fixture
def state():
    """What the examples of one test share (its draft), made by the first example that needs it."""
    return {}


def assert_keeps_only_acceptable_files(settings, before, after, posted, removing):
    """Attached files stay unless their removal was ticked; new ones come after them, in the
    order chosen, and each is a posted file that passes every check; the count limit holds."""
    kept = [item for item in before.files if item in after.files]
    assert all(item in kept or item["id"] in removing for item in before.files)
    new = after.files[len(kept):]
    assert after.files[: len(kept)] == kept
    acceptable = iter(display_name(name) for name, content in posted if passes_checks(settings, name, content))
    assert all(item["name"] in acceptable for item in new), ([item["name"] for item in new], posted)
    assert len(after.files) <= settings.UPLOAD_MAX_FILES


def passes_checks(settings, name, content):
    if not 0 < len(content) <= settings.UPLOAD_MAX_FILE_SIZE:
        return False
    try:
        identify(SimpleUploadedFile(name, content))
    except RejectedFile:
        return False
    return True


def files_on_disk(settings, draft_id):
    folder = Path(settings.DRAFT_UPLOAD_ROOT) / draft_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- step 1: DetailsForm ------------------------------------------------------------------------

@fuzz
@given(data=details_posts(), nav=navigation("details"))
@example(data={"details-square_footage": "1E+999999999", "details-project_name": "x", "details-building_type": "retail", "details-priority": "low"}, nav={})
def test_it_never_fails_on_any_details_for_a_new_draft(owner_client, data, nav):
    before = Project.objects.count()
    response = owner_client.post("/projects/new/", {**data, **nav})

    assert_no_server_error(response)
    if response.status_code == 302 and "/requirements/" in response["Location"]:
        draft_id = response["Location"].split("/")[3]
        form = stored_form(DetailsForm, load_draft(draft_id), "details")
        assert form.is_valid(), form.errors
    elif response.status_code == 200 and not nav.get("wizard_goto_step"):
        assert_shown_again_as_typed(response, data, [f"details-{name}" for name in TYPED_DETAILS])
        assert 'class="error-summary"' in response.content.decode()
    assert Project.objects.count() == before


@fuzz
@given(data=details_posts(), nav=navigation("details"))
def test_it_never_fails_on_any_details_for_a_saved_draft(owner_client, admin_client, state, data, nav):
    if "draft" not in state:
        state["draft"] = start_draft(owner_client)
    draft_id = state["draft"]
    response = owner_client.post(step_url(draft_id, "details"), {**data, **nav})

    assert_no_server_error(response)
    draft = load_draft(draft_id)
    if draft.validation.get("details"):
        assert stored_form(DetailsForm, draft, "details").is_valid()
    if response.status_code in (200, 409) and not nav.get("wizard_goto_step"):
        assert_shown_again_as_typed(response, data, [f"details-{name}" for name in TYPED_DETAILS])
    assert_draft_pages_render(owner_client, admin_client, draft_id)


# --- step 2: RequirementsForm -----------------------------------------------------------------------

@fuzz
@given(data=requirements_posts(), nav=navigation("requirements"))
def test_it_never_fails_on_any_requirements_and_stores_only_accepted_files(owner_client, settings, state, data, nav):
    if "draft" not in state:
        state["draft"] = start_draft(owner_client)
    draft_id = state["draft"]
    before = load_draft(draft_id)
    post = as_post(data, [item["id"] for item in before.files])

    response = owner_client.post(step_url(draft_id, "requirements"), {**post, **nav})

    assert_no_server_error(response)
    after = load_draft(draft_id)
    # What the draft lists is exactly what is on disk: nothing stored without being listed.
    assert files_on_disk(settings, draft_id) == sorted(Path(item["tmp_name"]).name for item in after.files)
    if response.status_code == 409:
        assert after.files == before.files
    else:
        assert_keeps_only_acceptable_files(settings, before, after, data.get("requirements-documents", []), post.get("requirements-remove", []))
    if response.status_code in (200, 409) and not nav.get("wizard_goto_step"):
        assert_shown_again_as_typed(response, post, ["requirements-requirements_notes"])
    for item in after.files:
        assert "/" not in item["name"] and "\\" not in item["name"] and item["name"].isprintable()
        assert item["size"] > 0


# --- step 3: SourcesForm and its connector formset ------------------------------------------------------

@fuzz
@given(data=sources_posts(), nav=navigation("sources"))
@example(data={"sources-connectors-TOTAL_FORMS": "1000000000000000000000"}, nav={})
@example(data={"sources-connectors-TOTAL_FORMS": "-1", "sources-connectors-0-target": "https://x.com"}, nav={})
def test_it_never_fails_on_any_sources_and_stores_only_valid_connectors(owner_client, admin_client, state, data, nav):
    if "draft" not in state:
        state["draft"] = complete_until_review(owner_client, [SimpleUploadedFile("spec.pdf", pdf_bytes())])
    draft_id = state["draft"]
    response = owner_client.post(step_url(draft_id, "sources"), {**data, **nav})

    assert_no_server_error(response)
    draft = load_draft(draft_id)
    if draft.validation.get("sources"):
        form = stored_form(SourcesForm, draft, "sources")
        assert form.is_valid(), (form.errors, form.connectors.errors, form.connectors.non_form_errors())
        assert len(form.cleaned_data["connectors"]) <= 20
    if response.status_code in (200, 409) and not nav.get("wizard_goto_step"):
        targets = [key for key in data if key.endswith("-target")]
        assert_shown_again_as_typed(response, data, targets)
    assert_draft_pages_render(owner_client, admin_client, draft_id)


# --- step 4: ReviewForm (and the commit it triggers) ------------------------------------------------

@fuzz
@given(confirm=st.one_of(st.none(), st.just("on"), junk), nav=navigation("review"), extra=st.dictionaries(junk, junk, max_size=3))
def test_it_never_fails_on_any_review_and_commits_at_most_once(owner_client, state, confirm, nav, extra):
    if "draft" not in state or load_draft(state["draft"]) is None:
        # The previous example created the project: the next one starts from a new draft.
        state["draft"] = complete_until_review(owner_client, [SimpleUploadedFile("spec.pdf", pdf_bytes())])
    draft_id = state["draft"]
    post = {**extra, **nav}
    if confirm is not None:
        post["review-confirm"] = confirm

    response = owner_client.post(step_url(draft_id, "review"), post)

    assert_no_server_error(response)
    projects = Project.objects.filter(draft_id=draft_id)
    assert projects.count() <= 1
    if projects:
        assert response.status_code == 302 and response["Location"] == projects.get().get_absolute_url()
        assert load_draft(draft_id) is None


# --- any step name, any URL -------------------------------------------------------------------------

@fuzz
@given(step=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=30), method=st.sampled_from(["get", "post"]), nav=navigation("details"))
def test_it_never_fails_on_any_step_name_in_the_url(owner_client, state, step, method, nav):
    if "draft" not in state:
        state["draft"] = start_draft(owner_client)
    draft_id = state["draft"]
    url = f"/projects/new/{draft_id}/{quote(step, safe='')}/"
    response = getattr(owner_client, method)(url, nav if method == "post" else None)

    assert_no_server_error(response)
    assert response.status_code in (200, 302, 404, 409)


# --- whatever the steps accept, the commit stores ----------------------------------------------------

printable = st.characters(blacklist_categories=("Cs", "Cc"))
valid_details = st.fixed_dictionaries(
    {
        "project_name": st.text(printable, min_size=1, max_size=100).filter(str.strip),
        "project_description": st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=5000),
        "building_type": st.sampled_from(BuildingType.values),
        "square_footage": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2).map(str),
        "number_of_floors": st.one_of(st.just(""), st.integers(1, 500).map(str)),
        "number_of_zones": st.one_of(st.just(""), st.integers(1, 10000).map(str)),
        "client_name": st.text(printable, max_size=200),
        "client_email": st.one_of(st.just(""), st.emails().filter(lambda e: len(e) <= 254)),
        "client_phone": st.one_of(st.just(""), st.from_regex(r"\+?[0-9(][0-9 ()\-.]{5,30}", fullmatch=True)),
        "project_location": st.text(printable, max_size=255),
        "dates": st.lists(st.dates(min_value=date(1900, 1, 1)), min_size=0, max_size=2).map(sorted),
        "budget": st.one_of(
            st.just(""), st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2).map(str)
        ),
        "priority": st.sampled_from(Priority.values),
    }
)
valid_connectors = st.lists(
    st.one_of(
        st.tuples(st.just("s3"), st.from_regex(r"s3://[a-z0-9][a-z0-9.\-]{1,40}[a-z0-9](/[a-z0-9_\-/]{0,30})?", fullmatch=True)),
        st.tuples(st.just("website"), st.from_regex(r"https://[a-z]{1,20}\.example\.com(/[a-z0-9]{0,20})?", fullmatch=True)),
        st.tuples(st.just("google_drive"), st.from_regex(r"https://drive\.google\.com/drive/folders/[A-Za-z0-9_\-]{1,40}", fullmatch=True)),
        st.tuples(st.just("rest_api"), st.from_regex(r"https://api\.[a-z]{1,20}\.com/v[0-9]", fullmatch=True)),
    ),
    max_size=20,
    unique=True,
)
valid_documents = st.lists(
    st.tuples(
        # A name a person gives a file: letters, digits, punctuation, spaces; at least one letter
        # or digit (a name of only dots or spaces is ".pdf", refused as it should be).
        st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters='/\\"'), min_size=1, max_size=60)
        .filter(lambda stem: any(ch.isalnum() for ch in stem)),
        st.sampled_from([(".pdf", pdf_bytes()), (".docx", office_bytes("docx")), (".png", PNG_BYTES), (".csv", b"a,b\n")]),
    ),
    min_size=1,
    max_size=4,
)


@hypothesis_settings(fuzz, max_examples=max(10, EXAMPLES // 3))  # a whole wizard per example
@given(details=valid_details, connectors=valid_connectors, documents=valid_documents, ai=st.booleans())
def test_it_commits_whatever_the_steps_accept_as_entered(owner_client, owner, details, connectors, documents, ai):
    dates = details.pop("dates")
    details["estimated_start_date"] = dates[0].isoformat() if dates else ""
    details["estimated_end_date"] = dates[-1].isoformat() if len(dates) == 2 else ""
    response = owner_client.post("/projects/new/", {**{f"details-{k}": v for k, v in details.items()}, "project_wizard-current_step": "details"})
    if response.status_code != 302:
        event("details refused")  # e.g. an address st.emails() makes that Django does not take
        return
    draft_id = response["Location"].split("/")[3]
    files = [SimpleUploadedFile(stem + ext, content) for stem, (ext, content) in documents]
    response = owner_client.post(step_url(draft_id, "requirements"), {"requirements-documents": files, "project_wizard-current_step": "requirements"})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = owner_client.post(step_url(draft_id, "sources"), sources_post(ai=ai, connectors=connectors))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert owner_client.get(step_url(draft_id, "review")).status_code == 200

    response = owner_client.post(step_url(draft_id, "review"), {"review-confirm": "on", "project_wizard-current_step": "review"})

    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(draft_id=draft_id)
    form = DetailsForm(data={f"details-{k}": v for k, v in details.items()}, prefix="details")
    assert form.is_valid()
    for name, value in form.cleaned_data.items():
        assert getattr(project, name) == (value if value is not None else getattr(project, name)), name
    assert [(c.connector_type, c.target) for c in project.connectors.all()] == list(connectors)
    assert project.ai_sourcing_enabled is ai
    assert project.documents.count() == len(documents)
    assert owner_client.get(project.get_absolute_url()).status_code == 200
    assert owner_client.get("/projects/").status_code == 200


# --- where signing in or up sends the browser ---------------------------------------------------------

OFF_SITE = ["https://evil.example/phish", "//evil.example/phish", "https:evil.example", "http://testserver.evil.example/"]


def signed_up(next_url, username="newcomer"):
    client = Client()
    password = "a-Long-pass-123!"
    return client.post(
        "/accounts/signup/", {"username": username, "password1": password, "password2": password, "next": next_url}
    )


def stays_on_site(response):
    from django.utils.http import url_has_allowed_host_and_scheme

    assert response.status_code == 302, response.content.decode()[:2000]
    return url_has_allowed_host_and_scheme(response["Location"], allowed_hosts={"testserver"})


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_it_keeps_sign_in_on_this_site_whatever_next_says(owner, next_url):
    response = Client().post("/accounts/login/", {"username": "owner", "password": PASSWORD, "next": next_url})

    assert stays_on_site(response)


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_it_keeps_sign_up_on_this_site_whatever_next_says(next_url):
    assert stays_on_site(signed_up(next_url))


def test_it_sends_a_new_account_back_to_its_draft(client):
    draft_id = start_draft(client)

    response = signed_up(step_url(draft_id, "review"))

    assert response["Location"] == step_url(draft_id, "review")
