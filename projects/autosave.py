"""Autosave: the page's JavaScript saves a step's unsubmitted values while the user types.

``POST /projects/new/autosave/`` (step 1, no draft yet: the first value typed creates the draft)
and ``POST /projects/new/<draft id>/<step>/autosave/``, form-encoded like the step form, with the
page's ``draft_version``. The values are validated and the errors sent back for the page to show
gently, but they are kept apart from the submitted step data: a step is complete only when it is
submitted. A stale ``draft_version`` (another tab wrote since) is refused with a 409.
"""

import time

from django.urls import reverse

from sessions_store import clock
from sessions_store.drafts import Draft, request_metadata
from sessions_store.limits import allow_creation
from sessions_store.owners import request_owner
from sessions_store.store import DraftConflict, DraftGone, DraftStoreUnavailable, get_draft_store

from . import drafting
from .api_support import ApiError, check_access, conflict, error_response, json_response, rate_limited, too_large, unavailable

STEP_URL = "projects:wizard_step"


def autosave(request, draft_id=None, step=None):
    request._api_started = time.perf_counter()
    if request.method != "POST":
        response = error_response(request, ApiError(405, "METHOD_NOT_ALLOWED", "Autosave takes a POST."))
        response["Allow"] = "POST"
        return response
    try:
        return _autosave(request, str(draft_id) if draft_id else None, step or drafting.STEP_NAMES[0])
    except ApiError as error:
        return error_response(request, error)
    except DraftStoreUnavailable:
        return error_response(request, unavailable())
    except DraftConflict:
        return error_response(request, conflict())
    except DraftGone:
        return error_response(request, ApiError(410, "SESSION_EXPIRED", "This draft no longer exists."))


def _autosave(request, draft_id, step):
    if step not in drafting.AUTOSAVE_STEPS:
        raise ApiError(400, "INVALID_STEP", "This step is not saved automatically.")
    values = drafting.step_values(step, request.POST)
    store = get_draft_store()
    owner = request_owner(request)
    if draft_id is None:
        if not drafting.has_content(step, values):
            return json_response(request, {"saved": False})
        verdict = allow_creation(request)
        if not verdict.allowed:
            raise rate_limited(verdict)
        owner = request_owner(request, create=True)
        draft = Draft.new(owner=owner, metadata=request_metadata(request))
        draft.wizard["step"] = step
        is_new = True
    else:
        draft, tomb_owner = store.load(draft_id)
        check_access(request, owner, draft, tomb_owner, draft_id)
        if not drafting.may_open(draft, step):
            raise ApiError(400, "INVALID_STEP", "Complete the earlier steps first.")
        posted = request.POST.get("draft_version")
        if posted not in (None, "") and posted != str(draft.revision):
            raise conflict()
        is_new = False

    errors = drafting.check_step(step, values, draft, ignore_documents=True)
    if drafting.set_pending(draft, step, values) or is_new:
        if drafting.too_large(draft):
            raise too_large()
        draft.revision += 1
        if is_new:
            store.create(draft, step=step)
        else:
            store.save(draft, step=step)
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
