"""Signals of the projects app: a 500 on a step of the wizard is counted, and a deleted user
takes their data along.

Signing in no longer hands this browser's drafts to the account by itself (issue 12 L3: on a
shared computer they would go, unasked, into whichever account signs in next): the sign-in and
sign-up pages send the browser to ``drafts_move`` (``views.sign_in_destination``), which asks.
"""

from django.conf import settings
from django.core.signals import got_request_exception
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from . import steps
from .services import account_erase_data, draft_count_failure

# The wizard's own routes, and the step each names when its URL has none.
STEP_ROUTES = {"wizard_step": None, "wizard_resume": None, "wizard_new": "details", "autosave": None, "autosave_new": "details"}


@receiver(got_request_exception, dispatch_uid="projects.count_step_errors")
def count_step_errors(sender, request=None, **kwargs):
    """An exception no view or middleware answered (a 500) on a step of the wizard: counted for
    the analytics, per step."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "projects" or match.url_name not in STEP_ROUTES:
        return
    step = match.kwargs.get("step") or STEP_ROUTES[match.url_name] or "unknown"
    draft_count_failure(step=step if step in steps.STEP_NAMES else "unknown")


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="projects.erase_account_data")
def erase_account_data(sender, instance, **kwargs):
    # However the user is deleted (their own "Delete my account", the admin, a script): a Redis
    # error propagates and the deletion fails (503), never leaving their drafts behind.
    account_erase_data(user=instance)
