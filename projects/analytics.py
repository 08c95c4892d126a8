"""The wizard's analytics: what is counted (the names given to sessions_store.counters, which
keeps them per day and per hour in Redis), and the report the admin's "Wizard analytics" page,
its CSV and its JSON are made of.

Counter names (fields of the ``stats:day:<date>`` and ``stats:hour:<date>T<hour>`` hashes):

=============================  ===================================================================
``created``                    a draft was created (page, autosave or API)
``submitted:<step>``           a step was submitted valid for the first time in the draft's life
``autosave``                   an autosave changed the draft
``conflict:merged``            answers changed elsewhere were merged into a save
``conflict:shown``             the same answer was changed differently: both shown to the person
``invalid:<step>``             a submit of the step was refused (page or API)
``invalid:<step>:<field>``     ... naming this field (connector rows as ``connectors-*-target``)
``error:<step>``               a 5xx (an unhandled exception) on the step
``redis_error:<step>``         the draft store was unavailable on the step
``resume:idle``                a draft opened after more than RESUME_IDLE_SECONDS untouched
``resume:list``                a draft resumed from "Your drafts"
``resume:link``                a draft opened from an emailed link
``discarded``                  a draft was discarded
``expired:<step>``             cleanup found a draft expired, that had reached the step
``committed``                  a draft became a project
``time:<step>:<le>``           seconds from the step's page being shown to its first valid submit,
                               in the bucket ``le`` (the bucket's upper bound, or ``inf``)
``complete_time:<le>``         seconds from the draft's creation to its commit
=============================  ===================================================================
"""

import re
from collections import Counter

from sessions_store import clock, counters

from . import steps

RESUME_IDLE_SECONDS = 30 * 60
# Fixed histogram buckets (upper bounds, in seconds); anything longer goes to "inf".
STEP_BUCKETS = (10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 86400)
COMPLETE_BUCKETS = (60, 300, 600, 1800, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400)


def bucket(seconds, bounds):
    return next((str(bound) for bound in bounds if seconds <= bound), "inf")


# --- counting (called by the services; the store carries the counts) ---------------------------------

def note_created(draft):
    draft.count("created")


def note_submitted(draft, step, *, shown_at=None):
    """``step`` was submitted valid: counted once per draft, with the time its page was shown."""
    name = f"submitted:{step}"
    if name in draft.counted:
        return
    draft.count_once(name)
    seconds = seconds_since(shown_at)
    if seconds is not None:
        draft.count(f"time:{step}:{bucket(seconds, STEP_BUCKETS)}")


def seconds_since(shown_at):
    """Seconds from a page's ``shown_at`` (epoch seconds, as the page sent them) to now; None when
    it is missing, not a number, in the future or older than a day (nothing to trust)."""
    try:
        seconds = clock.now().timestamp() - float(shown_at)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds <= 86400 else None


def note_autosave(draft):
    draft.count("autosave")


def note_merged(draft):
    draft.count("conflict:merged")


def note_conflict_shown():
    counters.defer("conflict:shown")


def field_label(step, name):
    """An input name as counted: without the step's prefix, connector rows folded together."""
    name = name[len(step) + 1:] if name.startswith(f"{step}-") else name
    return re.sub(r"-\d+-", "-*-", name)[:60]


def note_refused(step, errors):
    """A submit of ``step`` was refused with ``errors`` ({input name: [messages]})."""
    counters.defer(f"invalid:{step}", *{f"invalid:{step}:{field_label(step, name)}" for name in errors})


def note_error(step, *, store=False):
    counters.defer(f"{'redis_error' if store else 'error'}:{step}")


def note_opened(draft, *, via=None):
    """A request opened ``draft``: a resume if it lay untouched for long, or came from the list."""
    if draft.idle_seconds is not None and draft.idle_seconds > RESUME_IDLE_SECONDS:
        counters.defer("resume:idle")
    if via == "list":
        counters.defer("resume:list")


def note_link_opened():
    counters.defer("resume:link")


def note_discarded(draft):
    draft.count("discarded")


def note_committed(draft):
    """Deferred: the project exists whatever happens to the draft's deletion, which carries it."""
    seconds = max((clock.now() - draft.created_at).total_seconds(), 0)
    counters.defer("committed", f"complete_time:{bucket(seconds, COMPLETE_BUCKETS)}")


def expiry_counts(step):
    return (f"expired:{step}",)


# --- the report ------------------------------------------------------------------------------------

def per_step(counts, prefix):
    return {step: counts.get(f"{prefix}:{step}", 0) for step in steps.STEP_NAMES}


def summary(counts):
    """The counts of one period, under the keys the JSON promises."""
    expired = {name.split(":", 1)[1]: value for name, value in counts.items() if name.startswith("expired:")}
    errors = {
        step: {"5xx": counts.get(f"error:{step}", 0), "redis": counts.get(f"redis_error:{step}", 0)}
        for step in steps.STEP_NAMES
    }
    return {
        "created": counts.get("created", 0),
        "submitted": per_step(counts, "submitted"),
        "committed": counts.get("committed", 0),
        "expired": {"total": sum(expired.values()), "by_step": expired},
        "discarded": counts.get("discarded", 0),
        "errors": {"total": sum(e["5xx"] + e["redis"] for e in errors.values()), "by_step": errors},
        "refused": per_step(counts, "invalid"),
        "autosaves": counts.get("autosave", 0),
        "conflicts": {"merged": counts.get("conflict:merged", 0), "shown": counts.get("conflict:shown", 0)},
        "resumes": {via: counts.get(f"resume:{via}", 0) for via in ("idle", "list", "link")},
    }


def funnel(totals):
    """created → each step submitted → committed: count, share of created, drop-off from the stage before."""
    stages = [("created", "Created", "Created", totals["created"])]
    stages += [
        (f"submitted:{step}", f"{steps.TITLES[step]} submitted", step.capitalize(), totals["submitted"][step])
        for step in steps.STEP_NAMES
    ]
    stages.append(("committed", "Committed", "Committed", totals["committed"]))
    rows, previous = [], None
    for key, label, short, count in stages:
        rows.append(
            {
                "stage": key,
                "label": label,
                "short": short,
                "count": count,
                "conversion": ratio(count, totals["created"]),
                "drop_off": None if previous is None else (ratio(previous - count, previous) if previous else None),
            }
        )
        previous = count
    return rows


def ratio(part, whole):
    return round(part / whole, 4) if whole else None


def histogram(counts, prefix, bounds):
    """[(upper bound or "inf", count)] of one histogram."""
    return [(label, counts.get(f"{prefix}:{label}", 0)) for label in [*map(str, bounds), "inf"]]


def median(buckets, bounds):
    """The median in seconds, interpolated within its bucket (as Prometheus' histogram_quantile);
    the last finite bound when it falls in "inf"; None without observations."""
    total = sum(count for _, count in buckets)
    if not total:
        return None
    half, seen, lower = total / 2, 0, 0
    for (label, count), upper in zip(buckets, [*bounds, None]):
        if count and seen + count >= half:
            if upper is None:
                return bounds[-1]
            return round(lower + (upper - lower) * (half - seen) / count, 1)
        seen += count
        lower = upper if upper is not None else lower
    return bounds[-1]


def top_fields(counts, limit=10):
    fields = Counter()
    for name, value in counts.items():
        parts = name.split(":", 2)
        if parts[0] == "invalid" and len(parts) == 3:
            fields[(parts[1], parts[2])] += value
    return [{"step": step, "field": field, "count": count} for (step, field), count in fields.most_common(limit)]


def report(by_day):
    """The report of ``by_day`` ({date: {counter name: n}}, in date order)."""
    totals_counts = Counter()
    for counts in by_day.values():
        totals_counts.update(counts)
    totals = summary(totals_counts)
    step_histograms = {step: histogram(totals_counts, f"time:{step}", STEP_BUCKETS) for step in steps.STEP_NAMES}
    complete = histogram(totals_counts, "complete_time", COMPLETE_BUCKETS)
    attempts = sum(totals["submitted"].values()) + sum(totals["refused"].values()) + totals["errors"]["total"]
    return {
        "start": min(by_day).isoformat() if by_day else None,
        "end": max(by_day).isoformat() if by_day else None,
        "totals": totals,
        "funnel": funnel(totals),
        "rates": {
            "completion": ratio(totals["committed"], totals["created"]),
            "abandonment": ratio(totals["expired"]["total"] + totals["discarded"], totals["created"]),
            "expiration": ratio(totals["expired"]["total"], totals["created"]),
            "error": ratio(totals["errors"]["total"], attempts),
            "error_by_step": {
                step: ratio(
                    sum(totals["errors"]["by_step"][step].values()),
                    totals["submitted"][step] + totals["refused"][step] + sum(totals["errors"]["by_step"][step].values()),
                )
                for step in steps.STEP_NAMES
            },
        },
        "median_seconds": {
            "steps": {step: median(buckets, STEP_BUCKETS) for step, buckets in step_histograms.items()},
            "complete": median(complete, COMPLETE_BUCKETS),
        },
        "histograms": {
            "steps": {step: dict(buckets) for step, buckets in step_histograms.items()},
            "complete": dict(complete),
        },
        "top_invalid_fields": top_fields(totals_counts),
        "days": [{"date": day.isoformat(), **summary(counts)} for day, counts in by_day.items()],
    }
