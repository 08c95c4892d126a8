"""Signals of the projects app: a 500 on a step of the wizard is counted.

Signing in no longer hands this browser's drafts to the account by itself (issue 12 L3: on a
shared computer they would go, unasked, into whichever account signs in next): the sign-in and
sign-up pages send the browser to ``drafts_move`` (``views.sign_in_destination``), which asks.
"""

from django.core.signals import got_request_exception
from django.dispatch import receiver

from . import steps
from .services import draft_count_failure


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
