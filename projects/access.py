"""Who may open a draft, decided once for the pages, autosave and the API.

A draft is open to its owner only. Anyone else, and anyone asking for an id that does not
exist, is told "not found", and each such miss counts against SESSION_MAX_ATTEMPTS for the IP
(sessions_store.limits). The owner of an expired draft is told "expired" while its tombstone
lives; a signed-in user asking for a draft that became their project is sent to the project.
"""

from dataclasses import dataclass

from sessions_store.drafts import is_draft_id
from sessions_store.limits import record_miss

from .models import Project

MISSING, LIMITED, EXPIRED, COMMITTED = "missing", "limited", "expired", "committed"


@dataclass
class Refusal:
    kind: str
    project: Project = None
    retry_after: int = 0


def refusal(request, owner, draft, tomb_owner, draft_id):
    """None when ``owner`` may open the draft, else why not."""
    if draft is not None:
        if owner is not None and owner.owns(draft):
            return None
        return _miss(request)
    user = request.user
    if user.is_authenticated and is_draft_id(draft_id):
        project = Project.objects.filter(draft_id=draft_id, owner=user).only("id", "project_name").first()
        if project is not None:
            return Refusal(COMMITTED, project=project)
    if tomb_owner and owner is not None and tomb_owner == owner.key:
        return Refusal(EXPIRED)
    return _miss(request)


def _miss(request):
    verdict = record_miss(request)
    if verdict.allowed:
        return Refusal(MISSING)
    return Refusal(LIMITED, retry_after=verdict.retry_after)
