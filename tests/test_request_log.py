"""Log lines: one JSON object each, with the request id (X-Request-ID when valid, else generated,
echoed in the response), and one line per request with its method, route, status, duration and draft."""

import io
import json
import logging
import re

import pytest
from django.urls import reverse

from .wizard_helpers import details_post, draft_id_from, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """The lines the configured console handler writes (settings.LOGGING, LOG_FORMAT=json), parsed."""
    handler = logging.getLogger("wizard_site").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def test_it_logs_one_json_line_per_request_with_the_id_it_was_given(anonymous, log_lines):
    created = anonymous.post(reverse("projects:wizard_new"), details_post(), HTTP_X_REQUEST_ID="create-1")
    draft_id = draft_id_from(created)
    # The draft store's own line of that request carries its id.
    assert [(line["logger"], line["request_id"]) for line in log_lines() if "create" in line["message"]] == [("sessions_store", "create-1")]

    response = anonymous.get(step_url(draft_id, "requirements"), HTTP_X_REQUEST_ID="edge-4f2a.9_b")

    assert response["X-Request-ID"] == "edge-4f2a.9_b"
    lines = [line for line in log_lines() if line.get("request_id") == "edge-4f2a.9_b"]
    request_lines = [line for line in lines if line["logger"] == "wizard_site.requests"]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert (line["method"], line["route"], line["step"], line["status"], line["draft_id"]) == (
        "GET", "projects:wizard_step", "requirements", 200, draft_id,
    )
    assert line["duration_ms"] > 0 and line["level"] == "INFO" and line["time"]


@pytest.mark.parametrize("given", ["", "has space", "x" * 129, "semi;colon", "ü"])
def test_it_generates_an_id_when_none_or_an_invalid_one_is_given(anonymous, log_lines, given):
    response = anonymous.get("/projects/new/", HTTP_X_REQUEST_ID=given)

    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert [line["request_id"] for line in log_lines() if line["logger"] == "wizard_site.requests"] == [generated]


def test_it_puts_the_id_on_djangos_own_error_lines(anonymous, log_lines):
    response = anonymous.get("/no/such/page/", HTTP_X_REQUEST_ID="trace-404")

    assert response.status_code == 404 and response["X-Request-ID"] == "trace-404"
    django_lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert [(line["request_id"], line["status_code"]) for line in django_lines] == [("trace-404", 404)]
    request_line = [line for line in log_lines() if line["logger"] == "wizard_site.requests"][0]
    assert request_line["route"] == "unmatched" and "no/such" not in json.dumps(request_line)
