"""Wizard analytics: real wizards move the counters in Redis by exactly what happened, and the
admin's "Wizard analytics" page (its own permission, SVG charts with tables, CSV and JSON)
reports them."""

import csv
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import forms as project_forms
from sessions_store import clock, counters
from sessions_store.cleanup import cleanup_drafts
from sessions_store.store import get_draft_store

from .admin_helpers import logged_in, staff
from .lifecycle_helpers import discard_url
from .test_draft_email_link import emailed_link
from .wizard_helpers import (
    attach_on_page, browser, complete_until_review, confirm, details_post, expire_for_real, management,
    page_version, sources_post, start_draft, step_url,
)

pytestmark = pytest.mark.django_db
ANALYTICS_URL = "/admin/projects/wizardanalytics/"


def today():
    return timezone.localtime(clock.now()).date()


def counted(day=None):
    """The day's counters as Redis holds them (reading them carries this process's deferred ones)."""
    label = (day or today()).isoformat()
    days, _ = get_draft_store().counts(days=[label])
    return days[label]


def hour_counted(*moments):
    """The hourly counters of the hours of ``moments``, added up."""
    labels = sorted({counters.hour_label(moment) for moment in moments})
    return dict(sum((Counter(hour) for hour in get_draft_store().counts(hours=labels)[1].values()), Counter()))


def shown_at(response):
    match = re.search(r'name="shown_at" value="([0-9.]+)"', response.content.decode())
    assert match, "the step page carries no shown_at"
    return match.group(1)


@pytest.fixture(autouse=True)
def mid_morning(frozen_clock):
    """10:00 on the next day: no test crosses midnight or an hour's end unless it travels there."""
    now = timezone.localtime(clock.now())
    frozen_clock.travel(now.replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1) - now)


@pytest.fixture
def analyst(db):
    return staff("analyst", "view_wizardanalytics")


# --- the counters ---------------------------------------------------------------------------------------

def test_it_counts_a_whole_wizard_with_its_times(owner_client, pdf, drafts_redis, frozen_clock):
    began = clock.now()
    shown = shown_at(owner_client.get("/projects/new/"))
    frozen_clock.travel(timedelta(seconds=95))  # 95 s on step 1: the 120 s bucket
    response = owner_client.post("/projects/new/", {**details_post(), "shown_at": shown})
    draft_id = response["Location"].split("/")[3]
    page = owner_client.get(step_url(draft_id, "requirements"))
    frozen_clock.travel(timedelta(seconds=20))
    owner_client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": [pdf()], "shown_at": shown_at(page), **management("requirements")},
    )
    owner_client.post(step_url(draft_id, "sources"), sources_post())  # no shown_at: no time counted
    frozen_clock.travel(timedelta(minutes=40))
    assert confirm(owner_client, draft_id).status_code == 302

    expected = {
        "created": 1,
        "submitted:details": 1, "submitted:requirements": 1, "submitted:sources": 1, "submitted:review": 1,
        "time:details:120": 1, "time:requirements:30": 1,
        "committed": 1, "complete_time:3600": 1,  # 40 min 20 s from creation to commit
    }
    assert counted() == expected
    assert hour_counted(began, clock.now()) == expected
    day_ttl = drafts_redis.ttl(counters.day_key(today().isoformat()))
    hour_ttl = drafts_redis.ttl(counters.hour_key(counters.hour_label(clock.now())))
    assert 399 * 86400 < day_ttl <= 400 * 86400
    assert 48 * 3600 < hour_ttl <= 49 * 3600


def test_it_counts_each_step_once_however_often_it_is_submitted(owner_client, pdf):
    draft_id = complete_until_review(owner_client, [pdf()])
    owner_client.post(step_url(draft_id, "details"), details_post(project_name="Renamed"))  # changed from review
    owner_client.post(step_url(draft_id, "sources"), sources_post())
    counts = counted()
    assert counts["created"] == 1
    assert [counts[f"submitted:{step}"] for step in ("details", "requirements", "sources")] == [1, 1, 1]


def test_it_counts_refused_submits_per_step_and_field(owner_client):
    response = owner_client.post("/projects/new/", details_post(project_name="", client_email="not-an-email"))
    assert response.status_code == 200
    draft_id = start_draft(owner_client)
    response = owner_client.post(step_url(draft_id, "requirements"), management("requirements"))
    assert response.status_code == 200  # no document: refused
    assert counted() == {
        "created": 1, "submitted:details": 1,
        "invalid:details": 1, "invalid:details:project_name": 1, "invalid:details:client_email": 1,
        "invalid:requirements": 1, "invalid:requirements:documents": 1,
    }


def test_it_counts_autosaves_and_conflicts_merged_and_shown(owner_client):
    draft_id = start_draft(owner_client)
    version = page_version(owner_client.get(step_url(draft_id, "details")))
    autosave = reverse("projects:autosave", kwargs={"draft_id": draft_id, "step": "details"})
    other_tab = {**details_post(project_description="Changed in the other tab"), "draft_version": version}
    assert owner_client.post(autosave, other_tab).json()["saved"]
    # This tab changed another answer: merged.
    response = owner_client.post(step_url(draft_id, "details"), {**details_post(project_name="Mine"), "draft_version": version})
    assert response.status_code == 302
    # This tab changed the same answer differently: both shown, nothing saved.
    response = owner_client.post(
        step_url(draft_id, "details"), {**details_post(project_description="Mine too"), "draft_version": version}
    )
    assert response.status_code == 409
    counts = counted()
    assert (counts["autosave"], counts["conflict:merged"], counts["conflict:shown"]) == (1, 1, 1)


def test_it_counts_resumes_after_a_while_from_the_list_and_from_a_link(owner_client, anonymous, drafts_redis, mailoutbox, settings):
    draft_id = start_draft(owner_client)
    owner_client.get(step_url(draft_id, "requirements"))  # right away: no resume
    # Redis's own clock: the draft's TTL as 31 minutes untouched leave it.
    drafts_redis.expire(get_draft_store().key("draft", draft_id), settings.SESSION_TTL - 31 * 60)
    owner_client.get(step_url(draft_id, "requirements"))
    owner_client.get(step_url(draft_id, "requirements"))  # the read slid it: not idle any more
    listing = owner_client.get(reverse("projects:drafts")).content.decode()
    resume = re.search(rf'href="(/projects/new/{draft_id}/\?via=list)"', listing).group(1)
    assert owner_client.get(resume).status_code == 302
    anonymous_draft = start_draft(anonymous)
    link = emailed_link(anonymous, anonymous_draft, mailoutbox)
    other = browser()
    assert other.get(link).status_code == 200  # "Continue in this browser?": not opened yet
    assert other.post(link).status_code == 302
    counts = counted()
    assert (counts["resume:idle"], counts["resume:list"], counts["resume:link"]) == (1, 1, 1)


def test_it_counts_discards_and_expiries_by_the_step_reached(owner_client, drafts_redis, frozen_clock, pdf):
    owner_client.post(discard_url(start_draft(owner_client)))
    at_requirements = start_draft(owner_client)
    at_sources = start_draft(owner_client)
    attach_on_page(owner_client, at_sources)
    expire_for_real(drafts_redis, at_requirements, at_sources)
    frozen_clock.travel(timedelta(days=2))
    assert cleanup_drafts().expired == 2
    assert counted() == {"expired:requirements": 1, "expired:sources": 1}
    assert counted(today() - timedelta(days=2))["discarded"] == 1


def test_it_counts_server_errors_and_store_outages_per_step(owner_client, owner, redis_outage, monkeypatch):
    draft_id = start_draft(owner_client)
    redis_outage.begin()
    response = owner_client.post(step_url(draft_id, "sources"), sources_post())
    assert response.status_code == 503
    redis_outage.end()

    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(project_forms.RequirementsForm, "clean", broken)
    failing = Client(raise_request_exception=False)
    failing.force_login(owner)
    assert failing.post(step_url(draft_id, "requirements"), management("requirements")).status_code == 500
    counts = counted()
    assert (counts["redis_error:sources"], counts["error:requirements"]) == (1, 1)


def test_it_keeps_deferred_counts_when_the_store_fails_and_sends_them_later(redis_outage):
    counters.defer("conflict:shown")
    redis_outage.begin()
    with pytest.raises(Exception):
        get_draft_store().load("6f0e7a0a-3c4b-4d5e-8f90-1a2b3c4d5e6f")
    redis_outage.end()
    assert counted() == {"conflict:shown": 1}


# --- the admin page ------------------------------------------------------------------------------------

def test_it_is_linked_from_the_admin_index_for_staff_with_its_permission_only(analyst):
    index = logged_in(analyst).get("/admin/").content.decode()
    assert f'href="{ANALYTICS_URL}"' in index and "Wizard analytics" in index
    nobody = logged_in(staff("no_analytics", "view_draftrecord"))
    assert ANALYTICS_URL not in nobody.get("/admin/").content.decode()
    assert nobody.get(ANALYTICS_URL).status_code == 403


def test_it_shows_the_funnel_rates_and_fields_as_svg_and_tables(analyst, owner_client, pdf):
    complete_until_review(owner_client, [pdf()])
    start_draft(owner_client)
    owner_client.post("/projects/new/", details_post(project_name=""))
    response = logged_in(analyst).get(ANALYTICS_URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<svg viewBox="0 0 480') == 2 and page.count('role="img" aria-labelledby=') == 2
    assert " style=" not in page and "<style" not in page
    funnel = re.search(r'id="funnel-caption">.*?</table>', page, re.S).group(0)
    cells = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td class=\"num\">(\d+)</td><td class=\"num\">([^<]+)</td>", funnel)
    assert [(label, int(count), share) for label, count, share in cells] == [
        ("Created", 2, "100.0 %"),
        ("Project details submitted", 2, "100.0 %"),
        ("Requirements documents submitted", 1, "50.0 %"),
        ("Data sources submitted", 1, "50.0 %"),
        ("Review &amp; create submitted", 0, "0.0 %"),
        ("Committed", 0, "0.0 %"),
    ]
    assert "<code>project_name</code>" in page


def test_it_downloads_json_and_csv_with_the_promised_keys(analyst, owner_client, pdf, frozen_clock):
    draft_id = complete_until_review(owner_client, [pdf()])
    confirm(owner_client, draft_id)
    frozen_clock.travel(timedelta(days=1))
    start_draft(owner_client)
    client = logged_in(analyst)
    start, end = (today() - timedelta(days=1)).isoformat(), today().isoformat()
    report = client.get(ANALYTICS_URL, {"start": start, "end": end, "format": "json"}).json()
    assert report["totals"]["created"] == 2 and report["totals"]["committed"] == 1
    assert report["totals"]["submitted"] == {"details": 2, "requirements": 1, "sources": 1, "review": 1}
    assert [day["created"] for day in report["days"]] == [1, 1]
    for counts in (report["totals"], *report["days"]):
        assert {"created", "submitted", "committed", "expired", "discarded", "errors"} <= set(counts)
    assert [stage["count"] for stage in report["funnel"]] == [2, 2, 1, 1, 1, 1]
    assert report["funnel"][2]["drop_off"] == 0.5 and report["rates"]["completion"] == 0.5
    assert report["histograms"]["complete"]["60"] == 1 and report["median_seconds"]["complete"] == 30.0

    response = client.get(ANALYTICS_URL, {"start": start, "end": end, "format": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="wizard-analytics-{start}-{end}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["date"], row["created"], row["committed"]) for row in rows] == [(start, "1", "1"), (end, "1", "0"), ("total", "2", "1")]


def test_it_refuses_a_range_it_cannot_show_with_a_clear_error_keeping_what_was_typed(analyst):
    client = logged_in(analyst)
    page = client.get(ANALYTICS_URL, {"start": "2026-05-10", "end": "2026-05-01"}).content.decode()
    assert "“From” must be on or before “To”." in page and 'value="2026-05-10"' in page
    page = client.get(ANALYTICS_URL, {"start": "2020-01-01", "end": "2026-05-01"}).content.decode()
    assert "Choose at most 400 days" in page
    page = client.get(ANALYTICS_URL, {"start": "soon", "end": "2026-05-01"}).content.decode()
    assert "Enter a valid date." in page and 'value="soon"' in page
    assert client.get(ANALYTICS_URL, {"start": "soon", "end": "x", "format": "json"}).status_code == 400


def test_it_reads_one_hash_a_day_in_one_round_trip_never_a_scan(analyst, round_trips):
    client = logged_in(analyst)
    assert client.get(ANALYTICS_URL, {"start": "2026-01-01", "end": "2026-03-31"}).status_code == 200
    commands = b"".join(part for command in round_trips for part in ([command] if isinstance(command, bytes) else command))
    assert commands.count(b"HGETALL") == 90 and len(round_trips) == 1
    assert b"SCAN" not in commands and b"KEYS" not in commands
