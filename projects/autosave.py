"""Autosave: the page's JavaScript saves a step's unsubmitted values while the user types.

``POST /projects/new/autosave/`` (step 1, no draft yet: the first value typed creates the draft)
and ``POST /projects/new/<draft id>/<step>/autosave/``, form-encoded like the step form, with the
page's ``draft_version``. The values are validated and the errors sent back for the page to show
gently, but they are kept apart from the submitted step data: a step is complete only when it is
submitted. A stale ``draft_version`` (another tab wrote since) is refused with a 409.
"""

from django.urls import reverse

from sessions_store import clock
from sessions_store.drafts import Draft, request_metadata
from sessions_store.limits import allow_creation
from sessions_store.owners import request_owner
from sessions_store.store import get_draft_store

from . import drafting
from .api_support import ApiError, api_view, check_access, conflict, json_response, once_more_after_a_navigation, rate_limited

STEP_URL = "projects:wizard_step"


def _autosave(request, draft_id=None, step=None):
    draft_id, step = (str(draft_id) if draft_id else None), step or drafting.STEP_NAMES[0]
    if step not in drafting.AUTOSAVE_STEPS:
        raise ApiError(400, "INVALID_STEP", "This step is not saved automatically.")
    values = drafting.step_values(step, request.POST)
    if not values:
        raise ApiError(400, "VALIDATION_FAILED", "None of this step's fields was sent.")
    if draft_id is None:
        return _first_save(request, step, values)
    posted = request.POST.get("draft_version", "")
    store = get_draft_store()

    def attempt():
        draft, tomb_owner = store.load(draft_id)
        check_access(request, request_owner(request), draft, tomb_owner, draft_id)
        if not drafting.may_open(draft, step):
            raise ApiError(400, "INVALID_STEP", "Complete the earlier steps first.")
        if not posted.isdigit():
            raise ApiError(
                400, "VALIDATION_FAILED", "Send the page's draft_version.", fields={"draft_version": ["Required."]}
            )
        if posted != str(draft.revision):
            raise conflict()
        errors = drafting.check_step(step, values, draft, ignore_documents=True)
        if drafting.set_pending(draft, step, values):
            draft.revision += 1
            store.save(draft, step=step)
        return draft, errors

    draft, errors = once_more_after_a_navigation(attempt)
    return _saved(request, draft, step, errors)


def _first_save(request, step, values):
    """Step 1 on a page with no draft yet: the first value typed creates the draft."""
    if not drafting.has_content(step, values):
        return json_response(request, {"saved": False})
    verdict = allow_creation(request)
    if not verdict.allowed:
        raise rate_limited(verdict)
    owner = request_owner(request, create=True)
    draft = Draft.new(owner=owner, metadata=request_metadata(request))
    draft.wizard["step"] = step
    errors = drafting.check_step(step, values, draft, ignore_documents=True)
    drafting.set_pending(draft, step, values)
    draft.revision += 1
    get_draft_store().create(draft, step=step)
    return _saved(request, draft, step, errors)


def _saved(request, draft, step, errors):
    saved_at = draft.pending[step]["saved_at"] if step in draft.pending else clock.now().isoformat()
    return json_response(
        request,
        {
            "saved": True,
            "draftId": draft.id,
            "version": draft.revision,
            "savedAt": saved_at,
            "stepUrl": reverse(STEP_URL, kwargs={"draft_id": draft.id, "step": step}),
            "autosaveUrl": reverse("projects:autosave", kwargs={"draft_id": draft.id, "step": step}),
            "errors": errors,
        },
        debug={"storeVersion": draft.version, "bytes": drafting.record_size(draft)},
    )


autosave = api_view(["POST"])({"POST": _autosave})
