"""What tests/test_reliability_*.py share: the 503 page's message, the draft as stored, and the
files in an upload area.
"""

from pathlib import Path

from sessions_store.store import get_draft_store


UNAVAILABLE = "We can't save drafts right now because our draft storage is not responding."


def load_draft(draft_id):
    draft, _ = get_draft_store().load(draft_id, slide=False)
    return draft


def files_under(root):
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
