"""An anonymous visitor who logs in mid-wizard keeps their drafts."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .services import draft_claim


@receiver(user_logged_in, dispatch_uid="projects.claim_anonymous_drafts")
def claim_anonymous_drafts(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # A Redis error propagates: the login page answers 503 rather than silently dropping drafts.
    draft_claim(request=request, user=user)
