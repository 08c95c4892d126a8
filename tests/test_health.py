"""The health check's degraded states, each produced for real, and its 5xx rate."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import include, path

from sessions_store.store import get_draft_store

HEALTH = "/api/sessions/health"
pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug")


# The site's URLs plus one that fails: a 5xx the way a bug makes one.
urlpatterns = [path("boom/", boom), path("", include("wizard_site.urls"))]
handler500 = "wizard_site.errors.server_error"


def health(client):
    response = client.get(HEALTH)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def redis_config(drafts_redis):
    """CONFIG SET on the drafts Redis, put back as it was after the test."""
    saved = {}

    def set_config(name, value):
        saved.setdefault(name, drafts_redis.config_get(name)[name])
        drafts_redis.config_set(name, value)

    yield set_config
    for name, value in saved.items():
        drafts_redis.config_set(name, value)


def test_it_is_degraded_while_redis_may_evict_drafts(anonymous, redis_config):
    redis_config("maxmemory-policy", "allkeys-lru")

    data = health(anonymous)
    assert data["status"] == "degraded"
    assert data["checks"]["redisMemory"]["evictionPolicy"] == "allkeys-lru"
    assert data["reasons"] == ["Redis may evict drafts: maxmemory-policy is allkeys-lru, not noeviction."]

    redis_config("maxmemory-policy", "noeviction")
    assert health(anonymous)["status"] == "ok"


def test_it_is_degraded_when_redis_nears_its_maxmemory(anonymous, redis_config, drafts_redis, settings):
    # A limit far above what is used (a shared Redis must keep taking writes), and a low threshold.
    settings.HEALTH_REDIS_MEMORY_PERCENT = 1
    used = drafts_redis.info("memory")["used_memory"]
    redis_config("maxmemory", str(used * 40))  # about 2.5% of it in use

    data = health(anonymous)
    assert data["status"] == "degraded"
    assert 1 <= data["checks"]["redisMemory"]["percent"] < 5
    assert data["reasons"][0].startswith("Redis uses ")

    settings.HEALTH_REDIS_MEMORY_PERCENT = 80
    assert health(anonymous)["status"] == "ok"


def test_it_is_degraded_when_cleanup_has_not_run_for_twice_its_interval(anonymous, frozen_clock, settings):
    settings.SESSION_CLEANUP_INTERVAL = 3600
    get_draft_store().note_cleanup("expired 0 drafts")
    frozen_clock.travel(timedelta(hours=2))
    assert health(anonymous)["status"] == "ok"

    frozen_clock.travel(timedelta(seconds=5))
    data = health(anonymous)
    assert data["status"] == "degraded"
    assert data["checks"]["cleanup"]["ageSeconds"] == 7205
    assert data["reasons"] == ["cleanup_drafts last ran 7205 s ago (more than 7200 s)."]


def test_it_is_degraded_when_the_upload_area_cannot_be_written(anonymous, settings, tmp_path):
    # Beneath a regular file: no folder can be made there, not even by root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.DRAFT_UPLOAD_ROOT = blocker / "drafts"

    data = health(anonymous)
    assert data["status"] == "degraded"
    assert data["checks"]["uploads"]["ok"] is False
    assert data["reasons"] == ["The upload area is missing or not writable."]


def test_it_counts_5xx_answers_over_the_last_five_minutes(settings, frozen_clock, drafts_redis):
    settings.ROOT_URLCONF = __name__
    settings.HEALTH_MAX_5XX = 3
    client = Client(raise_request_exception=False)
    client.get("/projects/new/")  # a normal request counts nothing
    assert drafts_redis.keys("*stats:errors*") == []

    for _ in range(2):
        assert client.get("/boom/").status_code == 500
    assert health(client)["checks"]["serverErrors"]["count"] == 2
    assert health(client)["status"] == "ok"

    frozen_clock.travel(timedelta(minutes=4))
    assert client.get("/boom/").status_code == 500
    data = health(client)
    assert data["status"] == "degraded"
    assert data["reasons"] == ["3 requests failed with a 5xx in the last 5 minutes."]

    frozen_clock.travel(timedelta(minutes=1, seconds=1))  # the first two fall out of the window
    assert health(client)["checks"]["serverErrors"]["count"] == 1
    assert health(client)["status"] == "ok"
