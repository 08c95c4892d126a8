"""An owner's keys (owner:<key>, uploads:<key>, owners:over) since cleanup leaves an expired draft's
owner writes to the owner's next visit (issue 14 goal 4): erasure finds an expired draft through
owner:<key>, so that key must outlive every tombstone of the owner's drafts, whatever wrote them;
and an owner who never lists their drafts must not pile up stale ids. Real Redis.
"""

import pytest
from django.conf import settings as django_settings

from .cleanup_helpers import cleanup, new_draft
from .cleanup_helpers import store  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

DAY = 86400


def test_a_save_never_shortens_the_owners_index_below_a_tombstone_of_theirs(store, drafts_redis):
    kept_longer = store.create(new_draft("u:1"))
    store.extend(kept_longer, 30 * DAY)  # staff gave it a month

    store.create(new_draft("u:1"))  # the owner starts another

    assert drafts_redis.ttl(store.key("owner", "u:1")) >= drafts_redis.ttl(store.key("tomb", kept_longer.id))


def test_the_first_tombstone_pass_keeps_the_owners_keys_alive_past_tombstones_an_earlier_release_slid(store, drafts_redis):
    draft = store.create(new_draft("u:1"))
    drafts_redis.hset(store.key("uploads", "u:1"), draft.id, 100)
    for name in ("owner", "uploads"):  # as an earlier release's reads left them: shorter than the tombstone
        drafts_redis.expire(store.key(name, "u:1"), 100)

    cleanup()  # the first run of this release checks every tombstone

    tomb = drafts_redis.ttl(store.key("tomb", draft.id))
    assert drafts_redis.ttl(store.key("owner", "u:1")) >= tomb and drafts_redis.ttl(store.key("uploads", "u:1")) >= tomb


def test_listing_drops_an_expired_drafts_upload_entry_even_once_its_tombstone_is_gone(store, drafts_redis):
    draft = store.create(new_draft("u:1"))
    drafts_redis.hset(store.key("uploads", "u:1"), draft.id, 100)
    drafts_redis.delete(store.key("draft", draft.id), store.key("tomb", draft.id))  # expired, and a week passed

    assert store.list_for_owner("u:1") == []

    assert not drafts_redis.hexists(store.key("uploads", "u:1"), draft.id)
    assert not drafts_redis.exists(store.key("owner", "u:1"))


def test_an_owner_past_the_bound_is_noted_by_a_create_and_by_a_restore_and_forgotten_by_erasure(store, drafts_redis, monkeypatch):
    monkeypatch.setattr("sessions_store.redis_store.OWNER_LIST_MAX", 2)
    over = store.key("owners", "over")
    first, second = store.create(new_draft("u:1")), store.create(new_draft("u:1"))
    assert not drafts_redis.exists(over)  # two ids: not past the bound
    store.discard(second, seconds=django_settings.DRAFT_RESTORE_SECONDS)
    store.create(new_draft("u:1"))
    assert not drafts_redis.exists(over)

    store.restore(second.id)  # three ids

    assert drafts_redis.zrange(over, 0, -1) == [b"u:1"]
    store.erase_owner("u:1")
    assert not drafts_redis.exists(over)
    assert not drafts_redis.exists(store.key("tomb", first.id))
