"""The memory guard (M1, item 3): while the drafts Redis uses REDIS_MEMORY_GUARD_PERCENT (90%) of
its maxmemory, new drafts are refused with a clear 503 (page, or JSON) and the input kept, while
drafts already started keep saving: people in the middle of a wizard are never the ones who
fail. Redis's real maxmemory is set with CONFIG SET and put back after."""

import html

import pytest
from django.urls import reverse

from sessions_store.memory import forget_reading, memory_reading

from ..api_helpers import DETAILS, create
from ..test_autosave import AUTOSAVE_NEW, autosave
from ..wizard_helpers import details_post, json_error, management, sources_post, start_draft, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def nearly_full(drafts_redis):
    """Sets maxmemory so that what Redis uses now is 95% of it; ``fill()`` does it (again)."""
    before = drafts_redis.config_get("maxmemory")["maxmemory"]

    class Fill:
        def __call__(self, share=0.95):
            drafts_redis.config_set("maxmemory", int(drafts_redis.info("memory")["used_memory"] / share))
            forget_reading()

    yield Fill()
    drafts_redis.config_set("maxmemory", before)
    forget_reading()


def test_it_refuses_new_drafts_with_the_input_kept(anonymous, nearly_full, drafts_redis):
    nearly_full()

    response = anonymous.post(reverse("projects:wizard_new"), details_post(project_name="Harbour"))

    assert response.status_code == 503 and response["Retry-After"]
    content = html.unescape(response.content.decode())
    assert "We can't start new drafts right now because our draft storage is nearly full" in content
    assert 'value="Harbour"' in content
    assert not drafts_redis.keys("*:draft:*")
    json_error(create(anonymous, {"projectData": DETAILS}), 503, "STORE_FULL")
    json_error(autosave(anonymous, AUTOSAVE_NEW, {"details-project_name": "Harbour"}), 503, "STORE_FULL")


def test_drafts_already_started_keep_saving_to_the_end(signed_in, nearly_full, pdf):
    draft_id = start_draft(signed_in)
    nearly_full()

    response = signed_in.post(step_url(draft_id, "requirements"), {"requirements-documents": [pdf()], **management("requirements")})
    assert response.status_code == 302
    assert signed_in.post(step_url(draft_id, "sources"), sources_post()).status_code == 302
    assert signed_in.post(step_url(draft_id, "review"), {"review-confirm": "on", **management("review")}).status_code == 302


def test_it_lets_new_drafts_in_below_the_guard(anonymous, nearly_full, settings):
    nearly_full(share=0.5)
    assert not memory_reading().full
    start_draft(anonymous)


def test_the_health_check_reports_the_reading(anonymous, nearly_full):
    nearly_full()

    response = anonymous.get("/api/sessions/health")
    data = response.json()

    # Drafts already started still work: degraded (a reason says why), not unavailable.
    assert response.status_code == 200 and data["status"] == "degraded"
    assert any("maxmemory" in reason or "memory" in reason.lower() for reason in data["reasons"]), data["reasons"]
    assert data["memory"]["newDraftsRefused"] is True
    assert 90 <= data["memory"]["percent"] <= 100


def test_the_reading_is_cached_for_a_few_seconds(drafts_redis, nearly_full, settings):
    settings.REDIS_MEMORY_CHECK_SECONDS = 60
    first = memory_reading()
    drafts_redis.config_set("maxmemory", first.maxmemory + 12345)
    assert memory_reading() == first
    assert memory_reading(fresh=True).maxmemory == first.maxmemory + 12345
