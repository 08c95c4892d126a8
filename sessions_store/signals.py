"""An anonymous visitor who logs in mid-wizard keeps their drafts."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .drafts import Owner
from .owners import SESSION_KEY, anonymous_owner_from_session
from .store import get_draft_store


@receiver(user_logged_in, dispatch_uid="sessions_store.adopt_anonymous_drafts")
def adopt_anonymous_drafts(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    anonymous = anonymous_owner_from_session(request)
    if anonymous is None:
        return
    user_owner = Owner(key=f"u:{user.pk}", user_agent_hash=anonymous.user_agent_hash)
    # A Redis error propagates: the login page answers 503 rather than silently dropping drafts.
    get_draft_store().transfer(anonymous, user_owner)
    del request.session[SESSION_KEY]
