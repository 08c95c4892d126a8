"""Staff review of drafts in Django admin, over a real Redis and real uploads.

Drafts are made the way users make them (the wizard through the test client: signed-in users and
anonymous browsers), or, for the big pagination set, through the draft store itself. Staff users
are factory-made, each with only the permissions its name says. Covered: who sees the Drafts
section; the list's columns, sorting, filters, search and pagination read from the Redis indexes;
the read-only detail page and its file downloads; the export / delete / extend actions and their
permissions; and the Project admin.
"""

import html
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from projects.models import Project
from sessions_store.drafts import Draft, Owner, user_agent_hash
from sessions_store.store import get_draft_store

from .conftest import PASSWORD, pdf_bytes, upload
from .factories import UserFactory
from .wizard_helpers import (
    VALID_DETAILS,
    complete_until_review,
    confirm,
    details_post,
    management,
    sources_post,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/sessions_store/draftrecord/"
WINDOWS_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
CONNECTORS = (
    ("google_drive", "https://drive.google.com/drive/folders/abc"),
    ("s3", "s3://harbour-bucket/drawings/"),
)


# --- users -------------------------------------------------------------------------------------------

def staff(username, *codenames, **extra):
    user = UserFactory(username=username, is_staff=True, **extra)
    if codenames:
        user.user_permissions.add(*(Permission.objects.get(codename=codename) for codename in codenames))
    return user


@pytest.fixture(autouse=True)
def day_long_drafts(settings):
    """The texts below ("23 hours, 59 minutes") assume drafts kept for a day."""
    settings.SESSION_TTL = 86400


@pytest.fixture
def staff_viewer(db):
    return staff("staff_viewer", "view_draftrecord")


@pytest.fixture
def staff_deleter(db):
    return staff("staff_deleter", "view_draftrecord", "delete_draftrecord")


@pytest.fixture
def staff_extender(db):
    return staff("staff_extender", "view_draftrecord", "change_expiry")


@pytest.fixture
def staff_without_permission(db):
    return staff("staff_nobody")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def non_staff(db):
    return UserFactory(username="customer")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def browser(user=None, ua=WINDOWS_UA, ip="203.0.113.7"):
    """A user's browser: the wizard records its user agent and address."""
    client = Client(HTTP_USER_AGENT=ua, REMOTE_ADDR=ip)
    if user is not None:
        client.force_login(user)
    return client


# --- Redis and page helpers -------------------------------------------------------------------------

def draft_key(redis, draft_id):
    keys = redis.keys(f"*draft:{draft_id}")
    assert len(keys) == 1, keys
    return keys[0]


def record(redis, draft_id):
    return json.loads(redis.get(draft_key(redis, draft_id)))


def index_memberships(redis, draft_id):
    """Every sorted set that still names the draft: indexes, owner lists and the search set."""
    found = []
    for key in redis.keys("*index*") + redis.keys("*owner:*"):
        if redis.type(key) == b"zset" and redis.zscore(key, draft_id) is not None:
            found.append(key.decode())
    for key in redis.keys("*search"):
        if any(member.decode().endswith(f"|{draft_id}") for member, _ in redis.zscan_iter(key)):
            found.append(key.decode())
    return found


def text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


ROW = re.compile(r'<tr>\s*<td class="action-checkbox">.*?</tr>', re.S)
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)


def rows(response):
    """The list's rows as dicts, in page order."""
    assert response.status_code == 200, response.status_code
    found = []
    for row in ROW.findall(response.content.decode()):
        draft_id = re.search(r'name="_selected_action" value="([^"]+)"', row).group(1)
        cells = [text(cell) for cell in CELL.findall(row)][1:]
        name, owner, progress, completed, created, last, expires, ua = cells
        title = re.search(r'<span title="([^"]*)">', row)
        found.append(
            {
                "id": draft_id, "name": name, "owner": owner, "progress": progress, "completed": completed,
                "created": created, "last_activity": last, "expires_in": expires.replace("\xa0", " "),
                "user_agent": ua, "user_agent_title": html.unescape(title.group(1)) if title else None,
            }
        )
    return found


def listed_ids(client, **params):
    return [row["id"] for row in rows(client.get(LIST_URL, params))]


def listed_names(client, **params):
    return [row["name"] for row in rows(client.get(LIST_URL, params))]


def paginator(response):
    match = re.search(r"(\d+) drafts? · page (\d+) of (\d+)", response.content.decode())
    assert match, "no paginator"
    return tuple(int(group) for group in match.groups())


def readonly_rows(response):
    """(label, value) pairs of the detail page, in page order."""
    content = response.content.decode()
    return [
        (text(label), text(value).replace("\xa0", " "))
        for label, value in re.findall(r'<label>(.*?)</label><div class="readonly">(.*?)</div>', content, re.S)
    ]


def select_options(response):
    match = re.search(r'<select name="action"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    assert match, "no action select"
    return re.findall(r'<option value="([^"]*)"', match.group(1))


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


def local(moment, fmt):
    return datetime.fromisoformat(moment).astimezone(timezone.utc).strftime(fmt)


def attach(client, draft_id, *files, notes="See the spec."):
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": list(files), "requirements-requirements_notes": notes, **management("requirements")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def bulk_drafts(count, owner_key, frozen_clock):
    """``count`` drafts straight into the store, one second apart: "Bulk 00" is the oldest."""
    store = get_draft_store()
    drafts = []
    for number in range(count):
        draft = Draft.new(
            owner=Owner(key=owner_key, user_agent_hash=user_agent_hash("bulk")),
            metadata={"user_agent": "bulk", "ip_address": "192.0.2.1", "platform": "Linux"},
        )
        draft.wizard["step"] = "requirements"
        draft.wizard["step_data"]["details"] = {"details-project_name": [f"Bulk {number:02d}"]}
        draft.validation["details"] = True
        drafts.append(store.create(draft))
        frozen_clock.travel(timedelta(seconds=1))
    return drafts


# --- who sees drafts --------------------------------------------------------------------------------

def test_it_lists_drafts_at_admin_sessions_store_draftrecord():
    assert reverse("admin:sessions_store_draftrecord_changelist") == LIST_URL
    assert reverse("admin:sessions_store_draftrecord_change", args=[uuid.UUID(int=1)]) == (
        f"{LIST_URL}00000000-0000-0000-0000-000000000001/"
    )


def test_it_shows_a_drafts_section_on_the_admin_index_to_staff_who_may_view_drafts(staff_viewer):
    response = logged_in(staff_viewer).get("/admin/")

    assert response.status_code == 200
    content = response.content.decode()
    section = re.search(r'<a href="/admin/sessions_store/" class="section"[^>]*>(.*?)</a>', content)
    assert section and section.group(1) == "Drafts"
    model = re.search(rf'<a href="{LIST_URL}"[^>]*>(.*?)</a>', content)
    assert model and model.group(1) == "Drafts"
    assert logged_in(staff_viewer).get("/admin/sessions_store/").status_code == 200
    assert logged_in(staff_viewer).get(LIST_URL).status_code == 200


def test_it_hides_drafts_from_staff_without_the_view_permission(staff_without_permission, owner):
    draft_id = start_draft(browser(owner))
    client = logged_in(staff_without_permission)

    response = client.get("/admin/")
    assert response.status_code == 200
    assert "/admin/sessions_store/" not in response.content.decode()
    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{draft_id}/").status_code == 403
    assert client.post(LIST_URL, {"action": "export", "_selected_action": [draft_id]}).status_code == 403


@pytest.mark.parametrize("who", ["non_staff", "anonymous"])
def test_it_sends_non_staff_to_the_admin_login(who, non_staff, owner, pdf, drafts_redis):
    client = logged_in(non_staff) if who == "non_staff" else Client()
    draft_id = complete_until_review(browser(owner), [pdf()])
    file_id = record(drafts_redis, draft_id)["files"][0]["id"]
    before = drafts_redis.get(draft_key(drafts_redis, draft_id))

    for url in ("/admin/", LIST_URL, f"{LIST_URL}{draft_id}/", f"{LIST_URL}{draft_id}/files/{file_id}/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url
    response = client.post(LIST_URL, {"action": "delete", "confirm": "yes", "_selected_action": [draft_id]})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert drafts_redis.get(draft_key(drafts_redis, draft_id)) == before


# --- the list ---------------------------------------------------------------------------------------

def test_it_lists_each_drafts_name_owner_progress_dates_expiry_and_user_agent(
    staff_viewer, owner, pdf, drafts_redis
):
    user_draft = complete_until_review(browser(owner), [pdf()])
    anonymous_draft = start_draft(browser(ua=IPHONE_UA, ip="198.51.100.23"), project_name="Kiosk Refit")

    listed = {row["id"]: row for row in rows(logged_in(staff_viewer).get(LIST_URL))}

    assert set(listed) == {user_draft, anonymous_draft}
    mine, theirs = listed[user_draft], listed[anonymous_draft]
    assert mine["name"] == VALID_DETAILS["project_name"]
    assert mine["owner"] == "owner"
    assert mine["progress"] == "Step 4 of 4 (75%)"
    assert mine["completed"] == "Project details, Requirements documents, Data sources"
    assert mine["user_agent_title"] == WINDOWS_UA
    assert mine["user_agent"] == WINDOWS_UA[:39] + "…"

    assert theirs["name"] == "Kiosk Refit"
    assert theirs["owner"] == "anonymous (198.51.100.23)"
    assert theirs["progress"] == "Step 2 of 4 (25%)"
    assert theirs["completed"] == "Project details"
    assert theirs["user_agent_title"] == IPHONE_UA

    for draft_id, row in listed.items():
        stored = record(drafts_redis, draft_id)
        assert row["created"] == local(stored["created_at"], "%Y-%m-%d %H:%M")
        assert row["last_activity"] == local(stored["last_activity"], "%Y-%m-%d %H:%M")
        assert row["expires_in"] == "23 hours, 59 minutes"


def test_it_shows_the_time_redis_really_keeps_a_draft(staff_viewer, owner, drafts_redis):
    draft_id = start_draft(browser(owner))
    drafts_redis.expire(draft_key(drafts_redis, draft_id), 3 * 3600 + 10 * 60 + 30)

    [row] = rows(logged_in(staff_viewer).get(LIST_URL))

    assert row["expires_in"] == "3 hours, 10 minutes"


def test_it_names_the_owner_of_a_draft_whose_account_was_deleted(staff_viewer, frozen_clock):
    [draft] = bulk_drafts(1, "u:987654", frozen_clock)
    [row] = rows(logged_in(staff_viewer).get(LIST_URL))
    assert row["id"] == draft.id
    assert row["owner"] == "user #987654 (deleted)"


def test_it_sorts_by_last_activity_and_by_creation(staff_viewer, owner, other_user, frozen_clock, pdf):
    owner_browser = browser(owner)
    first = start_draft(owner_browser, project_name="First")
    frozen_clock.travel(timedelta(minutes=10))
    second = start_draft(browser(ua=IPHONE_UA), project_name="Second")
    frozen_clock.travel(timedelta(minutes=10))
    third = start_draft(browser(other_user), project_name="Third")
    frozen_clock.travel(timedelta(minutes=10))
    attach(owner_browser, first, pdf())  # the oldest draft is now the most recently active
    client = logged_in(staff_viewer)

    assert listed_ids(client) == [first, third, second]  # default: newest activity first
    assert listed_ids(client, o="-last_activity") == [first, third, second]
    assert listed_ids(client, o="last_activity") == [second, third, first]
    assert listed_ids(client, o="-created") == [third, second, first]
    assert listed_ids(client, o="created") == [first, second, third]
    assert listed_ids(client, o="nonsense") == [first, third, second]
    # Sorting still applies within a filter.
    assert listed_ids(client, o="created", kind="user") == [first, third]
    assert listed_ids(client, o="-created", kind="user") == [third, first]


@pytest.fixture
def four_drafts(owner, other_user, pdf):
    """Two users' drafts and two anonymous ones, at different steps."""
    other_browser = browser(other_user)
    user_sources = start_draft(other_browser, project_name="User Sources")
    attach(other_browser, user_sources, pdf())
    return {
        "user_review": complete_until_review(browser(owner), [pdf()]),
        "user_sources": user_sources,
        "anonymous_requirements": start_draft(browser(ua=IPHONE_UA, ip="198.51.100.1"), project_name="Anon Req"),
        "anonymous_review": complete_until_review(browser(ua=IPHONE_UA, ip="198.51.100.2"), [pdf()]),
    }


def test_it_filters_by_current_step_and_by_owner_kind(staff_viewer, four_drafts):
    client = logged_in(staff_viewer)
    ids = four_drafts

    def listed(**params):
        return set(listed_ids(client, **params))

    assert listed() == set(ids.values())
    assert listed(step="details") == set()
    assert listed(step="requirements") == {ids["anonymous_requirements"]}
    assert listed(step="sources") == {ids["user_sources"]}
    assert listed(step="review") == {ids["user_review"], ids["anonymous_review"]}
    assert listed(kind="user") == {ids["user_review"], ids["user_sources"]}
    assert listed(kind="anonymous") == {ids["anonymous_requirements"], ids["anonymous_review"]}
    assert listed(step="review", kind="anonymous") == {ids["anonymous_review"]}
    assert listed(step="review", kind="user") == {ids["user_review"]}
    assert listed(step="sources", kind="anonymous") == set()
    # Unknown filter values are ignored rather than matching nothing.
    assert listed(step="nonsense", kind="robots") == set(ids.values())

    response = client.get(LIST_URL, {"step": "review", "kind": "anonymous"})
    assert paginator(response) == (1, 1, 1)
    assert '<li class="selected"><a href="?o=-last_activity&amp;step=review&amp;kind=anonymous&amp;p=1">Anonymous</a>' in (
        response.content.decode()
    )


def test_it_moves_a_draft_between_step_filters_as_the_user_goes_on(staff_viewer, owner, pdf):
    owner_browser = browser(owner)
    draft_id = start_draft(owner_browser)
    client = logged_in(staff_viewer)
    assert listed_ids(client, step="requirements") == [draft_id]

    attach(owner_browser, draft_id, pdf())

    assert listed_ids(client, step="requirements") == []
    assert listed_ids(client, step="sources") == [draft_id]


@pytest.fixture
def searchable(owner, other_user):
    return {
        "harbour": start_draft(browser(owner)),  # Harbour Office Retrofit / Harbour Estates Ltd / facilities@harbour.example
        "riverside": start_draft(
            browser(ua=IPHONE_UA),
            project_name="Riverside School Extension",
            client_name="Northfield Council",
            client_email="Estates.Team@Northfield.example",
        ),
        "kestrel": start_draft(
            browser(other_user), project_name="Data Hall Cooling", client_name="Kestrel Compute", client_email="ops@kestrel.example"
        ),
    }


def test_it_searches_by_project_name_client_name_and_email_ignoring_case(staff_viewer, searchable):
    client = logged_in(staff_viewer)
    ids = searchable

    def found(query):
        return set(listed_ids(client, q=query))

    assert found("riverSIDE sch") == {ids["riverside"]}
    assert found("northfield coun") == {ids["riverside"]}
    assert found("ESTATES.team@northfield") == {ids["riverside"]}
    assert found("kestrel.ex") == {ids["kestrel"]}
    assert found("hall cool") == {ids["kestrel"]}
    assert found("  Harbour Office  ") == {ids["harbour"]}
    assert found("estates") == {ids["harbour"], ids["riverside"]}
    assert found("no such project") == set()
    assert found("*") == set()  # glob characters are literal
    assert found("[a-z]") == set()

    response = client.get(LIST_URL, {"q": "no such project"})
    assert "No drafts match." in response.content.decode()
    assert paginator(response) == (0, 1, 1)


def test_it_searches_by_draft_id(staff_viewer, searchable):
    client = logged_in(staff_viewer)
    kestrel = searchable["kestrel"]

    assert listed_ids(client, q=kestrel) == [kestrel]
    assert listed_ids(client, q=kestrel.upper()) == [kestrel]
    assert listed_ids(client, q=kestrel[:13]) == [kestrel]


def test_it_combines_search_with_filters_and_sorting(staff_viewer, searchable, frozen_clock, pdf, owner):
    client = logged_in(staff_viewer)
    ids = searchable

    assert set(listed_ids(client, q="estates", kind="anonymous")) == {ids["riverside"]}
    assert set(listed_ids(client, q="estates", kind="user")) == {ids["harbour"]}
    assert listed_ids(client, q="estates", step="sources") == []

    frozen_clock.travel(timedelta(minutes=5))
    attach(browser(owner), ids["harbour"], pdf())
    assert listed_ids(client, q="estates", step="sources") == [ids["harbour"]]
    assert listed_ids(client, q="estates", o="last_activity") == [ids["riverside"], ids["harbour"]]
    assert listed_ids(client, q="estates", o="-last_activity") == [ids["harbour"], ids["riverside"]]
    assert listed_ids(client, q="estates", o="created") == [ids["harbour"], ids["riverside"]]


def test_it_finds_a_renamed_draft_by_its_new_name_only(staff_viewer, owner):
    owner_browser = browser(owner)
    draft_id = start_draft(owner_browser, project_name="Old Depot", client_email="first@client.example")
    response = owner_browser.post(
        step_url(draft_id, "details"),
        details_post(project_name="New Depot", client_email="second@client.example"),
    )
    assert response.status_code == 302
    client = logged_in(staff_viewer)

    assert listed_ids(client, q="old depot") == []
    assert listed_ids(client, q="first@client") == []
    assert listed_ids(client, q="new depot") == [draft_id]
    assert listed_ids(client, q="second@client") == [draft_id]


def test_it_lists_an_anonymous_draft_under_its_user_once_the_visitor_signs_in(staff_viewer, owner):
    visitor = browser(ua=IPHONE_UA, ip="198.51.100.9")
    draft_id = start_draft(visitor)
    client = logged_in(staff_viewer)
    assert [row["owner"] for row in rows(client.get(LIST_URL))] == ["anonymous (198.51.100.9)"]

    response = visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302

    assert [row["owner"] for row in rows(client.get(LIST_URL))] == ["owner"]
    assert listed_ids(client, kind="user") == [draft_id]
    assert listed_ids(client, kind="anonymous") == []
    assert listed_ids(client, kind="user", q="harbour") == [draft_id]


def test_it_escapes_what_users_typed(staff_viewer, owner):
    draft_id = start_draft(browser(owner, ua='<img src=x onerror="alert(1)">'), project_name="<script>alert(1)</script>")
    client = logged_in(staff_viewer)

    for response in (client.get(LIST_URL), client.get(f"{LIST_URL}{draft_id}/")):
        content = response.content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "<img src=x" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert listed_names(client) == ["<script>alert(1)</script>"]


def test_it_pages_fifty_drafts_at_a_time(staff_viewer, owner, frozen_clock):
    drafts = bulk_drafts(53, f"u:{owner.pk}", frozen_clock)
    client = logged_in(staff_viewer)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"p": 2})

    first_rows, second_rows = rows(first), rows(second)
    assert len(first_rows) == 50
    assert [row["name"] for row in second_rows] == ["Bulk 02", "Bulk 01", "Bulk 00"]
    assert first_rows[0]["name"] == "Bulk 52"
    assert {row["id"] for row in first_rows + second_rows} == {draft.id for draft in drafts}
    assert paginator(first) == (53, 1, 2)
    assert paginator(second) == (53, 2, 2)
    assert all(row["owner"] == "owner" for row in first_rows)
    assert '<a href="?o=-last_activity&amp;p=2">2</a>' in first.content.decode()
    assert listed_names(client, p=2, o="created") == ["Bulk 50", "Bulk 51", "Bulk 52"]
    assert listed_names(client, p=3) == []
    assert len(listed_ids(client, p="not-a-number")) == 50


def test_it_pages_search_results(staff_viewer, owner, frozen_clock):
    bulk_drafts(55, f"u:{owner.pk}", frozen_clock)
    client = logged_in(staff_viewer)

    response = client.get(LIST_URL, {"q": "bulk", "p": 2})

    assert [row["name"] for row in rows(response)] == ["Bulk 04", "Bulk 03", "Bulk 02", "Bulk 01", "Bulk 00"]
    assert paginator(response) == (55, 2, 2)
    assert paginator(client.get(LIST_URL, {"q": "bulk 5"})) == (5, 1, 1)


def expire_now(redis, draft_id):
    redis.pexpire(draft_key(redis, draft_id), 1)
    time.sleep(0.01)
    assert redis.keys(f"*draft:{draft_id}") == []


def test_it_leaves_out_a_draft_whose_record_expired_before_any_cleanup(staff_viewer, owner, drafts_redis):
    alive = start_draft(browser(owner), project_name="Still here")
    expired = start_draft(browser(ua=IPHONE_UA), project_name="Gone already")
    expire_now(drafts_redis, expired)
    assert index_memberships(drafts_redis, expired)  # cleanup has not run: the indexes still name it
    client = logged_in(staff_viewer)

    for params in ({}, {"o": "created"}, {"kind": "anonymous"}, {"step": "requirements"}, {"q": "gone"}):
        response = client.get(LIST_URL, params)
        assert expired not in [row["id"] for row in rows(response)], params
        assert "Gone already" not in response.content.decode(), params
    assert listed_ids(client) == [alive]


def test_it_does_not_count_a_draft_whose_record_expired(staff_viewer, owner, drafts_redis):
    start_draft(browser(owner), project_name="Still here")
    expired = start_draft(browser(ua=IPHONE_UA), project_name="Gone already")
    expire_now(drafts_redis, expired)
    client = logged_in(staff_viewer)

    assert paginator(client.get(LIST_URL)) == (1, 1, 1)
    assert paginator(client.get(LIST_URL, {"kind": "anonymous"})) == (0, 1, 1)
    assert paginator(client.get(LIST_URL, {"q": "gone"})) == (0, 1, 1)


def test_it_does_not_count_a_staff_visit_as_activity(staff_viewer, owner, drafts_redis):
    draft_id = start_draft(browser(owner))
    key = draft_key(drafts_redis, draft_id)
    drafts_redis.pexpire(key, 60_000)
    before = drafts_redis.get(key)
    client = logged_in(staff_viewer)

    client.get(LIST_URL)
    client.get(f"{LIST_URL}{draft_id}/")

    assert 0 < drafts_redis.pttl(key) <= 60_000
    assert drafts_redis.get(key) == before


# --- the detail page --------------------------------------------------------------------------------

@pytest.fixture
def full_draft(owner, pdf):
    """A signed-in user's draft at review: every detail, two documents, two connectors."""
    client = browser(owner)
    draft_id = start_draft(client)
    attach(client, draft_id, pdf("brief.pdf", "Brief"), upload("floors.txt", b"Floor 2: open plan\n", "text/plain"),
           notes="Keep the plant room.")
    response = client.post(step_url(draft_id, "sources"), sources_post(connectors=CONNECTORS))
    assert response["Location"] == step_url(draft_id, "review")
    return draft_id


def test_it_shows_every_answer_of_steps_one_to_three(staff_viewer, full_draft):
    response = logged_in(staff_viewer).get(f"{LIST_URL}{full_draft}/")

    assert response.status_code == 200
    shown = dict(readonly_rows(response))
    for field, value in VALID_DETAILS.items():
        assert shown[field.replace("_", " ").capitalize()] == value, field
    assert shown["Notes on the requirements"] == "Keep the plant room."
    assert shown["Let AI find relevant public data sources"] == "on"
    assert shown["Connector 1"] == "google_drive: https://drive.google.com/drive/folders/abc"
    assert shown["Connector 2"] == "s3: s3://harbour-bucket/drawings/"
    assert "Connector 3" not in shown
    assert shown["Owner"] == "owner"
    assert shown["Progress"] == "Step 4 of 4 (75% complete)"
    content = response.content.decode()
    for title in ("Project details — complete", "Requirements documents — complete", "Data sources — complete"):
        assert title in content
    assert "Review &amp; create —" not in content


def test_it_shows_the_metadata_and_the_dates(staff_viewer, full_draft, drafts_redis):
    stored = record(drafts_redis, full_draft)

    shown = dict(readonly_rows(logged_in(staff_viewer).get(f"{LIST_URL}{full_draft}/")))

    assert shown["Draft id"] == full_draft
    assert shown["IP address"] == "203.0.113.7"
    assert shown["User agent"] == WINDOWS_UA
    assert shown["Platform"] == "Windows"
    assert shown["Created"] == local(stored["created_at"], "%Y-%m-%d %H:%M:%S UTC")
    assert shown["Last activity"] == local(stored["last_activity"], "%Y-%m-%d %H:%M:%S UTC")
    expires, in_words = re.fullmatch(r"(.+ UTC) \(in (.+)\)", shown["Expires"]).groups()
    shown_expiry = datetime.strptime(expires, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=timezone.utc)
    assert abs(shown_expiry - datetime.fromisoformat(stored["expires_at"])) < timedelta(seconds=2)
    assert in_words == "23 hours, 59 minutes"


def test_it_shows_the_expiry_redis_will_apply_on_the_detail_page(staff_viewer, owner, frozen_clock):
    owner_browser = browser(owner)
    draft_id = start_draft(owner_browser)
    frozen_clock.travel(timedelta(hours=10))
    assert owner_browser.get(step_url(draft_id, "requirements")).status_code == 200  # a read: the TTL slides
    client = logged_in(staff_viewer)

    [row] = rows(client.get(LIST_URL))
    shown = dict(readonly_rows(client.get(f"{LIST_URL}{draft_id}/")))

    assert row["expires_in"] == "23 hours, 59 minutes"
    assert shown["Expires"].endswith("(in 23 hours, 59 minutes)")


def file_links(response, draft_id):
    return dict(
        (html.unescape(name), url)
        for url, name in re.findall(
            rf'<a href="({LIST_URL}{draft_id}/files/[^"/]+/)">([^<]+)</a>', response.content.decode()
        )
    )


def test_it_lists_the_documents_with_download_links_that_return_their_bytes(staff_viewer, full_draft):
    client = logged_in(staff_viewer)
    response = client.get(f"{LIST_URL}{full_draft}/")
    links = file_links(response, full_draft)
    assert set(links) == {"brief.pdf", "floors.txt"}
    assert "application/pdf" in response.content.decode()

    download = client.get(links["brief.pdf"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes("Brief")
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="brief.pdf"'

    download = client.get(links["floors.txt"])
    assert b"".join(download.streaming_content) == b"Floor 2: open plan\n"

    assert client.get(f"{LIST_URL}{full_draft}/files/not-a-file/").status_code == 404
    assert client.get(f"{LIST_URL}{uuid.uuid4()}/files/not-a-file/").status_code == 404


def test_it_refuses_downloads_to_anyone_who_may_not_view_drafts(
    staff_viewer, staff_without_permission, non_staff, full_draft
):
    url = file_links(logged_in(staff_viewer).get(f"{LIST_URL}{full_draft}/"), full_draft)["brief.pdf"]

    assert logged_in(staff_without_permission).get(url).status_code == 403
    for client in (logged_in(non_staff), Client()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("how", ["never existed", "deleted", "expired"])
def test_it_sends_staff_back_to_the_list_for_a_draft_that_is_gone(how, staff_viewer, owner, drafts_redis):
    draft_id = str(uuid.uuid4())
    if how != "never existed":
        draft_id = start_draft(browser(owner))
        if how == "deleted":
            drafts_redis.delete(draft_key(drafts_redis, draft_id))
        else:
            expire_now(drafts_redis, draft_id)

    response = logged_in(staff_viewer).get(f"{LIST_URL}{draft_id}/", follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert messages_of(response) == ["That draft no longer exists (it expired, was committed or deleted)."]


def test_it_has_no_way_to_change_a_users_answers(superuser, full_draft, drafts_redis):
    client = logged_in(superuser)
    url = f"{LIST_URL}{full_draft}/"
    key = draft_key(drafts_redis, full_draft)
    before = drafts_redis.get(key)

    page = client.get(url).content.decode()
    names = set(re.findall(r'<(?:input|button|select|textarea)[^>]*\bname="([^"]+)"', page))
    assert names <= {"csrfmiddlewaretoken", "_selected_action", "back", "action"}, names
    assert "<textarea" not in page and "<select" not in page
    assert [tag for tag in re.findall(r"<input[^>]*>", page) if 'name="' in tag and 'type="hidden"' not in tag] == []
    assert set(re.findall(r'<form[^>]*action="([^"]+)"', page)) <= {LIST_URL, "/admin/logout/"}

    tampering = {
        "details-project_name": "Hacked",
        "project_name": "Hacked",
        "requirements-requirements_notes": "Hacked",
        "_save": "Save",
        **management("details"),
    }
    response = client.post(url, tampering)
    assert response.status_code in (200, 403, 405)
    assert client.post(f"{url}change/", tampering).status_code == 404
    assert client.post(f"{LIST_URL}add/", tampering).status_code in (403, 404, 405)

    assert drafts_redis.get(key) == before


# --- actions ----------------------------------------------------------------------------------------

def act(client, action, ids, follow=False, **extra):
    return client.post(LIST_URL, {"action": action, "_selected_action": list(ids), **extra}, follow=follow)


def test_it_exports_the_selected_drafts_as_a_json_attachment(staff_viewer, four_drafts, drafts_redis):
    selected = [four_drafts["user_review"], four_drafts["anonymous_requirements"]]
    before = {draft_id: drafts_redis.get(draft_key(drafts_redis, draft_id)) for draft_id in four_drafts.values()}

    response = act(logged_in(staff_viewer), "export", selected)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(r'attachment; filename="drafts-\d{8}-\d{6}\.json"', response["Content-Disposition"])
    exported = {item["id"]: item for item in json.loads(response.content)}
    assert set(exported) == set(selected)
    for draft_id, item in exported.items():
        stored = json.loads(before[draft_id])
        assert item["owner"] == stored["owner"]
        assert item["wizard"] == stored["wizard"]
        assert item["files"] == stored["files"]
        assert item["validation"] == stored["validation"]
        assert item["metadata"] == stored["metadata"]
        assert item["created_at"] == stored["created_at"]
        assert item["last_activity"] == stored["last_activity"]
    review = exported[four_drafts["user_review"]]
    assert review["wizard"]["step_data"]["details"]["details-project_name"] == [VALID_DETAILS["project_name"]]
    assert review["wizard"]["step_data"]["sources"]["sources-connectors-0-target"] == [
        "https://drive.google.com/drive/folders/abc"
    ]
    assert [item["name"] for item in review["files"]] == ["spec.pdf"]
    assert exported[four_drafts["anonymous_requirements"]]["owner"].startswith("a:")
    assert exported[four_drafts["anonymous_requirements"]]["metadata"]["ip_address"] == "198.51.100.1"
    # Exporting is a read: nothing changed.
    assert {draft_id: drafts_redis.get(draft_key(drafts_redis, draft_id)) for draft_id in four_drafts.values()} == before


def test_it_asks_before_deleting_and_deletes_nothing_until_confirmed(staff_deleter, four_drafts, drafts_redis, settings):
    selected = [four_drafts["user_review"], four_drafts["anonymous_review"]]
    keys_before = sorted(drafts_redis.keys("*"))

    response = act(logged_in(staff_deleter), "delete", selected)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Are you sure?" in content
    for draft_id in selected:
        assert f"<code>{draft_id}</code>" in content
        assert f'<input type="hidden" name="_selected_action" value="{draft_id}">' in content
    assert '<input type="hidden" name="confirm" value="yes">' in content
    assert four_drafts["user_sources"] not in content
    assert sorted(drafts_redis.keys("*")) == keys_before
    for draft_id in selected:
        assert (settings.DRAFT_UPLOAD_ROOT / draft_id).is_dir()


def test_it_deletes_the_selected_drafts_everywhere_once_confirmed(staff_deleter, four_drafts, drafts_redis, settings):
    selected = [four_drafts["user_review"], four_drafts["anonymous_review"]]
    kept = [four_drafts["user_sources"], four_drafts["anonymous_requirements"]]
    for draft_id in selected:
        assert index_memberships(drafts_redis, draft_id)
        assert any((settings.DRAFT_UPLOAD_ROOT / draft_id).iterdir())

    response = act(logged_in(staff_deleter), "delete", selected, confirm="yes", back=LIST_URL)
    assert response.status_code == 302
    assert response["Location"] == LIST_URL

    for draft_id in selected:
        assert drafts_redis.keys(f"*draft:{draft_id}") == []
        assert drafts_redis.keys(f"*{draft_id}*") == []
        assert index_memberships(drafts_redis, draft_id) == []
        assert not (settings.DRAFT_UPLOAD_ROOT / draft_id).exists()
    for draft_id in kept:
        assert drafts_redis.keys(f"*draft:{draft_id}")
        assert index_memberships(drafts_redis, draft_id)
    assert (settings.DRAFT_UPLOAD_ROOT / four_drafts["user_sources"]).is_dir()
    followed = logged_in(staff_deleter).get(LIST_URL)
    assert set(listed_ids(logged_in(staff_deleter))) == set(kept)
    assert paginator(followed) == (2, 1, 1)
    assert set(listed_ids(logged_in(staff_deleter), step="review")) == set()


def test_it_tells_staff_how_many_drafts_were_deleted(staff_deleter, four_drafts):
    response = act(logged_in(staff_deleter), "delete", [four_drafts["user_review"]], confirm="yes", follow=True)
    assert messages_of(response) == ["Deleted 1 draft(s) and their uploaded files."]


@pytest.mark.parametrize("who", ["staff_viewer", "staff_extender", "staff_delete_only"])
def test_it_refuses_to_delete_without_the_delete_permission(who, request, four_drafts, drafts_redis, settings):
    user = staff("deleter_without_view", "delete_draftrecord") if who == "staff_delete_only" else request.getfixturevalue(who)
    client = logged_in(user)
    draft_id = four_drafts["user_review"]
    keys_before = sorted(drafts_redis.keys("*"))

    assert act(client, "delete", [draft_id]).status_code == 403
    assert act(client, "delete", [draft_id], confirm="yes").status_code == 403

    assert sorted(drafts_redis.keys("*")) == keys_before
    assert (settings.DRAFT_UPLOAD_ROOT / draft_id).is_dir()


def test_it_extends_the_expiry_without_counting_it_as_activity(
    staff_extender, four_drafts, drafts_redis, frozen_clock, settings
):
    selected = [four_drafts["user_review"], four_drafts["anonymous_requirements"]]
    untouched = four_drafts["user_sources"]
    for draft_id in (*selected, untouched):
        drafts_redis.expire(draft_key(drafts_redis, draft_id), 600)
    before = {draft_id: record(drafts_redis, draft_id) for draft_id in selected}
    activity_scores = {draft_id: drafts_redis.zscore(drafts_redis.keys("*:index")[0], draft_id) for draft_id in selected}
    frozen_clock.travel(timedelta(hours=2))

    response = act(logged_in(staff_extender), "extend", selected, back=f"{LIST_URL}?kind=user")

    assert response.status_code == 302
    assert response["Location"] == f"{LIST_URL}?kind=user"
    for draft_id in selected:
        assert settings.SESSION_TTL - 5 <= drafts_redis.ttl(draft_key(drafts_redis, draft_id)) <= settings.SESSION_TTL
        after = record(drafts_redis, draft_id)
        assert after["last_activity"] == before[draft_id]["last_activity"]
        assert after["wizard"] == before[draft_id]["wizard"]
        assert drafts_redis.zscore(drafts_redis.keys("*:index")[0], draft_id) == activity_scores[draft_id]
        expires = datetime.fromisoformat(after["expires_at"])
        assert abs(expires - (frozen_clock.now() + timedelta(seconds=settings.SESSION_TTL))) < timedelta(seconds=5)
    assert drafts_redis.ttl(draft_key(drafts_redis, untouched)) <= 600
    # The list now agrees.
    listed = {row["id"]: row for row in rows(logged_in(staff_extender).get(LIST_URL))}
    assert listed[selected[0]]["expires_in"] == "23 hours, 59 minutes"
    assert listed[untouched]["expires_in"] == "9 minutes"


def test_it_tells_staff_how_many_drafts_were_extended(staff_extender, four_drafts):
    response = act(logged_in(staff_extender), "extend", [four_drafts["user_review"]], follow=True)
    assert len(messages_of(response)) == 1
    assert messages_of(response)[0].startswith("Extended 1 draft(s): each now expires ")


def test_it_tells_staff_the_new_expiry_the_action_promised(staff_extender, four_drafts, frozen_clock):
    # Any offset between the app clock and the wall clock shows the mismatch deterministically
    # (without one, it is off by the microseconds between the two reads: "23 hours, 59 minutes").
    frozen_clock.travel(timedelta(minutes=-1))
    client = logged_in(staff_extender)
    assert "Extend expiry of selected drafts (1\xa0day from now)" in client.get(LIST_URL).content.decode()

    response = act(client, "extend", [four_drafts["user_review"]], follow=True)

    assert messages_of(response) == ["Extended 1 draft(s): each now expires 1\xa0day from now."]


@pytest.mark.parametrize("who", ["staff_viewer", "staff_deleter"])
def test_it_refuses_to_extend_without_the_expiry_permission(who, request, four_drafts, drafts_redis):
    draft_id = four_drafts["user_review"]
    key = draft_key(drafts_redis, draft_id)
    drafts_redis.expire(key, 600)
    before = drafts_redis.get(key)

    assert act(logged_in(request.getfixturevalue(who)), "extend", [draft_id]).status_code == 403

    assert drafts_redis.ttl(key) <= 600
    assert drafts_redis.get(key) == before


@pytest.mark.parametrize(
    "who, offered",
    [
        ("staff_viewer", ["", "export"]),
        ("staff_deleter", ["", "export", "delete"]),
        ("staff_extender", ["", "export", "extend"]),
        ("superuser", ["", "export", "extend", "delete"]),
    ],
)
def test_it_offers_only_the_actions_staff_may_run(who, offered, request, owner):
    draft_id = start_draft(browser(owner))
    client = logged_in(request.getfixturevalue(who))

    assert select_options(client.get(LIST_URL)) == offered

    detail = client.get(f"{LIST_URL}{draft_id}/").content.decode()
    buttons = re.findall(r'<button type="submit" name="action" value="([^"]+)"', detail)
    assert buttons == [value for value in offered if value]


@pytest.mark.parametrize("action", ["delete", "extend", "export"])
def test_it_does_nothing_when_no_draft_is_selected(action, superuser, four_drafts, drafts_redis):
    keys_before = {key: drafts_redis.get(key) for key in drafts_redis.keys("*draft:*")}

    response = logged_in(superuser).post(
        LIST_URL, {"action": action, "confirm": "yes", "back": f"{LIST_URL}?kind=user"}, follow=True
    )

    assert response.redirect_chain == [(f"{LIST_URL}?kind=user", 302)]
    assert messages_of(response) == ["Select one or more drafts first."]
    assert {key: drafts_redis.get(key) for key in drafts_redis.keys("*draft:*")} == keys_before


def test_it_asks_for_an_action_when_none_is_chosen(superuser, four_drafts, drafts_redis):
    keys_before = {key: drafts_redis.dump(key) for key in drafts_redis.keys("*")}

    response = act(logged_in(superuser), "", [four_drafts["user_review"]], follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert messages_of(response) == ["Choose an action."]
    assert {key: drafts_redis.dump(key) for key in drafts_redis.keys("*")} == keys_before


@pytest.mark.parametrize("back", ["//evil.example/phish", "///evil.example/phish"])
def test_it_only_redirects_back_within_the_site(back, staff_extender, four_drafts):
    client = logged_in(staff_extender)

    for response in (act(client, "extend", [four_drafts["user_review"]], back=back), act(client, "extend", [], back=back)):
        assert response.status_code == 302
        assert response["Location"] == LIST_URL


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
