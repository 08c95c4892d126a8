"""An anonymous visitor who logs in mid-wizard keeps their drafts; a 500 on a step is counted."""

from django.contrib.auth.signals import user_logged_in
from django.core.signals import got_request_exception
from django.dispatch import receiver

from . import steps
from .services import draft_claim, draft_count_failure


@receiver(user_logged_in, dispatch_uid="projects.claim_anonymous_drafts")
def claim_anonymous_drafts(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # A Redis error propagates: the login page answers 503 rather than silently dropping drafts.
    draft_claim(request=request, user=user)


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
