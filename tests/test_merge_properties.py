"""The three-way merge of step values (sessions_store.merge), as properties (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from sessions_store.merge import merge

KEYS = st.sampled_from(["details-project_name", "details-client_name", "details-budget", "details-priority"])
VALUE = st.one_of(st.none(), st.lists(st.sampled_from(["", "a", "b", "Harbour", "on"]), min_size=1, max_size=2))


def values():
    return st.dictionaries(KEYS, VALUE).map(lambda d: {k: v for k, v in d.items() if v is not None})


@given(values(), values(), values())
def test_it_never_loses_what_only_one_side_changed(base, stored, incoming):
    merged, conflicts = merge(base, stored, incoming)
    for key in set(base) | set(stored) | set(incoming):
        if key in conflicts:
            continue
        if incoming.get(key) != base.get(key):
            assert merged.get(key) == incoming.get(key)  # the page's change is kept
        if stored.get(key) != base.get(key):
            assert merged.get(key) == stored.get(key)  # the other side's change is kept


@given(values(), values(), values())
def test_it_reports_a_conflict_exactly_when_both_sides_changed_a_field_differently(base, stored, incoming):
    _, conflicts = merge(base, stored, incoming)
    both = {
        key for key in set(base) | set(stored) | set(incoming)
        if incoming.get(key) != base.get(key) and stored.get(key) != base.get(key) and incoming.get(key) != stored.get(key)
    }
    assert set(conflicts) == both
    for key, (mine, theirs) in conflicts.items():
        assert (mine, theirs) == (incoming.get(key), stored.get(key))


@given(values(), values(), values())
def test_it_is_idempotent(base, stored, incoming):
    merged, conflicts = merge(base, stored, incoming)
    again, again_conflicts = merge(base, merged, incoming)
    assert again == merged and again_conflicts == conflicts
    assert merge(merged, merged, merged) == (merged, {})


@given(values(), values())
def test_it_changes_nothing_when_the_page_was_up_to_date(stored, incoming):
    assert merge(stored, stored, incoming) == (incoming, {})
    assert merge(incoming, stored, incoming) == (stored, {})
