"""/metrics: Prometheus's format, parsed with prometheus_client's own parser, behind a bearer token."""

import json

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from .test_reliability_app_servers import app_servers, server_redis_prefix  # noqa: F401 - fixtures
from .wizard_helpers import start_draft, step_url

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client, token=TOKEN):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    return samples_of(response.content.decode())


def samples_of(text):
    """{(name, ((label, value), ...)): value} of every sample."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_it_counts_a_wizard_by_route_step_and_draft_action(metrics_on, anonymous):
    before = scrape(anonymous)
    draft_id = start_draft(anonymous)
    assert anonymous.get(step_url(draft_id, "requirements")).status_code == 200
    after = scrape(anonymous)

    count = "wizard_request_duration_seconds_count"
    new_draft = {"route": "projects:wizard_new", "step": "", "method": "POST", "status": "302"}
    step_page = {"route": "projects:wizard_step", "step": "requirements", "method": "GET", "status": "200"}
    assert value(after, count, **new_draft) - value(before, count, **new_draft) == 1
    assert value(after, count, **step_page) - value(before, count, **step_page) == 1
    assert value(after, "wizard_request_duration_seconds_bucket", le="+Inf", **step_page) >= 1
    created = {"action": "create", "outcome": "success"}
    assert value(after, "wizard_draft_operations_total", **created) - value(before, "wizard_draft_operations_total", **created) == 1
    assert value(after, "wizard_drafts_live") == 1
    assert value(after, "wizard_store_up") == 1
    assert value(after, "wizard_redis_memory_used_bytes") > 0
    # The raw path (with the draft id) is never a label.
    assert not any(draft_id in str(key) for key in after)


def test_it_counts_redis_errors(metrics_on, anonymous, redis_outage):
    before = value(scrape(anonymous), "wizard_redis_errors_total")
    redis_outage.begin()
    assert anonymous.post("/projects/new/", {}).status_code in (200, 503)
    samples = scrape(anonymous)
    assert value(samples, "wizard_redis_errors_total") > before
    assert value(samples, "wizard_store_up") == 0


def test_it_is_not_found_without_the_right_token(metrics_on, anonymous, settings):
    assert anonymous.get("/metrics").status_code == 404
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404  # no "Bearer "
    settings.METRICS_TOKEN = ""
    assert anonymous.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


# --- under gunicorn: the workers' samples added up, and its access log in JSON ---------------------

@pytest.mark.django_db(transaction=True)
def test_it_adds_up_the_workers_under_gunicorn_and_logs_json(app_servers, tmp_path):
    server = app_servers(
        workers=2, gunicorn_args=["-c", "wizard_site/gunicorn.conf.py"],
        METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=tmp_path / "prometheus", DJANGO_LOG_LEVEL="INFO",
    )
    session = requests.Session()
    headers = {"X-Forwarded-Proto": "https"}
    for number in range(10):  # spread over both workers
        response = session.get(f"{server.url}/api/sessions/health", headers={**headers, "X-Request-ID": f"probe-{number}"})
        assert response.status_code == 200 and response.headers["X-Request-ID"] == f"probe-{number}"
    auth = {**headers, "Authorization": f"Bearer {TOKEN}"}
    samples = samples_of(session.get(f"{server.url}/metrics", headers=auth).text)

    health = {"route": "api:health", "step": "", "method": "GET", "status": "200"}
    # Ten, plus the readiness probes on "/" that never count here: every worker's samples.
    assert value(samples, "wizard_request_duration_seconds_count", **health) == 10
    assert value(samples, "wizard_store_up") == 1

    lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "gunicorn.access" and line.get("path") == "/api/sessions/health"]
    assert sorted(line["request_id"] for line in access) == sorted(f"probe-{n}" for n in range(10))
    assert all(line["status"] == 200 and line["method"] == "GET" and "duration_ms" in line for line in access)
    assert [line for line in server.log_path.read_text().splitlines() if line.strip() and not line.startswith("{")] == []
