"""Autosave: the page's JavaScript saves a step's unsubmitted values while the user types.

``POST /projects/new/autosave/`` (step 1, no draft yet: the first value typed creates the draft)
and ``POST /projects/new/<draft id>/<step>/autosave/``, form-encoded like the step form, with the
page's ``draft_version``. The values are validated and the errors sent back for the page to show
gently, but they are kept apart from the submitted step data: a step is complete only when it is
submitted (services.draft_autosave). A stale ``draft_version`` is refused with a 409.
"""

import re

from django.urls import reverse

from sessions_store import clock
from sessions_store.store import DraftStoreUnavailable

from . import steps
from .api_support import ApiError, api_view, json_response
from .services import draft_autosave, draft_count_failure

STEP_URL = "projects:wizard_step"


def _autosave(request, draft_id=None, step=None):
    step = step or steps.FIRST_STEP
    if step not in steps.AUTOSAVE_STEPS:
        raise ApiError(400, "INVALID_STEP", "This step is not saved automatically.")
    values = steps.step_values(step, request.POST)
    if not values:
        raise ApiError(400, "VALIDATION_FAILED", "None of this step's fields was sent.")
    posted = request.POST.get("draft_version", "")
    revision = posted if re.fullmatch(r"[0-9]{1,18}", posted) else None
    try:
        draft, errors = draft_autosave(
            request=request,
            draft_id=str(draft_id) if draft_id else None,
            step=step,
            values=values,
            revision=revision,
        )
    except DraftStoreUnavailable:
        draft_count_failure(step=step, store=True)
        raise  # answered by api_view (503)
    if draft is None:
        return json_response(request, {"saved": False})
    saved_at = draft.pending[step]["saved_at"] if step in draft.pending else clock.now().isoformat()
    # Answers saved elsewhere meanwhile and merged in: the page shows them where it can.
    kept = draft.shown_data(step)
    updated = {key: kept.get(key) for key in set(kept) | set(values) if kept.get(key) != values.get(key)}
    version = draft.revision
    if revision is not None and any(not _shown_on_the_page(step, key, values) for key in updated):
        # Merged in from elsewhere but with no input on this page (a connector row it does not
        # show): the page keeps the revision it was shown from, so its next save or submit is
        # merged again and keeps that row, rather than taken as the whole step.
        version = int(revision)
    return json_response(
        request,
        {
            "saved": True,
            "draftId": draft.id,
            "version": version,
            # The draft's own revision now (``version`` may be the page's, above): a page being
            # left keeps a save answered meanwhile marked with it, for a next page rendered before.
            "revision": draft.revision,
            "savedAt": saved_at,
            "expiresAt": draft.expires_at.isoformat(),
            "stepUrl": reverse(STEP_URL, kwargs={"draft_id": draft.id, "step": step}),
            "autosaveUrl": reverse("projects:autosave", kwargs={"draft_id": draft.id, "step": step}),
            "errors": errors,
            "updated": updated,
        },
        debug={"storeWrites": draft.writes, "bytes": len(draft.to_json().encode())},
    )


def _shown_on_the_page(step, key, sent):
    """Does the page that sent ``sent`` have an input for ``key``? Its own fields, and the
    connector rows it sent a count for; not the list's management numbers."""
    if key in steps.management_keys(step):
        return False
    match = re.match(rf"^{steps.CONNECTORS}-(\d+)-", key)
    if not match:
        return True
    try:
        rows = int((sent.get(f"{steps.CONNECTORS}-TOTAL_FORMS") or ["0"])[0])
    except ValueError:
        rows = 0
    return int(match.group(1)) < rows


autosave = api_view(["POST"])({"POST": _autosave})
