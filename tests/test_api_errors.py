"""The JSON session API's answers to what it refuses: bodies that are not JSON objects or not
Unicode, missing CSRF tokens, wrong methods and unknown addresses; X-Debug and the OpenAPI
document; the health check and a Redis outage (503, never 500).

Real Redis and a real database throughout; the requests are in api_helpers.py.
"""

import uuid

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from .api_helpers import (
    DETAILS,
    SESSIONS,
    create,
    created,
    current,
    read,
    send,
    session_url,
    update,
    validate_url,
)
from .wizard_helpers import browser, draft_count, json_error

pytestmark = pytest.mark.django_db


# --- what the API accepts -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        ("projectData=x", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ('{"projectData": {}}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ('{"projectData": {', "application/json", 400, "VALIDATION_FAILED"),
        (b'{"projectName": "\xff"}', "application/json", 400, "VALIDATION_FAILED"),
        ('[{"projectData": {}}]', "application/json", 400, "VALIDATION_FAILED"),
        ('"a string"', "application/json", 400, "VALIDATION_FAILED"),
        ('{"projectData": "x"}', "application/json", 400, "VALIDATION_FAILED"),
    ],
    ids=["form", "text", "malformed", "not utf-8", "list", "string", "projectData not an object"],
)
def test_it_refuses_a_body_that_is_not_a_json_object(anonymous, drafts_redis, body, content_type, status, code):
    json_error(anonymous.post(SESSIONS, data=body, content_type=content_type), status, code)
    assert draft_count(drafts_redis) == 0

    session = created(anonymous)
    json_error(anonymous.put(SESSIONS, data=body, content_type=content_type), status, code)
    assert current(anonymous, session["sessionId"])["version"] == session["version"]


def test_it_refuses_deeply_nested_json_with_a_400(drafts_redis):
    client = browser(raise_request_exception=False)
    response = client.post(SESSIONS, data='{"projectData": ' + "[" * 100_000 + "]" * 100_000 + "}", content_type="application/json")
    json_error(response, 400, "VALIDATION_FAILED")


def test_it_refuses_a_multipart_body_with_415_when_csrf_is_checked(drafts_redis):
    client = browser(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("projects:wizard_new"))
    token = client.cookies["csrftoken"].value

    response = client.post(SESSIONS, {"projectData": "x"}, HTTP_X_CSRFTOKEN=token)

    json_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_it_refuses_text_that_is_not_unicode_and_stores_nothing(anonymous, drafts_redis):
    # "\ud800" is valid JSON but no character: it must not reach Redis (where Lua's cjson would
    # refuse the record on every later save).
    for body in (
        '{"projectData": {"projectName": "\\ud800"}}',
        '{"projectData": {"connectors": [{"connectorType": "website", "target": "\\udfff"}]}}',
    ):
        failure = json_error(send(anonymous, "post", SESSIONS, body), 400, "VALIDATION_FAILED")
        assert "Unicode" in failure["message"]
    assert draft_count(drafts_redis) == 0
    # Real non-ASCII text, emoji included, round-trips and stays writable.
    session = created(anonymous, {"projectData": {"projectName": "Zürich 🏗 tower"}})
    assert current(anonymous, session["sessionId"])["projectData"]["projectName"] == "Zürich 🏗 tower"
    response = update(anonymous, {"sessionId": session["sessionId"], "version": session["version"], "projectData": {"clientName": "Ærø"}})
    assert response.status_code == 200, response.content


# --- CSRF ----------------------------------------------------------------------------------------

def test_it_needs_the_csrf_token_for_every_change(drafts_redis):
    client = browser(enforce_csrf_checks=True)

    json_error(create(client), 403, "CSRF_FAILED")
    assert draft_count(drafts_redis) == 0

    client.get(reverse("projects:wizard_new"))  # any page sets the csrftoken cookie
    token = {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
    json_error(create(client), 403, "CSRF_FAILED")
    session = created(client, **token)
    session_id, version = session["sessionId"], session["version"]

    assert read(client, session_id).status_code == 200  # reading needs no token
    failure = json_error(update(client, {"sessionId": session_id, "version": version, "projectData": {"projectName": "x"}}), 403, "CSRF_FAILED")
    assert "X-CSRFToken" in failure["message"]
    json_error(send(client, "post", validate_url(session_id), {}), 403, "CSRF_FAILED")
    json_error(client.delete(session_url(session_id)), 403, "CSRF_FAILED")
    json_error(update(client, {"sessionId": session_id, "version": version}, HTTP_X_CSRFTOKEN="x" * 32), 403, "CSRF_FAILED")
    assert current(client, session_id)["version"] == version

    assert update(client, {"sessionId": session_id, "version": version, "projectData": {"projectName": "x"}}, **token).status_code == 200
    assert send(client, "post", validate_url(session_id), {}, **token).status_code == 200
    assert client.delete(session_url(session_id), **token).status_code == 200
    assert draft_count(drafts_redis) == 0


# --- methods, addresses, debug ---------------------------------------------------------------------

def test_it_answers_405_with_the_allowed_methods(anonymous):
    session_id = created(anonymous)["sessionId"]

    for method, url, allowed in [
        ("get", SESSIONS, "POST, PUT"),
        ("delete", SESSIONS, "POST, PUT"),
        ("put", session_url(session_id), "GET, DELETE"),
        ("post", session_url(session_id), "GET, DELETE"),
        ("get", validate_url(session_id), "POST"),
        ("post", f"{SESSIONS}/health", "GET, HEAD"),
    ]:
        response = anonymous.get(url) if method == "get" else send(anonymous, method, url, {})
        json_error(response, 405, "METHOD_NOT_ALLOWED")
        assert response["Allow"] == allowed, (method, url)


def test_it_answers_json_404_for_an_unknown_api_address(anonymous):
    for path in ("/api/nonexistent", "/api/sessions/" + str(uuid.uuid4()) + "/nonsense", "/api/"):
        json_error(anonymous.get(path), 404, "NOT_FOUND")


def test_it_adds_debug_details_only_when_debug_is_on(settings, anonymous):
    settings.DEBUG = False
    session = create(anonymous, HTTP_X_DEBUG="true").json()
    assert "debug" not in session
    assert "debug" not in read(anonymous, session["sessionId"], HTTP_X_DEBUG="true").json()

    settings.DEBUG = True
    assert "debug" not in read(anonymous, session["sessionId"]).json()
    data = read(anonymous, session["sessionId"], HTTP_X_DEBUG="true").json()
    debug = data["debug"]
    assert debug["method"] == "GET" and debug["path"] == session_url(session["sessionId"])
    assert debug["durationMs"] >= 0
    assert debug["redisKey"].endswith(f"draft:{session['sessionId']}")
    assert debug["bytes"] > 0 and debug["storeWrites"] >= 1
    failure = anonymous.get(session_url(str(uuid.uuid4())), HTTP_X_DEBUG="true").json()
    assert failure["error"]["code"] == "SESSION_NOT_FOUND" and "durationMs" in failure["debug"]


def test_it_serves_its_openapi_document(anonymous):
    spec = anonymous.get("/api/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/sessions",
        "/api/sessions/health",
        "/api/sessions/{sessionId}",
        "/api/sessions/{sessionId}/validate",
    }
    assert anonymous.get("/api/openapi.yaml").status_code == 200


# --- health and a Redis outage --------------------------------------------------------------------

def test_it_reports_health_with_latencies(anonymous):
    response = anonymous.get(f"{SESSIONS}/health")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["reasons"] == []
    assert set(data["checks"]) == {"redis", "database", "uploads", "redisMemory", "aof", "cleanup", "serverErrors"}
    for name, check in data["checks"].items():
        assert check["ok"] is True, name
    for name in ("redis", "database", "uploads"):
        check = data["checks"][name]
        assert isinstance(check["latencyMs"], (int, float)) and check["latencyMs"] >= 0
    assert list(django_settings.DRAFT_UPLOAD_ROOT.glob(".health-*")) == []


def test_it_answers_503_and_never_500_while_redis_is_unreachable(anonymous, redis_outage):
    session = created(anonymous, {"projectData": DETAILS})
    redis_outage.begin()

    health = anonymous.get(f"{SESSIONS}/health")
    assert health.status_code == 503
    data = health.json()
    assert data["status"] == "unavailable"
    assert data["checks"]["redis"]["ok"] is False and "error" in data["checks"]["redis"]
    assert data["checks"]["database"]["ok"] is True and data["checks"]["uploads"]["ok"] is True

    session_id, version = session["sessionId"], session["version"]
    for response in (
        create(anonymous, {"projectData": {"projectName": "During the outage"}}),
        read(anonymous, session_id),
        update(anonymous, {"sessionId": session_id, "version": version, "projectData": {"projectName": "x"}}),
        anonymous.delete(session_url(session_id)),
        send(anonymous, "post", validate_url(session_id), {}),
        read(anonymous, str(uuid.uuid4())),
    ):
        failure = json_error(response, 503, "SERVICE_UNAVAILABLE")
        assert response["Retry-After"] == "30"
        assert "not responding" in failure["message"]

    redis_outage.end()
    back = current(anonymous, session_id)
    assert back["version"] == version and back["projectData"] == session["projectData"]
    assert anonymous.get(f"{SESSIONS}/health").json()["status"] == "ok"
