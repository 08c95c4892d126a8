"""Who may open a draft, decided once for the pages, autosave, the API and downloads.

A draft is open to its owner only. Anyone else, and anyone asking for an id that does not
exist, is told "not found", and each such miss counts against SESSION_MAX_ATTEMPTS for the IP
(sessions_store.limits). The owner of an expired draft is told "expired" while its tombstone
lives, and the owner of a discarded one "discarded" (with the way to restore it while it can be); a signed-in user asking for a draft that became their project is sent to the project.
An anonymous draft asked for with the token that made it, but from a browser of another
family (another browser or OS: sessions_store.drafts.user_agent_family), is refused as
OTHER_BROWSER: that request holds the owner's token, so it is no guess at ids and is not a miss;
the page says where the draft was started (the API, whose contract knows no such case, answers
"not found").
The refusal is raised as ``DraftRefused``; wizard_site.middleware answers it on pages and
api_support in JSON.
"""

from sessions_store.drafts import is_draft_id, user_agent_family, user_agent_hash
from sessions_store.limits import record_miss
from sessions_store.store import get_draft_store

from .models import Project

MISSING, LIMITED, EXPIRED, DISCARDED, COMMITTED = "missing", "limited", "expired", "discarded", "committed"
OTHER_BROWSER = "other_browser"


class DraftRefused(Exception):
    def __init__(self, kind, *, draft_id=None, project=None, retry_after=0, ended=None, started_in=""):
        super().__init__(f"draft {draft_id}: {kind}")
        self.kind, self.draft_id, self.project, self.retry_after = kind, draft_id, project, retry_after
        self.ended = ended  # DISCARDED: the store's EndedDraft (title, when, restorable until)
        self.started_in = started_in  # OTHER_BROWSER: the family of the browser that made it


def check(request, owner, draft, tomb_owner, draft_id):
    """Return if ``owner`` may open the draft read for ``draft_id``; else raise DraftRefused."""
    if draft is not None:
        if owner is not None and owner.owns(draft):
            return
        if owner is not None and owner.in_other_browser(draft):
            raise DraftRefused(OTHER_BROWSER, draft_id=draft_id, started_in=_bound_family(draft))
        miss(request, draft_id)
    user = request.user
    if user.is_authenticated and is_draft_id(draft_id):
        project = Project.objects.filter(draft_id=draft_id, owner=user).only("id", "project_name").first()
        if project is not None:
            raise DraftRefused(COMMITTED, draft_id=draft_id, project=project)
    if tomb_owner and owner is not None and tomb_owner == owner.key:
        # Only its owner learns more, at one more round trip, and only on this refusal.
        ended = get_draft_store().ended(draft_id)
        if ended is None or ended.how != DISCARDED:
            raise DraftRefused(EXPIRED, draft_id=draft_id)
        if ended.draft is None or owner.owns(ended.draft):  # an anonymous draft: its own browser
            raise DraftRefused(DISCARDED, draft_id=draft_id, ended=ended)
    miss(request, draft_id)


def _bound_family(draft):
    """The family the draft is bound to, when it is the one it was made in (a draft an emailed
    link moved is bound to another browser than its metadata names): else ""."""
    made_in = draft.metadata.get("user_agent", "")
    return user_agent_family(made_in) if user_agent_hash(made_in) == draft.user_agent_hash else ""


def miss(request, draft_id):
    """Refuse ``draft_id`` as not found, counting the miss against the IP's limit."""
    verdict = record_miss(request)
    if verdict.allowed:
        raise DraftRefused(MISSING, draft_id=draft_id)
    raise DraftRefused(LIMITED, draft_id=draft_id, retry_after=verdict.retry_after)
