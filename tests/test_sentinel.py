"""Redis Sentinel: the app finds the master through a sentinel and follows it through a failover.

A real deployment of the test's own (``support/sentinel.py``): a master, a replica and a
sentinel, and a production app server (gunicorn) configured as the README says, with
``REDIS_URL=redis://pwmaster/0`` and ``REDIS_SENTINELS=host:port``. Nothing is mocked.
"""

import json
import time

import pytest
from django.conf import settings as django_settings

from .conftest import pdf_bytes
from .support import wizard_http as flow
from .support.app_server import AppServer, current_database_url, production_env
from .support.browser import Browser
from .support.sentinel import SentinelDeployment
from .wizard_helpers import VALID_DETAILS


@pytest.fixture
def sentinel_redis():
    with SentinelDeployment() as deployment:
        yield deployment


@pytest.fixture
def sentinel_app_server(sentinel_redis, static_root, tmp_path):
    """One gunicorn worker: its pool holds the connection to the master across the failover."""
    env = production_env(
        database_url=current_database_url(),
        redis_url=sentinel_redis.redis_url,
        media_root=tmp_path / "media",
        static_root=static_root,
        var_dir=tmp_path / "var",
        REDIS_SENTINELS=sentinel_redis.sentinels,
    )
    server = AppServer(env, tmp_path / "app.log", workers=1)
    try:
        yield server.start()
    finally:
        server.stop("kill")
    assert server.server_errors() == [], server.log_tail()


def draft_record(node, draft_id):
    """The draft's record as stored on one redis-server (read with a client of its own)."""
    with node.client() as direct:
        keys = direct.keys(f"*:draft:{draft_id}")
        assert len(keys) <= 1, keys
        return json.loads(direct.get(keys[0])) if keys else None


@pytest.mark.timeout(60)
@pytest.mark.django_db(transaction=True)
def test_the_wizard_runs_through_sentinel_and_continues_on_the_new_master_after_a_failover(
    sentinel_redis, sentinel_app_server
):
    browser = Browser(sentinel_app_server.url)
    old_master, replica = sentinel_redis.master, sentinel_redis.replica

    # Step 1 through the sentinel: the draft is created on the master it names.
    path = flow.details(browser)
    draft_id, _ = flow.draft_of(path)
    assert draft_record(old_master, draft_id)["id"] == draft_id
    flow.expect_step(browser, path, "requirements")

    new_master = sentinel_redis.failover()
    assert new_master is replica
    # The app asks the sentinels again at most every REDIS_SENTINEL_CHECK_INTERVAL (1 s): the
    # README's bound on how long after a switch writes can still reach the old master.
    time.sleep(django_settings.REDIS_SENTINEL_CHECK_INTERVAL + 0.2)

    # Step 2 on the same draft, through the same app server (and its pooled connection).
    content = pdf_bytes("after the failover")
    path = flow.requirements(browser, path, files=[("spec.pdf", content)])
    page = flow.expect_step(browser, path, "sources")
    assert VALID_DETAILS["project_name"] in page.text

    # Step 2 was written to the new master: the draft there has its document.
    record = draft_record(new_master, draft_id)
    assert record is not None, "the draft is not on the new master"
    if not record["files"]:
        with old_master.client() as direct:
            role = direct.role()[0]
        on_old = draft_record(old_master, draft_id)
        pytest.fail(
            f"step 2 did not reach the new master {new_master.port}: the draft there is at version "
            f"{record['version']} without the document, while the old master {old_master.port} "
            f"(role now: {role}) has version {on_old['version']} with {[f['name'] for f in on_old['files']]}. "
            "The app kept writing through a pooled connection to the old master, which the sentinel "
            "turns into a replica of the new one about 10 s later, discarding those writes."
        )
    assert [item["name"] for item in record["files"]] == ["spec.pdf"]
    assert record["validation"].get("requirements") is True
    assert record["wizard"]["step"] == "sources"
