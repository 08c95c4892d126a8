"""``manage.py cleanup_drafts``: running it as cron would and reading its summary, drafts and files
to clean up, and what Redis and the upload area hold; shared by tests/test_cleanup_drafts_*.py.
The test modules import the ``store`` and ``root`` fixtures from here.

Real Redis, real files under a per-test DRAFT_UPLOAD_ROOT, drafts made through the wizard. A draft
"expires" the way Redis expires it (wizard_helpers.expire_for_real: PEXPIRE on its record, then
wait until it is gone; its tombstone then has DRAFT_TOMBSTONE_TTL left, as it would at a natural
expiry), and the app clock is moved past its expiry (past_their_expiry) so that the expiry index
considers it due.
"""

import io
import os
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from sessions_store import clock
from sessions_store.drafts import Draft, Owner, user_agent_hash
from sessions_store.store import get_draft_store

from .conftest import pdf_bytes, upload
from .wizard_helpers import management, names_draft, step_url


SUMMARY = re.compile(
    r"^(?P<dry>dry run: )?(?:would have )?expired (?P<expired>\d+) drafts, "
    r"(?:would have )?removed (?P<files>\d+) files \((?P<mb>\d+\.\d) MB\), "
    r"(?:would have )?trimmed (?P<tombstones>\d+) stale tombstones, "
    r"(?:would have )?rescheduled (?P<rescheduled>\d+) live index entries, "
    r"(?:would have )?swept (?P<search>\d+) search index generations; "
    r"expired by step reached: (?P<steps>.*) \(\d+\.\d s\)$"
)


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture
def store():
    return get_draft_store()


@pytest.fixture
def root():
    return django_settings.DRAFT_UPLOAD_ROOT


def cleanup(*args, **options):
    """Run the command as cron would; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("cleanup_drafts", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def summary(out):
    """The one-line summary, parsed (and checked to be the only line on stdout)."""
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    counts = {name: int(match[name]) for name in ("expired", "files", "tombstones", "rescheduled", "search")}
    counts["mb"] = match["mb"]
    counts["steps"] = match["steps"]
    counts["dry_run"] = bool(match["dry"])
    return counts


def megabytes(size):
    return f"{size / 1_000_000:.1f}"


def big_pdf(name, size):
    """A real PDF of exactly ``size`` bytes."""
    content = pdf_bytes("x" * (size - len(pdf_bytes(""))))
    assert len(content) == size
    return upload(name, content, "application/pdf")


def post_requirements(client, draft_id, documents):
    response = client.post(
        step_url(draft_id, "requirements"),
        {"requirements-documents": documents, "requirements-requirements_notes": "See the spec.", **management("requirements")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def past_their_expiry():
    """Move the app clock past the drafts' expiry: the expiry index now considers them due."""
    clock.travel(timedelta(seconds=django_settings.SESSION_TTL + 60))


def past_their_search_generation():
    """Move the app clock past the drafts' expiry and the end of their search index generation:
    cleanup now drops the generation (its live drafts' entries move to the current one)."""
    clock.travel(timedelta(seconds=django_settings.SESSION_TTL + django_settings.DRAFT_SEARCH_GENERATION + 60))


def age(path, seconds):
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def write(path, size, *, older_than_ttl=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    if older_than_ttl:
        age(path, django_settings.SESSION_TTL + 3600)
    return path


def keys_mentioning(redis, draft_id):
    """Every index-like key (sorted set) that still names the draft, but its owner's ended drafts
    (``ended:<owner>``), which keep it on purpose, as its tombstone does: "expired 2 days ago"."""
    found = []
    for key in redis.scan_iter(count=1000):
        if redis.type(key) != b"zset" or b":ended:" in key:
            continue
        for member, _ in redis.zscan_iter(key, count=1000):
            if names_draft(member, draft_id):
                found.append(key.decode())
    return found


def disk(root):
    """Every file and folder under the upload root, with file sizes."""
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): (path.stat().st_size if path.is_file() else "dir")
        for path in sorted(root.rglob("*"))
    }


def new_draft(owner_key="u:1"):
    owner = Owner(key=owner_key, user_agent_hash=user_agent_hash("pytest"))
    return Draft.new(owner=owner, metadata={"user_agent": "pytest", "ip_address": "127.0.0.1", "platform": "Linux"})
