"""The JSON session API's limits: the size cap of a draft, draft creations per minute per address
(counted with the wizard pages' creations), and lookups of missing drafts per network (pages and
API alike).

Real Redis and a real database throughout; the requests are in api_helpers.py.
"""

import html
import json
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from .api_helpers import create, created, current, read, session_url, update
from .factories import UserFactory
from .wizard_helpers import browser, details_post, draft_count, json_error, management, start_draft, step_url

pytestmark = pytest.mark.django_db


# --- limits --------------------------------------------------------------------------------------

def limit_keys(redis, kind):
    return redis.keys(f"*limit:{kind}:*")


def test_it_refuses_a_draft_larger_than_the_size_cap(settings, anonymous, drafts_redis):
    settings.SESSION_MAX_BYTES = 2048
    long_text = "Chillers and air handling units, floor by floor. " * 24  # ~1,200 characters

    too_big = json_error(create(anonymous, {"projectData": {"projectDescription": long_text, "requirementsNotes": long_text}}), 413, "PAYLOAD_TOO_LARGE")
    assert "2 KB" in too_big["message"]
    assert draft_count(drafts_redis) == 0

    before = created(anonymous, {"projectData": {"projectDescription": long_text}})
    json_error(update(anonymous, {"sessionId": before["sessionId"], "version": before["version"], "projectData": {"requirementsNotes": long_text}}), 413, "PAYLOAD_TOO_LARGE")
    after = current(anonymous, before["sessionId"])
    assert after["version"] == before["version"] and after["projectData"]["requirementsNotes"] in ("", None)


def test_it_limits_draft_creations_per_minute_per_address(settings, anonymous, drafts_redis):
    settings.SESSION_RATE_LIMIT = 3
    for _ in range(3):
        created(anonymous)

    response = create(anonymous, {"projectData": {"projectName": "Fourth"}})

    limited = json_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in limited["message"]
    assert draft_count(drafts_redis) == 3
    # Another address is not limited; updates are not creations.
    created(anonymous, REMOTE_ADDR="198.51.100.7")
    first = json.loads(drafts_redis.get(drafts_redis.keys("*:draft:*")[0]))
    session = current(anonymous, first["id"])
    assert update(anonymous, {"sessionId": session["sessionId"], "version": session["version"], "projectData": {"projectName": "x"}}).status_code == 200

    # The window is a Redis TTL of at most a minute: when it ends, creating works again.
    (key,) = [k for k in limit_keys(drafts_redis, "create") if k.decode().endswith(":127.0.0.1")]
    assert 0 < drafts_redis.ttl(key) <= 60
    drafts_redis.pexpire(key, 1)
    deadline = time.monotonic() + 2
    while drafts_redis.exists(key):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    created(anonymous)


def test_it_counts_wizard_creations_in_the_same_limit_and_keeps_the_input(settings, signed_in, drafts_redis):
    settings.SESSION_RATE_LIMIT = 3
    created(signed_in)
    start_draft(signed_in)
    autosaved = signed_in.post(reverse("projects:autosave_new"), {"details-project_name": "Typed", **management("details")})
    assert autosaved.json()["saved"] is True

    response = signed_in.post(reverse("projects:wizard_new"), details_post(project_name="Fourth <draft> & co"))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    page = html.unescape(response.content.decode())
    assert "Too many new drafts were started from your network" in page
    assert 'value="Fourth <draft> & co"' in page
    assert 'value="facilities@harbour.example"' in page
    assert draft_count(drafts_redis) == 3
    json_error(create(signed_in), 429, "RATE_LIMITED")


def test_it_refuses_lookups_after_too_many_misses_from_one_address(settings, anonymous, signed_in):
    settings.SESSION_MAX_ATTEMPTS = 3
    own = created(signed_in)["sessionId"]
    others = created(browser(UserFactory(username="someone")))["sessionId"]

    for missing in (str(uuid.uuid4()), "not-a-uuid", others):
        json_error(read(anonymous, missing), 404, "SESSION_NOT_FOUND")

    response = read(anonymous, str(uuid.uuid4()))

    limited = json_error(response, 429, "TOO_MANY_ATTEMPTS")
    assert 1 <= int(response["Retry-After"]) <= django_settings.SESSION_ATTEMPT_WINDOW
    assert response["Retry-After"] in limited["message"]
    json_error(anonymous.delete(session_url(others)), 429, "TOO_MANY_ATTEMPTS")
    # The owner's own draft still opens from the same address, through the API and the pages.
    assert current(signed_in, own)["sessionId"] == own
    assert signed_in.get(step_url(own, "details")).status_code == 200
    # Another address is not limited.
    json_error(read(anonymous, str(uuid.uuid4()), REMOTE_ADDR="198.51.100.7"), 404, "SESSION_NOT_FOUND")


def test_it_refuses_wizard_pages_of_missing_drafts_after_too_many_misses(settings, signed_in):
    settings.SESSION_MAX_ATTEMPTS = 3
    own = start_draft(signed_in)
    stranger = browser()

    for _ in range(3):
        assert stranger.get(step_url(str(uuid.uuid4()), "details")).status_code == 404

    response = stranger.get(step_url(str(uuid.uuid4()), "details"))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= django_settings.SESSION_ATTEMPT_WINDOW
    assert "Too many requests for drafts that could not be found" in response.content.decode()
    assert stranger.get(step_url(own, "details")).status_code == 429  # not theirs: still a miss
    assert signed_in.get(step_url(own, "details")).status_code == 200
    json_error(read(stranger, str(uuid.uuid4())), 429, "TOO_MANY_ATTEMPTS")  # one counter for pages and API


@pytest.mark.parametrize(
    "addresses",
    [("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"), ("::ffff:192.0.2.7", "192.0.2.7")],
    ids=["one IPv6 /48", "an IPv4-mapped address and its IPv4"],
)
def test_lookups_of_missing_drafts_count_per_network_not_per_address(settings, addresses):
    settings.SESSION_MAX_ATTEMPTS = 2
    first, second = (browser(REMOTE_ADDR=address) for address in addresses)
    for client in (first, second):
        json_error(read(client, str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
    json_error(read(first, str(uuid.uuid4())), 429, "TOO_MANY_ATTEMPTS")
    # Another network is not affected.
    json_error(read(browser(REMOTE_ADDR="2001:db8:9:9::1"), str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
