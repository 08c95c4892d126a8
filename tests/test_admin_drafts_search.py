"""Staff review of drafts in Django admin: searching the list by the start of the words of the
project name, client name and email (ignoring case), by an email's domain and by the start of a
draft id; with the filters, sorting and pagination; the index behind it, compact at any size.
Real Redis; the users and helpers are in admin_helpers.py.
"""

from datetime import timedelta

import pytest

from projects.services import draft_discard
from sessions_store.store import get_draft_store

from .admin_helpers import (
    IPHONE_UA,
    LIST_URL,
    attach,
    browser,
    bulk_drafts,
    listed_ids,
    logged_in,
    named_drafts,
    paginator,
    rows,
    search_buckets,
)
from .admin_helpers import day_long_drafts, staff_viewer  # noqa: F401 (fixtures)
from .wizard_helpers import details_post, start_draft, step_url

pytestmark = pytest.mark.django_db


# --- search ---------------------------------------------------------------------------------------

@pytest.fixture
def searchable(owner, other_user):
    return {
        "harbour": start_draft(browser(owner)),  # Harbour Office Retrofit / Harbour Estates Ltd / facilities@harbour.example
        "riverside": start_draft(
            browser(ua=IPHONE_UA),
            project_name="Riverside School Extension",
            client_name="Northfield Council",
            client_email="Estates.Team@Northfield.example",
        ),
        "kestrel": start_draft(
            browser(other_user), project_name="Data Hall Cooling", client_name="Kestrel Compute", client_email="ops@kestrel.example"
        ),
    }


def test_it_searches_by_project_name_client_name_and_email_ignoring_case(staff_viewer, searchable):
    client = logged_in(staff_viewer)
    ids = searchable

    def found(query):
        return set(listed_ids(client, q=query))

    assert found("riverSIDE sch") == {ids["riverside"]}
    assert found("northfield coun") == {ids["riverside"]}
    assert found("ESTATES.team@northfield") == {ids["riverside"]}
    assert found("kestrel.ex") == {ids["kestrel"]}
    assert found("hall cool") == {ids["kestrel"]}
    assert found("  Harbour Office  ") == {ids["harbour"]}
    assert found("estates") == {ids["harbour"], ids["riverside"]}
    assert found("no such project") == set()
    assert found("*") == set()  # glob characters are literal
    assert found("[a-z]") == set()

    response = client.get(LIST_URL, {"q": "no such project"})
    assert "No drafts match." in response.content.decode()
    assert paginator(response) == (0, 1, 1)


def test_it_searches_by_draft_id(staff_viewer, searchable):
    client = logged_in(staff_viewer)
    kestrel = searchable["kestrel"]

    assert listed_ids(client, q=kestrel) == [kestrel]
    assert listed_ids(client, q=kestrel.upper()) == [kestrel]
    assert listed_ids(client, q=kestrel[:13]) == [kestrel]


def test_it_combines_search_with_filters_and_sorting(staff_viewer, searchable, frozen_clock, pdf, owner):
    client = logged_in(staff_viewer)
    ids = searchable

    assert set(listed_ids(client, q="estates", kind="anonymous")) == {ids["riverside"]}
    assert set(listed_ids(client, q="estates", kind="user")) == {ids["harbour"]}
    assert listed_ids(client, q="estates", step="sources") == []

    frozen_clock.travel(timedelta(minutes=5))
    attach(browser(owner), ids["harbour"], pdf())
    assert listed_ids(client, q="estates", step="sources") == [ids["harbour"]]
    assert listed_ids(client, q="estates", o="last_activity") == [ids["riverside"], ids["harbour"]]
    assert listed_ids(client, q="estates", o="-last_activity") == [ids["harbour"], ids["riverside"]]
    assert listed_ids(client, q="estates", o="created") == [ids["harbour"], ids["riverside"]]


def test_it_finds_a_renamed_draft_by_its_new_name_only(staff_viewer, owner):
    owner_browser = browser(owner)
    draft_id = start_draft(owner_browser, project_name="Old Depot", client_email="first@client.example")
    response = owner_browser.post(
        step_url(draft_id, "details"),
        details_post(project_name="New Depot", client_email="second@client.example"),
    )
    assert response.status_code == 302
    client = logged_in(staff_viewer)

    assert listed_ids(client, q="old depot") == []
    assert listed_ids(client, q="first@client") == []
    assert listed_ids(client, q="new depot") == [draft_id]
    assert listed_ids(client, q="second@client") == [draft_id]


def test_it_pages_search_results(staff_viewer, owner, frozen_clock):
    bulk_drafts(55, f"u:{owner.pk}", frozen_clock)
    client = logged_in(staff_viewer)

    response = client.get(LIST_URL, {"q": "bulk", "p": 2})

    assert [row["name"] for row in rows(response)] == ["Bulk 04", "Bulk 03", "Bulk 02", "Bulk 01", "Bulk 00"]
    assert paginator(response) == (55, 2, 2)
    assert paginator(client.get(LIST_URL, {"q": "bulk 5"})) == (5, 1, 1)


def test_it_finds_words_emails_domains_and_id_prefixes_among_hundreds_of_drafts(staff_viewer, drafts_redis):
    # ~300 drafts: far more index entries than one compact sorted set holds, so the index splits.
    crowd = named_drafts(
        (f"Warehouse {n:03d} Refit", f"Client {n % 40}", f"buyer{n}@firm{n % 7}.example") for n in range(300)
    )
    long_word = "Supercalifragilisticexpialidocious-Extended-Edition-Hall"
    target = named_drafts([(f"Quayside {long_word}", "O'Brien & Sons, Ltd.", "Estates.Team@Northfield.example")])[0].id
    client = logged_in(staff_viewer)

    def found(query):
        return set(listed_ids(client, q=query))

    assert found("quay") == {target}
    assert found("o'brien sons ltd") == {target}  # punctuation at a word's ends is not part of it
    assert found("estates.team@north") == {target}
    assert found("northfield.ex") == {target}  # an email's domain is a word of its own
    assert found(long_word[:45]) == {target}  # long words are cut at 40 bytes, and so are queries
    assert found(target[:8]) == {target}
    assert found(target[:13].upper()) == {target}
    assert found("brien") == set()  # words are matched from their start, not anywhere inside
    assert found("warehouse 123") == {crowd[123].id}
    assert found("warehouse refit client 7") == {draft.id for n, draft in enumerate(crowd) if n % 40 == 7}
    assert paginator(client.get(LIST_URL, {"q": "firm3.example"}))[0] == len(range(3, 300, 7))

    buckets = search_buckets(drafts_redis)
    assert len(buckets) > 10
    assert all(entries < 128 and encoding in (b"listpack", b"ziplist") for entries, encoding in buckets.values())


def test_it_drops_a_discarded_draft_from_search_and_finds_it_again_once_restored(staff_viewer, drafts_redis):
    draft = named_drafts([("Lighthouse Keepers Cottage", "Trinity House", "works@trinity.example")])[0]
    client = logged_in(staff_viewer)
    assert listed_ids(client, q="lighthouse") == [draft.id]

    draft_discard(draft=draft)
    assert listed_ids(client, q="lighthouse") == []
    assert search_buckets(drafts_redis) == {}

    get_draft_store().restore(draft.id)  # as draft_restore does, once the owner's request is checked
    assert listed_ids(client, q="lighthouse") == [draft.id]


def test_it_checks_the_other_words_of_a_query_in_any_script_and_with_quotes(staff_viewer):
    # The tombstone holds such words escaped in its JSON; the check reads them all the same.
    cafe, quoted = named_drafts(
        [("Café Rénovation Zoë", "Société Générale", "zoë@société.example"), ('Hall B"2 Annex', "Back\\Slash Co", "q@quoted.example")]
    )
    client = logged_in(staff_viewer)

    assert set(listed_ids(client, q="CAFÉ rénov")) == {cafe.id}
    assert set(listed_ids(client, q="société zoë")) == {cafe.id}
    assert set(listed_ids(client, q='annex b"2')) == {quoted.id}
    assert set(listed_ids(client, q="annex hall back\\slash")) == {quoted.id}
    assert set(listed_ids(client, q="rénov annex")) == set()


# --- ordering, paging and the cap, done by the search script ------------------------------------------

def test_it_orders_drafts_of_the_same_moment_by_id_and_pages_through_them(drafts_redis):
    # Five drafts whose last activity is the same to the microsecond: they are ordered by id
    # (descending when newest first), and paging through them neither skips nor repeats one.
    store = get_draft_store()
    made = named_drafts((f"Tied {n}", "Same Moment", "tied@moment.example") for n in range(5))
    drafts_redis.zadd(store.key("index"), {draft.id: 1_800_000_000.25 for draft in made}, xx=True)
    ids = sorted(draft.id for draft in made)

    def pages(sort):
        return [[d.id for d in store.page(query="tied", sort=sort, number=n, per_page=2)[1]] for n in (1, 2, 3)]

    assert pages("-last_activity") == [ids[4:2:-1], ids[2:0:-1], ids[:1]]
    assert pages("last_activity") == [ids[0:2], ids[2:4], ids[4:]]
    assert store.page(query="tied", per_page=2)[0] == 5


def test_it_lists_at_most_the_search_limit_and_filters_what_it_found(staff_viewer, drafts_redis, monkeypatch):
    from sessions_store import redis_admin

    early = named_drafts((f"Capped {n}", "Many Matches", "cap@limit.example") for n in range(3))
    late = named_drafts([("Capped 3", "Many Matches", "cap@limit.example")], step="sources")
    monkeypatch.setattr(redis_admin, "SEARCH_LIMIT", 3)
    client = logged_in(staff_viewer)

    response = client.get(LIST_URL, {"q": "many matches"})
    assert paginator(response) == (3, 1, 1)  # the first 3 found, in the index's order of words
    assert len(rows(response)) == 3
    assert set(listed_ids(client, q="capped 3")) == {late[0].id}
    assert len(listed_ids(client, q="capped", step="requirements")) <= 3
    assert {d.id for d in early} >= set(listed_ids(client, q="capped", step="requirements"))


def test_a_search_page_costs_two_round_trips_its_ids_ordered_and_paged_in_redis(drafts_redis, round_trips):
    store = get_draft_store()
    made = named_drafts((f"Trip {n}", "Round Trip Ltd", "trips@round.example") for n in range(60))
    store.page(query="round trip")  # the script is loaded: no NOSCRIPT retry below
    round_trips.clear()

    total, drafts = store.page(query="round trip", kind="user", per_page=50)

    assert (total, len(drafts)) == (60, 50)
    assert len(round_trips) == 2  # the search script, then the page's drafts
    assert {d.id for d in drafts} <= {d.id for d in made}


def test_a_search_of_several_words_finds_every_draft_with_all_of_them_and_stops_at_the_limit_among_those(drafts_redis, monkeypatch):
    """Hundreds of drafts have one of the words and only some both, interleaved: the search neither
    misses one nor finds one too many; cut at the limit, it keeps the first drafts (in the index's
    order: by id) that have both."""
    from sessions_store import redis_admin

    store = get_draft_store()
    made = named_drafts(
        (f"Alpha {n}", "Beta Ltd" if n % 3 else "Gamma Ltd", f"team{n}@alpha.example") for n in range(450)
    )
    both = sorted(d.id for n, d in enumerate(made) if n % 3)

    assert store.page(query="alpha beta", per_page=1000)[0] == len(both) == 300
    assert {d.id for d in store.page(query="beta alpha", per_page=1000)[1]} == set(both)
    for limit in (1, 199, 200, 201, 299):
        monkeypatch.setattr(redis_admin, "SEARCH_LIMIT", limit)
        total, drafts = store.page(query="alpha beta", per_page=1000)
        assert total == limit
        assert {d.id for d in drafts} == set(both[:limit])
