"""Every wizard request costs at most two Redis round trips (issue 5's target), the commit too.

Counted on the client side, where redis-py sends each round trip through one call of
``send_packed_command`` (one command, a whole pipeline, or an EVALSHA). The connection's own
upkeep is not the request's cost and is left out: the health-check PING redis-py sends before
using a connection idle for over ``health_check_interval`` (30 s; a long, loaded test run leaves
pooled connections idle that long, which made this test flaky) and the commands of a new
connection's handshake, both sent with ``check_health=False``.
"""

import pytest

from sessions_store import redis_scripts

from .wizard_helpers import confirm, details_post, management, sources_post, start_draft, step_url


def load_every_script():
    """SCRIPT LOAD every Lua script, so no measured request pays a first EVALSHA's NOSCRIPT."""
    for source in vars(redis_scripts).values():
        if isinstance(source, str) and "redis.call" in source:
            redis_scripts.script(source).registered_client.script_load(source)


def test_each_step_of_a_whole_wizard_costs_at_most_two_round_trips(owner_client, pdf, round_trips, settings):
    costs = {}
    # The memory guard's INFO reading is a per-process cache (REDIS_MEMORY_CHECK_SECONDS), not
    # a cost of each request: kept for the whole test once the warm-up has read it.
    settings.REDIS_MEMORY_CHECK_SECONDS = 3600

    def measure(name, call):
        round_trips.clear()
        response = call()
        costs[name] = len(round_trips)
        return response

    # Warm the script cache (a first EVALSHA of a process may need a SCRIPT LOAD) and the
    # memory guard's reading.
    start_draft(owner_client)
    load_every_script()

    measure("GET new", lambda: owner_client.get("/projects/new/"))
    response = measure("POST details (creates)", lambda: owner_client.post("/projects/new/", details_post()))
    draft_id = response["Location"].split("/")[3]
    measure("GET requirements", lambda: owner_client.get(step_url(draft_id, "requirements")))
    measure(
        "POST requirements (upload)",
        lambda: owner_client.post(
            step_url(draft_id, "requirements"),
            {"requirements-documents": [pdf()], **management("requirements")},
        ),
    )
    measure("GET sources", lambda: owner_client.get(step_url(draft_id, "sources")))
    measure("POST sources", lambda: owner_client.post(step_url(draft_id, "sources"), sources_post()))
    measure("GET review", lambda: owner_client.get(step_url(draft_id, "review")))
    response = measure("POST review (commit)", lambda: confirm(owner_client, draft_id))
    assert response.status_code == 302 and "/projects/" in response["Location"]
    assert "new" not in response["Location"]  # the project, not the wizard

    over = {name: cost for name, cost in costs.items() if cost > 2}
    assert not over, costs
    assert costs["POST review (commit)"] == 2


def test_counting_for_the_analytics_adds_no_round_trip(owner_client, pdf, round_trips):
    """Every counter rides on a script or pipeline the request runs anyway: a refused submit
    (nothing to write) still costs one round trip, and its counts go with the next request's."""
    from sessions_store.clock import now
    from sessions_store.counters import day_label
    from sessions_store.store import get_draft_store

    start_draft(owner_client)  # warm the script cache
    draft_id = start_draft(owner_client)
    costs = {}

    def measure(name, call):
        round_trips.clear()
        response = call()
        costs[name] = len(round_trips)
        return response

    refused = measure("POST requirements refused", lambda: owner_client.post(step_url(draft_id, "requirements"), management("requirements")))
    assert refused.status_code == 200  # no document
    measure("GET requirements (carries the refusal)", lambda: owner_client.get(step_url(draft_id, "requirements")))
    measure(
        "POST requirements",
        lambda: owner_client.post(step_url(draft_id, "requirements"), {"requirements-documents": [pdf()], **management("requirements")}),
    )
    measure("POST sources", lambda: owner_client.post(step_url(draft_id, "sources"), sources_post()))
    measure("POST review (commit)", lambda: confirm(owner_client, draft_id))
    assert costs == {
        "POST requirements refused": 1,
        "GET requirements (carries the refusal)": 1,
        "POST requirements": 2,
        "POST sources": 2,
        "POST review (commit)": 2,
    }
    label = day_label(now())
    counts = get_draft_store().counts(days=[label])[0][label]
    assert counts["invalid:requirements"] == 1 and counts["invalid:requirements:documents"] == 1
    assert (counts["created"], counts["submitted:sources"], counts["committed"]) == (2, 1, 1)
