"""Staff search's index in generations (issue 14, goal 4): a draft's entries live in the generation
of the hour its words were last written in; an expiry leaves them there, and cleanup_drafts drops
a generation whole once every draft written in it has ended, moving the few that reads kept alive.
Searches see every generation. Real Redis; the clock is the app's (sessions_store.clock).
"""

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from sessions_store import clock
from sessions_store.redis_admin import search_generation
from sessions_store.redis_scripts import SAVE, script

from .admin_helpers import named_drafts, search_buckets
from .cleanup_helpers import cleanup, past_their_expiry, past_their_search_generation, summary
from .cleanup_helpers import store  # noqa: F401 (fixture)
from .wizard_helpers import expire_for_real, names_draft

pytestmark = pytest.mark.django_db

HOUR = timedelta(seconds=django_settings.DRAFT_SEARCH_GENERATION)


def found(store, query):
    return {draft.id for draft in store.page(query=query, per_page=500)[1]}


def generation_keys(redis):
    """The search keys of each generation: {"g<n>" or "" (before generations): [keys]}."""
    out = {}
    for key in redis.scan_iter(match="*search:*"):
        name = key.decode().split("search:", 1)[1]
        if name == "gens":
            continue
        part = name.split(":", 1)[0] if name.startswith("g") and name[1:2].isdigit() else ""
        out.setdefault(part, []).append(key)
    return out


def entries_naming(redis, draft_id):
    return [
        (key, member) for key in search_buckets(redis) for member in redis.zrange(key, 0, -1) if names_draft(member, draft_id)
    ]


def all_entries(redis):
    return sorted(member for key in search_buckets(redis) for member in redis.zrange(key, 0, -1))


def expected_entries(redis, store, drafts):
    """The entries those drafts' tombstones say they have: one per word, and one for the id."""
    out = []
    for draft in drafts:
        binary = bytes.fromhex(draft.id.replace("-", ""))
        out += [b"\0" + binary] + [word.encode() + b"\0" + binary for word in set(tomb(redis, store, draft.id)["q"].split())]
    return sorted(out)


def tomb(redis, store, draft_id):
    return json.loads(redis.get(store.key("tomb", draft_id)))


def test_an_expiry_leaves_the_entries_to_the_generation_which_then_goes_whole(store, drafts_redis):
    drafts = named_drafts((f"Depot {n:02d}", "Acme", f"ops{n}@acme.example") for n in range(30))
    gone, kept = drafts[:20], drafts[20:]
    expire_for_real(drafts_redis, *(draft.id for draft in gone), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    cleanup()

    # Not listed any more, though their entries stay until their generation is over.
    assert found(store, "depot") == {draft.id for draft in kept}
    assert entries_naming(drafts_redis, gone[0].id)
    first = tomb(drafts_redis, store, kept[0].id)["g"]

    clock.travel(HOUR)
    counts = summary(cleanup()[0])

    assert counts["search"] == 1
    assert found(store, "depot") == {draft.id for draft in kept}
    assert found(store, "acme") == {draft.id for draft in kept}
    for draft in gone:
        assert entries_naming(drafts_redis, draft.id) == []
    # The drafts that reads kept alive moved to this hour's generation, and their tombstones say so.
    parts = generation_keys(drafts_redis)
    assert f"g{first}" not in parts and len(parts) == 1
    moved_to = {tomb(drafts_redis, store, draft.id)["g"] for draft in kept}
    assert moved_to == {search_generation(clock.now())}
    assert all_entries(drafts_redis) == expected_entries(drafts_redis, store, kept)


def test_a_generation_is_not_dropped_while_a_draft_written_in_it_can_still_be_alive(store, drafts_redis):
    draft = named_drafts([("Lighthouse", "Keeper", "k@isle.example")])[0]
    clock.travel(timedelta(seconds=django_settings.SESSION_TTL - 60))

    assert summary(cleanup()[0])["search"] == 0
    assert found(store, "lighthouse") == {draft.id}
    assert entries_naming(drafts_redis, draft.id)


def test_a_save_in_a_later_hour_moves_every_entry_and_a_changed_word_is_no_longer_found(store, drafts_redis):
    draft = named_drafts([("Granary Conversion", "Millers", "m@mill.example")])[0]
    before = tomb(drafts_redis, store, draft.id)["g"]
    clock.travel(HOUR)
    draft, _ = store.load(draft.id)
    draft.wizard["step_data"]["details"]["details-project_name"] = ["Maltings Conversion"]
    store.save(draft)

    assert found(store, "maltings") == {draft.id}
    assert found(store, "granary") == set()
    assert found(store, "millers") == {draft.id}
    assert tomb(drafts_redis, store, draft.id)["g"] == before + int(HOUR.total_seconds())
    assert list(generation_keys(drafts_redis)) == [f"g{before + int(HOUR.total_seconds())}"]  # the old generation emptied
    assert all_entries(drafts_redis) == expected_entries(drafts_redis, store, [draft])


def test_a_search_reads_every_generation(store, drafts_redis):
    early = named_drafts([("Pier Survey", "Tide Co", "a@tide.example")])[0]
    clock.travel(HOUR * 3)
    late = named_drafts([("Pier Lighting", "Tide Co", "b@tide.example")])[0]

    assert len(generation_keys(drafts_redis)) == 2
    assert found(store, "pier") == {early.id, late.id}
    assert found(store, "tide co") == {early.id, late.id}
    assert found(store, early.id[:8]) == {early.id}


def test_a_sweep_in_small_steps_keeps_drafts_saved_between_its_steps(store, drafts_redis):
    drafts = named_drafts((f"Pontoon {n:02d}", f"Owner {n}", f"q{n}@quay.example") for n in range(40))
    past_their_search_generation()
    steps = store.sweep_search(batch_size=3)
    next(steps)
    # While the sweep is part way, a draft it has not reached yet is saved with a new name.
    ids = sorted(drafts, key=lambda draft: bytes.fromhex(draft.id.replace("-", "")))
    renamed, _ = store.load(ids[-1].id)
    renamed.wizard["step_data"]["details"]["details-project_name"] = ["Wharf"]
    store.save(renamed)
    rest = list(steps)

    assert len(rest) > 5  # it did go in steps
    assert found(store, "pontoon") == {draft.id for draft in drafts} - {renamed.id}
    assert found(store, "quay") == {draft.id for draft in drafts}
    assert found(store, "wharf") == {renamed.id}
    assert len(generation_keys(drafts_redis)) == 1
    assert all_entries(drafts_redis) == expected_entries(drafts_redis, store, drafts)


def test_the_index_of_the_release_before_generations_is_swept_at_the_first_cleanup(store, drafts_redis):
    """The previous release wrote tombstones without "g" and its entries in search:buckets /
    search:b:<sha1>; its live drafts stay findable, and its expired ones go."""
    drafts = [_saved_as_before_generations(store, f"Legacy {n:02d}", f"Old{n}") for n in range(12)]
    assert list(generation_keys(drafts_redis)) == [""]
    assert found(store, "legacy") == {draft.id for draft in drafts}  # read as before
    gone = drafts[:4]
    expire_for_real(drafts_redis, *(draft.id for draft in gone), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    past_their_expiry()

    counts = summary(cleanup()[0])

    assert counts["expired"] == 4 and counts["search"] == 1
    assert found(store, "legacy") == {draft.id for draft in drafts[4:]}
    assert found(store, "old7") == {drafts[7].id}
    assert "" not in generation_keys(drafts_redis)
    for draft in drafts[4:]:
        assert "g" in tomb(drafts_redis, store, draft.id)
    for draft in gone:
        assert entries_naming(drafts_redis, draft.id) == []


def _saved_as_before_generations(store, project, client):
    """A draft written as the release before generations wrote it: SAVE with no "g" in its tombstone."""
    from sessions_store.drafts import Draft, Owner, user_agent_hash

    draft = Draft.new(owner=Owner(key="u:1", user_agent_hash=user_agent_hash("bulk")), metadata={"user_agent": "bulk"})
    draft.wizard["step"] = "requirements"
    draft.wizard["step_data"]["details"] = {
        "details-project_name": [project], "details-client_name": [client], "details-client_email": [f"{client.lower()}@x.example"],
    }
    keys, args = store.save_command(draft, create=True)
    written = json.loads(args[6])
    del written["g"]
    args[6] = json.dumps(written)
    assert script(SAVE)(keys=keys, args=args) == 1
    return draft


def test_a_live_draft_whose_tombstone_has_no_generation_keeps_its_entries_when_its_generation_goes(store, drafts_redis):
    """While the release before generations still serves some requests (a rolling deploy, a
    rollback), its SAVE can write a draft of this release: its tombstone then has no "g", and a
    save that changes no word leaves the entries where they are, in their generation (that
    script only touches the words that changed, in search:buckets). Nothing is in search:buckets,
    so no sweep of it runs; the generation's own sweep must still move the draft."""
    draft = named_drafts([("Breakwater Repair", "Harbour Board", "hb@port.example")])[0]
    written = tomb(drafts_redis, store, draft.id)
    del written["g"]  # the previous release's SAVE: same words, no "g"
    drafts_redis.set(store.key("tomb", draft.id), json.dumps(written), keepttl=True)
    past_their_search_generation()  # the draft itself is alive: reads slid it

    assert summary(cleanup()[0])["search"] == 1

    assert found(store, "breakwater") == {draft.id}
    assert found(store, draft.id[:8]) == {draft.id}
    assert all_entries(drafts_redis) == expected_entries(drafts_redis, store, [draft])


def test_generations_written_before_the_generation_length_grew_are_still_swept(store, drafts_redis, settings):
    """DRAFT_SEARCH_GENERATION is a setting: after it grows (a minute to an hour), the
    generations written under the old length must still end, not stay in every search for good."""
    settings.DRAFT_SEARCH_GENERATION = 60
    drafts = named_drafts((f"Lock Gate {n}", "Canal Trust", f"c{n}@canal.example") for n in range(6))
    expire_for_real(drafts_redis, *(draft.id for draft in drafts[:4]), tombstone_ttl=django_settings.DRAFT_TOMBSTONE_TTL)
    settings.DRAFT_SEARCH_GENERATION = 3600
    clock.travel(timedelta(seconds=django_settings.SESSION_TTL + 2 * 3600))

    counts = summary(cleanup()[0])

    assert counts["expired"] == 4 and counts["search"] == 1
    assert found(store, "lock") == {draft.id for draft in drafts[4:]}
    assert all_entries(drafts_redis) == expected_entries(drafts_redis, store, drafts[4:])
    assert drafts_redis.zcard(store.key("search", "gens")) == 1  # only the one they moved to
