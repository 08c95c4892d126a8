"""A draft's life through the browser: the browsers, page readers and draft helpers that
tests/test_draft_lifecycle_*.py share. The test modules import the fixtures they use from here,
and ``day_long_drafts``, which applies to each of their tests; ``anonymous`` is in conftest.py.
"""

import json
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import pdf_bytes, upload
from .wizard_helpers import VALID_DETAILS, management, step_url


DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
NAME = VALID_DETAILS["project_name"]


# --- helpers ---------------------------------------------------------------------------------------

class _FormValues(HTMLParser):
    """What a browser would submit from the page's fields (name -> list of values)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values = {}
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in ("submit", "button", "file"):
            values = self.values.setdefault(name, [])
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    values.append(attrs.get("value") or "on")
            else:
                values.append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            name, text = self._textarea
            self.values.setdefault(name, []).append(text.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data


def form_values(response):
    assert response.status_code == 200, response.status_code
    parser = _FormValues()
    parser.feed(response.content.decode())
    # When the page was shown (for the analytics' time per step), not an answer: it differs
    # between two renders of the same answers.
    parser.values.pop("shown_at", None)
    return parser.values


def text(response):
    """The page as a user reads it (non-breaking spaces as spaces)."""
    return response.content.decode().replace("\xa0", " ").replace("&nbsp;", " ")


def shows_invalid_step(response):
    return 'data-tags="INVALID_STEP' in response.content.decode()


def browser(user=None, ua=DESKTOP_UA):
    client = Client(HTTP_USER_AGENT=ua)
    if user is not None:
        client.force_login(user)
    return client


def resume_url(draft_id):
    return reverse("projects:wizard_resume", args=[draft_id])


def discard_url(draft_id):
    return reverse("projects:draft_discard", args=[draft_id])


def draft_key(redis, draft_id):
    keys = [key for key in redis.keys("*draft:*") if key.decode().endswith(f"draft:{draft_id}")]
    assert len(keys) == 1, keys
    return keys[0]


def stored(redis, draft_id):
    raw = redis.get(draft_key(redis, draft_id))
    return json.loads(raw) if raw else None


def attach(client, draft_id, name="brief.pdf", notes="See the spec."):
    response = client.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [_pdf(name)],
            "requirements-requirements_notes": notes,
            **management("requirements"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def _pdf(name):
    return upload(name, pdf_bytes(name), "application/pdf")


@pytest.fixture(autouse=True)
def day_long_drafts(settings):
    """The tests' texts ("23 hours, 59 minutes") assume drafts kept for a day."""
    settings.SESSION_TTL = 86400


@pytest.fixture
def desktop(owner):
    return browser(owner)
