"""Benchmark: what a draft costs in Redis with a full version history against none.

    .venv/bin/python bench/draft_bytes.py

A typical draft (steps 1-3 submitted, one document, two connectors) is written with the real
store, then edited 20 times as a person does (autosaved edits of one or two answers: a name
tweaked, a sentence added to the description, the notes, a connector), once with
DRAFT_HISTORY_REVISIONS=0 (no history) and once with the defaults. It reports the record's
JSON size and Redis' MEMORY USAGE of the record key, and the same after 20 long edits (a
2,000-character description rewritten each time), where DRAFT_HISTORY_BYTES is what bounds it.

Uses its own embedded Redis under var/bench/ (or REDIS_URL if set); it deletes the drafts it
made and nothing else.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DRAFT_LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")

EDITS = 20
SENTENCES = [
    "Replace the chillers on the roof.", "Re-zone floors 2 to 5.", "Keep the lobby open during works.",
    "Phase the works by floor.", "Meter each zone separately.", "Commission in the cooling season.",
]


def setup():
    if not os.environ.get("REDIS_URL"):
        from sessions_store import embedded

        embedded.start()
    import django

    django.setup()


def typical_draft():
    from sessions_store.drafts import Draft, Owner

    draft = Draft.new(owner=Owner(key="u:1"), metadata={"user_agent": "bench", "ip_address": "127.0.0.1", "platform": "Linux"})
    details = {
        "project_name": "Harbour Office Retrofit", "project_description": "Replace the chillers and re-zone floors 2-5.",
        "building_type": "commercial", "square_footage": "45000", "number_of_floors": "6", "number_of_zones": "24",
        "client_name": "Harbour Estates Ltd", "client_email": "facilities@harbour.example", "client_phone": "+44 20 7946 0000",
        "project_location": "Bristol, UK", "estimated_start_date": "2027-03-01", "estimated_end_date": "2027-09-30",
        "budget": "1250000", "priority": "high",
    }
    draft.wizard["step_data"] = {
        "details": {f"details-{key}": [value] for key, value in details.items()},
        "requirements": {"requirements-requirements_notes": ["See the spec."]},
        "sources": {
            "sources-ai_sourcing_enabled": ["on"], "sources-connectors-TOTAL_FORMS": ["2"],
            "sources-connectors-INITIAL_FORMS": ["0"], "sources-connectors-MIN_NUM_FORMS": ["0"],
            "sources-connectors-MAX_NUM_FORMS": ["20"],
            "sources-connectors-0-connector_type": ["google_drive"],
            "sources-connectors-0-target": ["https://drive.google.com/drive/folders/abc"],
            "sources-connectors-1-connector_type": ["sharepoint"],
            "sources-connectors-1-target": ["https://harbour.sharepoint.com/sites/retrofit"],
        },
    }
    draft.validation = {"details": True, "requirements": True, "sources": True}
    draft.files = [{"id": "a1b2c3d4e5f6", "name": "brief.pdf", "tmp_name": f"{draft.id}/a1b2c3d4e5f6.pdf", "size": 48213,
                    "content_type": "application/pdf", "uploaded_at": "2026-01-01T10:00:00+00:00"}]
    draft.wizard["step"] = "review"
    return draft


def typical_edit(draft, number):
    """One autosaved edit of one or two answers, kept as the step's unsubmitted values."""
    step = ("details", "details", "requirements", "sources")[number % 4]
    values = dict(draft.shown_data(step))
    if step == "details" and number % 8 == 0:
        values["details-project_name"] = [f"Harbour Office Retrofit, phase {number // 8 + 1}"]
        values["details-budget"] = [str(1250000 + 5000 * number)]
    elif step == "details":
        values["details-project_description"] = [values["details-project_description"][0] + " " + SENTENCES[number % len(SENTENCES)]]
    elif step == "requirements":
        values["requirements-requirements_notes"] = [f"See the spec, revision {number}. Section 4 changed."]
    else:
        values["sources-connectors-1-target"] = [f"https://harbour.sharepoint.com/sites/retrofit-{number}"]
    return step, values


def long_edit(draft, number):
    values = dict(draft.shown_data("details"))
    values["details-project_description"] = [(SENTENCES[number % len(SENTENCES)] + " ") * 60]  # about 2,000 characters
    return "details", values


def measure(store, edit, revisions):
    from django.test import override_settings

    with override_settings(DRAFT_HISTORY_REVISIONS=revisions):
        draft = store.create(typical_draft())
        for number in range(EDITS):
            step, values = edit(draft, number)
            draft.pending[step] = {"data": values, "saved_at": "2026-01-01T10:00:00+00:00"}
            draft = store.save(draft, step=step)
        key = store.key("draft", draft.id)
        size = (len(draft.to_json().encode()), store.redis.memory_usage(key, samples=0), len(draft.history))
        store.delete(draft, action="delete")
        return size


def main():
    setup()
    from django.conf import settings

    from sessions_store.store import get_draft_store

    store = get_draft_store()
    print(f"{EDITS} edits; DRAFT_HISTORY_REVISIONS={settings.DRAFT_HISTORY_REVISIONS}, "
          f"DRAFT_HISTORY_BYTES={settings.DRAFT_HISTORY_BYTES}, SESSION_MAX_BYTES={settings.SESSION_MAX_BYTES}")
    print("| edits | history | entries kept | record JSON (bytes) | MEMORY USAGE (bytes) |")
    print("|---|---|---:|---:|---:|")
    for name, edit in (("typical", typical_edit), ("2,000-character", long_edit)):
        for label, revisions in (("none", 0), ("default", settings.DRAFT_HISTORY_REVISIONS)):
            json_bytes, memory, kept = measure(store, edit, revisions)
            print(f"| {name} | {label} | {kept} | {json_bytes:,} | {memory:,} |")


if __name__ == "__main__":
    main()
