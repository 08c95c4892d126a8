"""Issue 12 item 9: Redis configured the way the seeds and the ElastiCache guide do it, a production
server that has no Redis refuses to start, and the deploy check reads the drafts Redis' config."""

import json
import subprocess
import sys

import pytest
from django.core.checks import Warning

from sessions_store.checks import EVICTS, PERSISTS_NOTHING, check_drafts_redis

from .support.app_server import BASE_DIR, production_env
from .support.redis_server import RedisServer, drafts_caches, forget_pool


def settings_of(tmp_path, **variables):
    """REDIS_URL and REDIS_IS_EMBEDDED as settings.py reads them from a production environment."""
    env = production_env(
        database_url="sqlite:///unused.sqlite3", redis_url="", media_root=tmp_path, static_root=tmp_path,
        var_dir=tmp_path, **variables,
    )
    script = "import json, wizard_site.settings as s; print(json.dumps([s.REDIS_URL, s.REDIS_IS_EMBEDDED, s.CACHES['drafts']['OPTIONS']['PASSWORD']]))"
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)
    return result


def test_it_builds_the_redis_url_from_redis_host_and_port(tmp_path):
    result = settings_of(tmp_path, REDIS_HOST="cache.example.com", REDIS_PORT="6380", REDIS_DB="2", REDIS_PASSWORD="token")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["redis://cache.example.com:6380/2", False, "token"]


def test_it_uses_tls_with_redis_tls_and_brackets_an_ipv6_host(tmp_path):
    result = settings_of(tmp_path, REDIS_HOST="::1", REDIS_TLS="true")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0] == "rediss://[::1]:6379/0"


def test_it_prefers_redis_url_over_redis_host(tmp_path):
    result = settings_of(tmp_path, REDIS_URL="redis://primary:6379/4", REDIS_HOST="ignored")

    assert json.loads(result.stdout)[0] == "redis://primary:6379/4"


def test_it_refuses_to_start_in_production_without_a_redis(tmp_path):
    result = settings_of(tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "REDIS_HOST" in result.stderr


def test_it_allows_the_embedded_redis_with_debug_or_when_asked(tmp_path):
    for variables in ({"DEBUG": "1"}, {"ALLOW_EMBEDDED_REDIS": "1"}):
        result = settings_of(tmp_path, **variables)
        assert result.returncode == 0, result.stderr
        url, embedded, _ = json.loads(result.stdout)
        assert embedded and url.startswith("unix://")


# --- the deploy check, against a redis-server of the test's own (CONFIG SET is server-wide) ---------


@pytest.fixture
def drafts_server(settings):
    with RedisServer() as server:
        settings.CACHES = drafts_caches(settings.CACHES, server.url)
        yield server
        forget_pool(server.url)


def warning_ids(messages):
    assert all(isinstance(message, Warning) for message in messages)
    return sorted(message.id for message in messages)


def test_it_is_quiet_about_a_redis_configured_as_the_readme_says(drafts_server):
    assert check_drafts_redis() == []  # appendonly yes, noeviction


def test_it_warns_when_the_drafts_redis_evicts_keys(drafts_server):
    drafts_server.client().config_set("maxmemory-policy", "volatile-lru")  # ElastiCache's default

    messages = check_drafts_redis()

    assert warning_ids(messages) == [EVICTS]
    assert "volatile-lru" in messages[0].msg


def test_it_warns_when_the_drafts_redis_persists_nothing(drafts_server):
    client = drafts_server.client()
    client.config_set("appendonly", "no")
    client.config_set("save", "")

    assert warning_ids(check_drafts_redis()) == [PERSISTS_NOTHING]

    client.config_set("save", "900 1")  # RDB snapshots are persistence too
    assert check_drafts_redis() == []


def test_it_says_nothing_when_it_cannot_reach_the_drafts_redis(settings):
    settings.CACHES = drafts_caches(settings.CACHES, "redis://127.0.0.1:1/0")

    assert check_drafts_redis() == []


def test_it_runs_as_part_of_the_deploy_check(tmp_path, drafts_server):
    drafts_server.client().config_set("maxmemory-policy", "allkeys-lru")
    env = production_env(
        database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}", redis_url=drafts_server.url, media_root=tmp_path,
        static_root=tmp_path, var_dir=tmp_path, ALLOWED_HOSTS="wizard.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )

    assert EVICTS in result.stdout + result.stderr


def test_a_relative_var_dir_names_the_embedded_redis_by_an_absolute_path(tmp_path):
    """VAR_DIR=var/bench (as the benchmarks' commands write it): the embedded Redis's socket URL
    must be absolute, or redis-py reads "var" as a host name and nothing can reach it."""
    env = production_env(
        database_url="sqlite:///unused.sqlite3", redis_url="", media_root=tmp_path, static_root=tmp_path,
        var_dir="var/relative-check", ALLOW_EMBEDDED_REDIS="true",
    )
    script = "import json, wizard_site.settings as s; print(json.dumps([s.REDIS_URL, str(s.VAR_DIR)]))"
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    url, var_dir = json.loads(result.stdout)
    assert var_dir == str(BASE_DIR / "var" / "relative-check")
    assert url == f"unix://{BASE_DIR}/var/relative-check/redis/redis.sock?db=0"
