"""An anonymous draft is bound to its browser: the session token plus the browser's family (its
name and OS), so a browser update keeps the draft, while the same cookies in another browser are
told where the draft was started. Drafts stored before the family rule keep working."""

import hashlib
import json

import pytest
from django.test import Client
from django.urls import reverse

from sessions_store.drafts import SCHEMA_VERSION, user_agent_family
from sessions_store.store import get_draft_store

from .lifecycle_helpers import NAME, text
from .wizard_helpers import details_post, start_draft, step_url

pytestmark = pytest.mark.django_db

CHROME_130 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
CHROME_131 = CHROME_130.replace("130.0.0.0", "131.0.0.0")
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
CHROME_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
EDGE_WINDOWS = CHROME_131 + " Edg/131.0.2903.51"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_IPHONE = SAFARI_IPHONE.replace("Version/17.5", "CriOS/131.0.6778.73")
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0"


def chrome():
    return Client(HTTP_USER_AGENT=CHROME_130)


def exact_hash(user_agent):
    """How records of schema 2 bound an anonymous draft: a hash of the whole user-agent string."""
    return hashlib.sha256(user_agent.encode()).hexdigest()[:16]


def rewrite_as_schema_2(redis, draft_id, user_agent):
    key = get_draft_store().key("draft", draft_id)
    record = json.loads(redis.get(key))
    record.update({"schema": 2, "ua": exact_hash(user_agent)})
    record.pop("link_secret", None)
    redis.set(key, json.dumps(record), keepttl=True)


@pytest.mark.parametrize(
    "user_agent, family",
    [
        (CHROME_130, "Chrome on Windows"),
        (CHROME_131, "Chrome on Windows"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (CHROME_MAC, "Chrome on macOS"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (CHROME_IPHONE, "Chrome on iOS"),
        (FIREFOX_ANDROID, "Firefox on Android"),
        ("curl/8.5.0", "Other browser on another system"),
        ("", "Other browser on another system"),
    ],
)
def test_it_names_a_browser_by_its_name_and_system_only(user_agent, family):
    assert user_agent_family(user_agent) == family


def test_it_keeps_an_anonymous_draft_through_a_browser_update():
    browser = chrome()
    draft_id = start_draft(browser)

    browser.defaults["HTTP_USER_AGENT"] = CHROME_131

    assert browser.get(step_url(draft_id, "requirements")).status_code == 200
    assert NAME in text(browser.get(reverse("projects:drafts")))


def test_it_says_a_draft_was_started_in_another_browser(settings):
    settings.SESSION_MAX_ATTEMPTS = 1
    browser = chrome()
    draft_id = start_draft(browser)

    browser.defaults["HTTP_USER_AGENT"] = FIREFOX_WINDOWS
    for _ in range(3):  # not a miss: the limit on missing drafts never answers instead
        response = browser.get(step_url(draft_id, "requirements"))
        assert response.status_code == 403
        page = text(response)
        assert "This draft was started in another browser" in page
        assert "Chrome on Windows" in page
        assert NAME not in page
        assert reverse("login") in response.content.decode()
        assert "emailed link" in page
    assert browser.post(step_url(draft_id, "details"), details_post(project_name="Changed")).status_code == 403
    assert NAME not in text(browser.get(reverse("projects:drafts")))

    browser.defaults["HTTP_USER_AGENT"] = CHROME_131
    assert NAME in text(browser.get(step_url(draft_id, "details")))


def test_it_still_answers_someone_elses_draft_with_not_found_and_counts_the_miss(settings):
    settings.SESSION_MAX_ATTEMPTS = 2
    draft_id = start_draft(chrome())
    stranger = chrome()

    assert [stranger.get(step_url(draft_id, "details")).status_code for _ in range(3)] == [404, 404, 429]


def test_it_keeps_opening_a_draft_saved_before_the_family_rule_after_a_browser_update(drafts_redis):
    browser = chrome()
    draft_id = start_draft(browser)
    rewrite_as_schema_2(drafts_redis, draft_id, CHROME_130)

    browser.defaults["HTTP_USER_AGENT"] = CHROME_131
    assert browser.get(step_url(draft_id, "requirements")).status_code == 200
    assert NAME in text(browser.get(reverse("projects:drafts")))
    browser.defaults["HTTP_USER_AGENT"] = FIREFOX_WINDOWS
    assert browser.get(step_url(draft_id, "requirements")).status_code == 403

    # Its next save writes it in the current layout, bound to the family.
    browser.defaults["HTTP_USER_AGENT"] = CHROME_131
    assert browser.post(step_url(draft_id, "details"), details_post(project_name="Saved again")).status_code == 302
    record = json.loads(drafts_redis.get(get_draft_store().key("draft", draft_id)))
    assert record["schema"] == SCHEMA_VERSION
    assert record["ua"] != exact_hash(CHROME_130)
    browser.defaults["HTTP_USER_AGENT"] = CHROME_130
    assert browser.get(step_url(draft_id, "requirements")).status_code == 200


def test_it_keeps_opening_an_old_draft_whose_user_agent_was_not_kept_whole(drafts_redis):
    # Metadata keeps the first 512 characters of the user agent: such a record can't be moved to
    # the family rule, and still opens in the very browser that made it.
    long_agent = CHROME_130 + " Extension/" + "x" * 600
    browser = Client(HTTP_USER_AGENT=long_agent)
    draft_id = start_draft(browser)
    rewrite_as_schema_2(drafts_redis, draft_id, long_agent)

    assert browser.get(step_url(draft_id, "requirements")).status_code == 200
    browser.defaults["HTTP_USER_AGENT"] = FIREFOX_WINDOWS
    assert browser.get(step_url(draft_id, "requirements")).status_code in (403, 404)
    assert NAME not in text(browser.get(step_url(draft_id, "requirements")))


def test_it_binds_a_draft_of_an_unknown_browser_to_its_whole_user_agent():
    # There is no telling which part of an unknown user agent is a version: all of it counts, so
    # two unknown browsers are never taken for one.
    browser = Client(HTTP_USER_AGENT="Another browser/1.0")
    draft_id = start_draft(browser)

    assert browser.get(step_url(draft_id, "details")).status_code == 200
    browser.defaults["HTTP_USER_AGENT"] = "Yet another browser/2.0"
    assert browser.get(step_url(draft_id, "details")).status_code == 403
