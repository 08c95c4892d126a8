"""Staff review of drafts in Django admin: the users, browsers, drafts and page readers that
tests/test_admin_drafts_*.py and tests/test_admin_projects.py share.

Drafts are made the way users make them (the wizard through the test client: signed-in users and
anonymous browsers), or, for the big pagination set, through the draft store itself. Staff users
are factory-made, each with only the permissions its name says. The test modules import the
fixtures they use from here, and ``day_long_drafts``, which applies to each of their tests.
"""

import html
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from sessions_store.drafts import Draft, Owner, user_agent_hash
from sessions_store.store import get_draft_store

from .factories import UserFactory
from .wizard_helpers import complete_until_review, management, names_draft, start_draft, step_url


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
    """The tests' texts ("23 hours, 59 minutes") assume drafts kept for a day."""
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
    for key in redis.keys("*search*"):
        if redis.type(key) == b"zset" and any(names_draft(member, draft_id) for member, _ in redis.zscan_iter(key)):
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
        title = re.search(r'<span [^>]*title="([^"]*)"', row)
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
    """``count`` drafts straight into the store, one second apart: "Bulk 00" is the oldest. One
    owner may have any number of them here (the drafts cap is not what these tests are about)."""
    store = get_draft_store()
    drafts = []
    with override_settings(DRAFT_MAX_ANONYMOUS=0, DRAFT_MAX_USER=0):
        for number in range(count):
            drafts.append(_bulk_draft(store, number, owner_key))
            frozen_clock.travel(timedelta(seconds=1))
    return drafts


def _bulk_draft(store, number, owner_key):
    draft = Draft.new(
        owner=Owner(key=owner_key, user_agent_hash=user_agent_hash("bulk")),
        metadata={"user_agent": "bulk", "ip_address": "192.0.2.1", "platform": "Linux"},
    )
    draft.wizard["step"] = "requirements"
    draft.wizard["step_data"]["details"] = {"details-project_name": [f"Bulk {number:02d}"]}
    draft.validation["details"] = True
    return store.create(draft)


def named_drafts(names, owner_key="u:1", step="requirements"):
    """Drafts straight into the store, one per ``(project name, client name, client email)``; one
    owner may have any number of them here (the drafts cap is not what these tests are about)."""
    store = get_draft_store()
    drafts = []
    with override_settings(DRAFT_MAX_ANONYMOUS=0, DRAFT_MAX_USER=0):
        for project_name, client_name, client_email in names:
            drafts.append(_named_draft(store, owner_key, step, project_name, client_name, client_email))
    return drafts


def _named_draft(store, owner_key, step, project_name, client_name, client_email):
    draft = Draft.new(
        owner=Owner(key=owner_key, user_agent_hash=user_agent_hash("bulk")),
        metadata={"user_agent": "bulk", "ip_address": "192.0.2.1", "platform": "Linux"},
    )
    draft.wizard["step"] = step
    draft.wizard["step_data"]["details"] = {
        "details-project_name": [project_name],
        "details-client_name": [client_name],
        "details-client_email": [client_email],
    }
    return store.create(draft)


def search_buckets(redis):
    """The search index's buckets: ``{key: (entries, encoding)}``."""
    return {
        key: (redis.zcard(key), redis.object("encoding", key))
        for key in redis.scan_iter(match="*search:*b:*")  # every generation's
    }


# --- drafts at different steps --------------------------------------------------------------------

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
