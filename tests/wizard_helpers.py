"""Driving the wizard through the test client as a browser would: GET the step, POST its form."""

import re
import time
import uuid
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import reverse

from sessions_store.store import get_draft_store

from .conftest import pdf_bytes, upload

VALID_DETAILS = {
    "project_name": "Harbour Office Retrofit",
    "project_description": "Replace the chillers and re-zone floors 2-5.",
    "building_type": "commercial",
    "square_footage": "45000",
    "number_of_floors": "6",
    "number_of_zones": "24",
    "client_name": "Harbour Estates Ltd",
    "client_email": "facilities@harbour.example",
    "client_phone": "+44 20 7946 0000",
    "project_location": "Bristol, UK",
    "estimated_start_date": "2027-03-01",
    "estimated_end_date": "2027-09-30",
    "budget": "1250000",
    "priority": "high",
}


def prefixed(step, data):
    return {f"{step}-{key}": value for key, value in data.items()}


def management(step):
    return {"project_wizard-current_step": step}


def details_post(**overrides):
    data = dict(VALID_DETAILS, **overrides)
    data = {key: value for key, value in data.items() if value is not None}
    return {**prefixed("details", data), **management("details")}


def sources_post(ai=True, connectors=()):
    data = {
        "sources-connectors-TOTAL_FORMS": str(max(len(connectors), 1)),
        "sources-connectors-INITIAL_FORMS": "0",
        "sources-connectors-MIN_NUM_FORMS": "0",
        "sources-connectors-MAX_NUM_FORMS": "20",
        **management("sources"),
    }
    if ai:
        data["sources-ai_sourcing_enabled"] = "on"
    for index, (kind, target) in enumerate(connectors):
        data[f"sources-connectors-{index}-connector_type"] = kind
        data[f"sources-connectors-{index}-target"] = target
    return data


def step_url(draft_id, step):
    return reverse("projects:wizard_step", kwargs={"draft_id": draft_id, "step": step})


def draft_id_from(response):
    match = re.search(r"/projects/new/([0-9a-f-]{36})/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def start_draft(client, **overrides):
    response = client.post(reverse("projects:wizard_new"), details_post(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return draft_id_from(response)


def complete_until_review(client, documents, connectors=(("google_drive", "https://drive.google.com/drive/folders/abc"),)):
    draft_id = start_draft(client)
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": documents, "requirements-requirements_notes": "See the spec.", **management("requirements")},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(step_url(draft_id, "sources"), sources_post(connectors=connectors))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == step_url(draft_id, "review")
    return draft_id


def move_drafts_after_sign_in(client, response, choice="move"):
    """Signing in (or up) asked whether to move this browser's drafts into the account (issue 12
    L3): answer it, "Move them to my account" by default. Returns the answer's redirect."""
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(reverse("projects:drafts_move")), response["Location"]
    assert "Move them to my account" in client.get(response["Location"]).content.decode()
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    return client.post(reverse("projects:drafts_move"), {"choice": choice, "next": next_url})


def confirm(client, draft_id):
    return client.post(step_url(draft_id, "review"), {"review-confirm": "on", **management("review")})


# --- Browsers, drafts as stored, JSON errors (the API and autosave tests) --------------------------

UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"


def browser(user=None, ua=UA, **defaults):
    """A browser of its own (its own cookies), signed in as ``user`` if given."""
    client = Client(HTTP_USER_AGENT=ua, **defaults)
    if user is not None:
        client.force_login(user)
    return client


def stored(draft_id):
    draft, _ = get_draft_store().load(draft_id, slide=False)
    return draft


def draft_count(redis):
    return len(redis.keys("*:draft:*"))


def names_draft(member, draft_id):
    """Whether a sorted set's member names the draft: as its id, or (a search index entry) as the
    id's 16 bytes."""
    return draft_id.encode() in member or uuid.UUID(draft_id).bytes in member


def expire_for_real(redis, *draft_ids, tombstone_ttl=None):
    """Let Redis expire the drafts' records itself, as at the end of their TTL: PEXPIRE 1 ms, then
    poll until they are gone (no sleeping through a TTL). Each record must exist beforehand.

    Their tombstones stay, so their owners are told "expired". A tombstone outlives its record by
    DRAFT_TOMBSTONE_TTL; since the record is cut short here, its tombstone keeps the record's
    unused TTL on top, unless ``tombstone_ttl`` (seconds) says what it has left: pass
    DRAFT_TOMBSTONE_TTL for what a natural expiry leaves.
    """
    store = get_draft_store()
    records = [store.key("draft", draft_id) for draft_id in draft_ids]
    pipe = redis.pipeline(transaction=False)
    for key in records:
        pipe.pexpire(key, 1)
    assert all(pipe.execute()), f"not every draft of {draft_ids} had a record to expire"
    deadline = time.monotonic() + 5
    while redis.exists(*records):
        assert time.monotonic() < deadline, "Redis did not expire the drafts"
        time.sleep(0.005)
    if tombstone_ttl is not None:
        pipe = redis.pipeline(transaction=False)
        for draft_id in draft_ids:
            pipe.expire(store.key("tomb", draft_id), tombstone_ttl)
        pipe.execute()


def page_version(response):
    match = re.search(r'name="draft_version" value="(\d+)"', response.content.decode())
    assert match, "the page carries no draft_version"
    return match.group(1)


def attach_on_page(client, draft_id, name="brief.pdf"):
    response = client.post(
        step_url(draft_id, "requirements"),
        {
            "requirements-documents": [upload(name, pdf_bytes(name), "application/pdf")],
            "requirements-requirements_notes": "See the spec.",
            **management("requirements"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def json_error(response, status, code):
    """The API's error body ``{"error": {"code", "message", ...}}``: its inner object."""
    assert response.status_code == status, response.content.decode()[:2000]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) - {"debug"} == {"error"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


def stale_first_tab(client, draft_id, step, values):
    """Two tabs open ``step``; the second submits ``values`` (a redirect) first. Returns the first
    tab's page, whose draft_version is now behind the draft's."""
    first_tab = client.get(step_url(draft_id, step))
    second_tab = client.get(step_url(draft_id, step))
    response = client.post(step_url(draft_id, step), {**values, "draft_version": page_version(second_tab)})
    assert response.status_code == 302, response
    return first_tab
