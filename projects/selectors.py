"""Reads of drafts (the services in projects.services write). Each applies the access rule."""

from sessions_store import counters
from sessions_store.drafts import is_draft_id
from sessions_store.links import draft_id_of, link_opens
from sessions_store.owners import anonymous_owner_from_session, request_owner, user_owner_key
from sessions_store.store import get_draft_store

from . import access, analytics
from .models import Project


def draft_for_request(*, request, draft_id, slide=True, reveal=True, count_uploads=False):
    """The draft ``draft_id`` if the request's owner may open it; else raises DraftRefused.
    ``slide`` restarts its lifetime (a visit); a download or a discard does not. Without
    ``reveal``, a draft that expired or became a project is "not found" too (a discarded one is
    still "discarded", with its way back). ``count_uploads``: for a request that adds a file, the
    owner's upload total comes with the load (``draft.owner_upload_bytes``)."""
    draft_id = str(draft_id)
    owner = request_owner(request)
    try:
        if not is_draft_id(draft_id):
            access.check(request, owner, None, None, draft_id)  # a miss, without asking the store
        draft, tomb_owner = get_draft_store().load(draft_id, slide=slide, count_uploads=count_uploads)
        access.check(request, owner, draft, tomb_owner, draft_id)
    except access.DraftRefused as refused:
        if reveal or refused.kind in (access.MISSING, access.LIMITED, access.DISCARDED):
            raise
        raise access.DraftRefused(access.MISSING, draft_id=draft_id) from None
    return draft


def draft_for_link(*, request, token):
    """The draft an emailed link opens, whoever asks; else raises DraftRefused, "not found" and
    counted as a miss (a forged or stale link is a guess), whatever the reason: the draft
    expired, was discarded, or the link was altered."""
    draft_id = draft_id_of(token)
    draft = get_draft_store().load(draft_id, slide=False)[0] if draft_id else None
    if not link_opens(draft, token):
        access.miss(request, draft_id)
    return draft


def drafts_of_owner(*, owner):
    """The drafts ``owner`` may open, most recent first (an anonymous draft only in the browser
    that made it)."""
    if owner is None:
        return []
    return [draft for draft in get_draft_store().list_for_owner(owner.key) if owner.owns(draft)]


def anonymous_drafts_of_request(*, request):
    """The drafts this browser made before signing in (its anonymous token's), whoever is signed
    in now: what signing in offers to move into the account."""
    return drafts_of_owner(owner=anonymous_owner_from_session(request))


def ended_drafts_of_owner(*, owner):
    """``(discarded, expired)``: the owner's discarded drafts that can still be restored, and
    those that expired in the last DRAFT_TOMBSTONE_TTL, newest first (store EndedDrafts)."""
    if owner is None:
        return [], []
    ended = get_draft_store().list_ended(owner.key)
    return [d for d in ended if d.how == access.DISCARDED and d.restorable], [d for d in ended if d.how == access.EXPIRED]


def draft_for_staff(*, draft_id):
    """Any live draft, for the admin (its lifetime untouched), or None."""
    return get_draft_store().load(str(draft_id), slide=False)[0]


def drafts_for_staff(*, draft_ids):
    return get_draft_store().get_many(draft_ids)


def drafts_page(**query):
    """``(total, drafts)``: one admin page (see DraftStore.page)."""
    return get_draft_store().page(**query)


def analytics_report(*, start, end):
    """The wizard analytics of the days from ``start`` to ``end`` (dates, both included): one
    round trip, one HGETALL a day (projects.analytics.report)."""
    days = counters.days_between(start, end)
    by_day, _ = get_draft_store().counts(days=[day.isoformat() for day in days])
    return analytics.report({day: by_day[day.isoformat()] for day in days})


def projects_of_user(*, user):
    """A user's projects, oldest first, with their documents and connectors."""
    return Project.objects.filter(owner=user).prefetch_related("documents", "connectors").order_by("created_at", "id")


def drafts_of_user(*, user):
    """A user's live drafts, in every browser, most recent first."""
    return get_draft_store().list_for_owner(user_owner_key(user))
