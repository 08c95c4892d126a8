"""Staff review of drafts in Django admin, over a real Redis and real uploads: who sees the Drafts
section, and the list's columns, sorting, filters and pagination read from the Redis indexes,
without the drafts whose record expired. Search is in test_admin_drafts_search.py; the users and
helpers are in admin_helpers.py.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from sessions_store import redis_admin

from .admin_helpers import (
    IPHONE_UA,
    LIST_URL,
    WINDOWS_UA,
    attach,
    browser,
    bulk_drafts,
    draft_key,
    index_memberships,
    listed_ids,
    listed_names,
    local,
    logged_in,
    paginator,
    record,
    rows,
)
from .admin_helpers import (  # noqa: F401 (fixtures)
    day_long_drafts,
    four_drafts,
    non_staff,
    staff_viewer,
    staff_without_permission,
)
from .conftest import PASSWORD
from .wizard_helpers import VALID_DETAILS, complete_until_review, expire_for_real, move_drafts_after_sign_in, start_draft

pytestmark = pytest.mark.django_db


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


def test_it_lists_an_anonymous_draft_under_its_user_once_the_visitor_signs_in(staff_viewer, owner):
    visitor = browser(ua=IPHONE_UA, ip="198.51.100.9")
    draft_id = start_draft(visitor)
    client = logged_in(staff_viewer)
    assert [row["owner"] for row in rows(client.get(LIST_URL))] == ["anonymous (198.51.100.9)"]

    response = move_drafts_after_sign_in(visitor, visitor.post(reverse("login"), {"username": owner.username, "password": PASSWORD}))
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
    assert listed_names(client, p=3) == ["Bulk 02", "Bulk 01", "Bulk 00"]  # past the end: the last page
    assert len(listed_ids(client, p="not-a-number")) == 50


def after_each_chunk(monkeypatch, then):
    """Every INTERSECT_CHUNK the admin runs calls ``then(keys, args)`` once it has run."""
    from sessions_store import redis_scripts

    real = redis_admin.script

    def script(source):
        run = real(source)
        if source != redis_scripts.INTERSECT_CHUNK:
            return run

        def chunk(keys, args):
            answer = run(keys=keys, args=args)
            then(keys, args)
            return answer

        return chunk

    monkeypatch.setattr(redis_admin, "script", script)


@pytest.fixture
def intersections(drafts_redis, monkeypatch):
    """Intersections built so far: ``intersections()`` counts the chunks run (INTERSECT_CHUNK
    scripts), plus any ZINTERSTORE (scripts' calls included)."""
    chunks = []
    after_each_chunk(monkeypatch, lambda keys, args: chunks.append(args))

    def count():
        stats = drafts_redis.info("commandstats")
        return len(chunks) + stats.get("cmdstat_zinterstore", {}).get("calls", 0)

    return count


def test_it_pages_a_filtered_list_from_one_intersection_of_its_indexes(staff_viewer, owner, frozen_clock, drafts_redis, intersections):
    drafts = bulk_drafts(53, f"u:{owner.pk}", frozen_clock)
    client = logged_in(staff_viewer)
    before = intersections()

    first = listed_names(client, step="requirements", kind="user")
    second = listed_names(client, step="requirements", kind="user", p=2)
    oldest_first = listed_names(client, step="requirements", kind="user", o="created", p=2)

    assert len(first) == 50 and first[0] == "Bulk 52"
    assert second == ["Bulk 02", "Bulk 01", "Bulk 00"]
    assert oldest_first == ["Bulk 50", "Bulk 51", "Bulk 52"]
    assert intersections() - before == 2  # one per filter and sort, reused by its next page
    # One filter, sorted by last activity: that filter's own index is the list, no intersection.
    assert listed_names(client, step="requirements", p=2) == ["Bulk 02", "Bulk 01", "Bulk 00"]
    assert intersections() - before == 2
    assert {draft.id for draft in drafts} == set(listed_ids(client, kind="user")) | set(listed_ids(client, kind="user", p=2))



def test_it_builds_a_filtered_list_in_short_chunks_that_leave_no_draft_out(staff_viewer, owner, frozen_clock, drafts_redis, monkeypatch, intersections):
    # Chunks of 7 over 53 drafts, and drafts that share a last-activity time (a tie across a
    # chunk's edge must be neither skipped nor read twice): the same list as one intersection.
    monkeypatch.setattr(redis_admin, "INTERSECTION_CHUNK", 7)
    drafts = bulk_drafts(53, f"u:{owner.pk}", frozen_clock)
    for key in drafts_redis.keys("*index:step:requirements") + drafts_redis.keys("*index:kind:user"):
        # Last activity in threes at the same instant (as a bulk import could leave them).
        drafts_redis.zadd(key, {draft.id: 1_800_000_000 + number // 3 for number, draft in enumerate(drafts)})
    client = logged_in(staff_viewer)
    before = intersections()

    listed = listed_ids(client, step="requirements", kind="user") + listed_ids(client, step="requirements", kind="user", p=2)

    assert sorted(listed) == sorted(draft.id for draft in drafts)
    assert intersections() - before == 8  # ceil(53 / 7) chunks, each a short script
    assert paginator(client.get(LIST_URL, {"step": "requirements", "kind": "user"})) == (53, 1, 2)
    assert [key for key in drafts_redis.keys("*tmp:*") if re.search(rb":[0-9a-f]{32}$", key)] == []  # no chunks left behind


def test_it_leaves_out_a_draft_whose_record_expired_before_any_cleanup(staff_viewer, owner, drafts_redis):
    alive = start_draft(browser(owner), project_name="Still here")
    expired = start_draft(browser(ua=IPHONE_UA), project_name="Gone already")
    expire_for_real(drafts_redis, expired)
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
    expire_for_real(drafts_redis, expired)
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


def test_it_rebuilds_a_filtered_list_whose_intersection_went_before_its_count(staff_viewer, owner, frozen_clock, drafts_redis):
    # The result and its count are two keys, each with its own expiry (set a moment apart, and
    # either may be evicted under maxmemory): a count without its result is no intersection,
    # not "5 drafts" over an empty page for the next 30 seconds.
    drafts = bulk_drafts(5, f"u:{owner.pk}", frozen_clock)
    client = logged_in(staff_viewer)
    assert len(listed_ids(client, step="requirements", kind="user")) == 5
    results = [key for key in drafts_redis.keys("*tmp:*") if not key.endswith(b":n")]
    assert results
    drafts_redis.delete(*results)

    assert sorted(listed_ids(client, step="requirements", kind="user")) == sorted(draft.id for draft in drafts)


def test_it_leaves_no_draft_out_when_one_read_at_a_shared_time_is_saved_mid_build(staff_viewer, owner, frozen_clock, drafts_redis, monkeypatch):
    # Nine drafts at one last-activity time (a bulk import), chunks of 3. After the first chunk,
    # the second draft it read is saved (it moves to the end of its indexes): the next chunk's
    # "skip the 2 already read at that time" then skips one never read.
    monkeypatch.setattr(redis_admin, "INTERSECTION_CHUNK", 3)
    drafts = bulk_drafts(9, f"u:{owner.pk}", frozen_clock)
    keys = drafts_redis.keys("*index:step:requirements") + drafts_redis.keys("*index:kind:user")
    for key in keys:
        drafts_redis.zadd(key, {draft.id: 1_800_000_000 for draft in drafts})
    saved_meanwhile = sorted(draft.id for draft in drafts)[1]
    keys_saved = keys + drafts_redis.keys("*:index")

    def save_after_the_first(_keys, args):
        if args[0] == "-inf":
            for key in keys_saved:
                drafts_redis.zadd(key, {saved_meanwhile: 1_800_000_100})

    after_each_chunk(monkeypatch, save_after_the_first)
    client = logged_in(staff_viewer)

    assert sorted(listed_ids(client, step="requirements", kind="user")) == sorted(draft.id for draft in drafts)
