"""Benchmark: what issue 12's per-owner checks add to a draft's load and create scripts.

    .venv/bin/python bench/owner_quotas.py

The load script (redis_scripts.LOAD), when its caller asks (a step-2 submit, a file attached on
its own: ``count_uploads``), also adds up the upload bytes of the owner's live drafts
(uploads:<owner>, one EXISTS per draft with files); other loads skip it (issue 14). The create (SAVE with a cap) counts the
owner's live drafts once the owner index holds as many as the cap. Side by side in one run, for
an owner with 1, 10 and 50 drafts that each have a document: the time of one load (EVALSHA,
median of many) and of one create (the create is refused at the cap: that is when it counts).

Uses its own embedded Redis under var/bench/ (or REDIS_URL if set); it flushes that database.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DRAFT_LOG_LEVEL", "CRITICAL")  # the refused creates would each log an ERROR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")

REPEAT = 2000


def setup():
    if not os.environ.get("REDIS_URL"):
        from sessions_store import embedded

        embedded.start()
    import django

    django.setup()


def drafts_for(owner_key, count):
    from django.test import override_settings

    from sessions_store.drafts import Draft, Owner
    from sessions_store.store import get_draft_store

    store = get_draft_store()
    made = []
    with override_settings(DRAFT_MAX_USER=0):
        for number in range(count):
            draft = Draft.new(owner=Owner(key=owner_key, user_agent_hash="x"), metadata={"ip_address": "127.0.0.1"})
            draft.files = [{"id": f"f{number}", "name": "a.pdf", "tmp_name": "x", "size": 1000, "content_type": "application/pdf", "uploaded_at": ""}]
            made.append(store.create(draft))
    return made


def median_ms(call):
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    setup()
    from django.test import override_settings

    from sessions_store.connection import redis
    from sessions_store.drafts import Draft, Owner
    from sessions_store.store import OwnerAtCap, get_draft_store

    redis().flushdb()
    store = get_draft_store()
    rows = []
    for count in (1, 10, 50):
        owner = f"u:bench{count}"
        drafts = drafts_for(owner, count)
        counted_ms = median_ms(lambda: store.load(drafts[0].id, count_uploads=True))
        assert store.load(drafts[0].id, count_uploads=True)[0].owner_upload_bytes == 1000 * count
        load_ms = median_ms(lambda: store.load(drafts[0].id))
        assert store.load(drafts[0].id)[0].owner_upload_bytes is None

        def refused_create():
            draft = Draft.new(owner=Owner(key=owner, user_agent_hash="x"), metadata={})
            try:
                store.create(draft)
            except OwnerAtCap:
                return
            raise AssertionError("the create was not refused")

        with override_settings(DRAFT_MAX_USER=count):
            create_ms = median_ms(refused_create)
        rows.append((count, counted_ms, load_ms, create_ms))
    redis().flushdb()
    print("| Owner's drafts (each with a file) | load counting uploads (ms, median) | any other load (ms, median) "
          "| create refused at the cap (ms, median) |")
    print("|---|---|---|---|")
    for count, counted_ms, load_ms, create_ms in rows:
        print(f"| {count} | {counted_ms:.3f} | {load_ms:.3f} | {create_ms:.3f} |")


if __name__ == "__main__":
    main()
