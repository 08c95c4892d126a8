"""Staff review of drafts in Django admin: the export / delete / extend actions, each only for the
staff whose permissions allow it, and what they do to Redis and the uploads. The users and helpers
are in admin_helpers.py.
"""

import json
import re
from datetime import datetime, timedelta

import pytest

from .admin_helpers import (
    LIST_URL,
    browser,
    draft_key,
    index_memberships,
    listed_ids,
    logged_in,
    messages_of,
    paginator,
    record,
    rows,
    staff,
)
from .admin_helpers import (  # noqa: F401 (fixtures)
    day_long_drafts,
    four_drafts,
    staff_deleter,
    staff_extender,
    staff_viewer,
    superuser,
)
from .wizard_helpers import VALID_DETAILS, start_draft

pytestmark = pytest.mark.django_db


# --- actions ----------------------------------------------------------------------------------------

def select_options(response):
    match = re.search(r'<select name="action"[^>]*>(.*?)</select>', response.content.decode(), re.S)
    assert match, "no action select"
    return re.findall(r'<option value="([^"]*)"', match.group(1))


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
