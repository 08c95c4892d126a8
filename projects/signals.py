"""An anonymous visitor who logs in mid-wizard keeps their drafts; a deleted user takes theirs along."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .services import account_erase_data, draft_claim


@receiver(user_logged_in, dispatch_uid="projects.claim_anonymous_drafts")
def claim_anonymous_drafts(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # A Redis error propagates: the login page answers 503 rather than silently dropping drafts.
    draft_claim(request=request, user=user)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="projects.erase_account_data")
def erase_account_data(sender, instance, **kwargs):
    # However the user is deleted (their own "Delete my account", the admin, a script): a Redis
    # error propagates and the deletion fails (503), never leaving their drafts behind.
    account_erase_data(user=instance)
