"""Emailed links to a draft: send one (the limits, the draft's link secret, the mail), and open
one (the draft moves to the browser or account that opened it)."""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.timesince import timeuntil

from sessions_store import clock
from sessions_store.limits import allow_link_email
from sessions_store.links import link_token, new_link_secret
from sessions_store.owners import request_owner
from sessions_store.store import DraftGone, get_draft_store

from .. import access, analytics, steps
from ..selectors import draft_for_link, draft_for_request
from .drafts import once_more_after_a_navigation

logger = logging.getLogger("projects")


class LinkRateLimited(Exception):
    """Too many links emailed for this draft (``per_draft``) or from this address."""

    def __init__(self, retry_after, *, per_draft):
        super().__init__(f"too many links emailed; retry after {retry_after}s")
        self.retry_after, self.per_draft = retry_after, per_draft


class LinkNotSent(Exception):
    """The mail server did not take the message."""


def draft_send_link(*, request, draft_id, email):
    """Email ``email`` a link that opens the owner's draft ``draft_id`` in any browser; returns
    the draft. The draft gets its link secret on the first link (a save that leaves its revision
    alone); the address is not kept."""
    draft = draft_for_request(request=request, draft_id=draft_id, slide=False)
    verdict = allow_link_email(request, draft.id)
    if not verdict.allowed:
        raise LinkRateLimited(verdict.retry_after, per_draft=verdict.kind == "link-draft")
    if not draft.link_secret:

        def attempt():
            fresh = draft_for_request(request=request, draft_id=draft_id, slide=False)
            if not fresh.link_secret:
                fresh.link_secret = new_link_secret()
                fresh = get_draft_store().save(fresh, action="update")
            return fresh

        draft = once_more_after_a_navigation(attempt)
    now = clock.now()
    context = {
        "title": steps.draft_title(draft) or "Untitled project",
        "url": request.build_absolute_uri(reverse("projects:draft_link", args=[link_token(draft)])),
        "expires_at": draft.expires_at,
        "lifetime": timeuntil(now + timedelta(seconds=settings.SESSION_TTL), now),
    }
    try:
        send_mail(
            subject=f"Your link to the project draft “{context['title']}”",
            message=render_to_string("projects/email/draft_link.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    except (smtplib.SMTPException, OSError) as error:
        logger.error("could not email a link to draft %s: %s", draft.id, error)
        raise LinkNotSent(str(error)) from error
    return draft


class LinkNeedsSignIn(Exception):
    """The link's draft belongs to an account: it opens only for that account, once signed in."""


def draft_open_link(*, request, token):
    """Open the draft of an emailed link here: an anonymous draft moves to the signed-in user,
    or to this browser (its anonymous owner token, made now if it has none); a draft of an
    account opens only for that account (LinkNeedsSignIn otherwise), so a forwarded link cannot
    take it out of the account. A link that moves a draft is used up: the draft's link secret is
    renewed, and links sent before stop working. Returns the draft."""
    def attempt():
        draft = draft_for_link(request=request, token=token)
        user = getattr(request, "user", None)
        if draft.owner.startswith("u:") and not (user is not None and user.is_authenticated and draft.owner == f"u:{user.pk}"):
            raise LinkNeedsSignIn(draft.id)
        opened()
        owner = request_owner(request, create=True)
        if owner.owns(draft):
            return draft
        draft.owner, draft.user_agent_hash = owner.key, owner.user_agent_hash
        draft.link_secret = new_link_secret()
        try:
            return get_draft_store().save(draft, action="update")
        except DraftGone:
            access.miss(request, draft.id)

    def opened():
        if not getattr(request, "_counted_link", False):  # once, even when the attempt runs again
            request._counted_link = True
            analytics.note_link_opened()

    return once_more_after_a_navigation(attempt)