"""The JSON session API (seed 001's endpoint table), over the same drafts as the wizard pages.

    POST   /api/sessions                  create a draft           201
    GET    /api/sessions/<id>             read it                  200
    PUT    /api/sessions                  update it (with version) 200
    DELETE /api/sessions/<id>             delete it                200
    POST   /api/sessions/<id>/validate    field errors per step    200
    GET    /api/sessions/health           ok / degraded (200), unavailable (503): projects/health.py

Keys are camelCase as in the seeds (api_data maps them to the step schema). A draft is the
caller's: a signed-in user's, or an anonymous browser's (its session cookie and user agent),
exactly as on the pages, and browser calls need the CSRF token (``X-CSRFToken``). ``version`` is
the draft's revision: a PUT carrying an older one is refused with a 409, so nothing is silently
overwritten. The OpenAPI document is ``projects/openapi.yaml``, served at /api/openapi.json.
"""

import json
from functools import lru_cache
from pathlib import Path

import yaml
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.urls import reverse
from django.views.decorators.http import require_GET

from sessions_store import clock
from sessions_store.store import DraftStoreUnavailable, get_draft_store

from . import steps
from .api_data import camel_errors, camel_name, draft_json, parse_changes, touched_steps
from .api_support import ApiError, api_view, conflicts_error, json_response, steps_error, too_large
from .health import health_report, new_drafts_memory
from .selectors import draft_for_request
from .services import DraftConflicts, StepsInvalid, draft_create, draft_discard, draft_update


# --- requests ---------------------------------------------------------------------------------

def not_json():
    return ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Send JSON with Content-Type: application/json.")


def read_body(request, *, required=False, allowed=()):
    """The JSON object sent, or {} when nothing was sent and nothing is required."""
    content_type = request.content_type or ""
    is_json = content_type == "application/json" or content_type.endswith("+json")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large() from None
    except RawPostDataException:
        # A form or multipart body, already read by the CSRF check: not JSON.
        raise not_json() from None
    if not raw.strip():
        if required:
            raise ApiError(400, "VALIDATION_FAILED", "Send a JSON object.")
        return {}
    if not is_json:
        raise not_json()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "VALIDATION_FAILED", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "VALIDATION_FAILED", "The body must be a JSON object.")
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # "\ud800": valid JSON, but no text
        raise ApiError(400, "VALIDATION_FAILED", "The body contains text that is not valid Unicode.") from None
    unknown = sorted(set(body) - set(allowed))
    if allowed and unknown:
        raise ApiError(
            400,
            "VALIDATION_FAILED",
            "Some fields are not part of this request.",
            fields={key[:100]: ["Unknown field."] for key in unknown[:20]},
        )
    return body


def _debug(draft):
    return {"storeWrites": draft.writes, "redisKey": get_draft_store().location(draft.id), "bytes": len(draft.to_json().encode())}


def _changes(body, start):
    fields = {}
    changes = parse_changes(body, fields, start)
    if fields:
        raise ApiError(400, "VALIDATION_FAILED", "Some fields are not valid.", fields=fields)
    return changes


def _camel_steps_error(invalid):
    return steps_error(invalid, fields=camel_errors(invalid.errors))


# --- endpoints -----------------------------------------------------------------------------------

WRITE_KEYS = ("projectData", "completedSteps", "currentStep")


def create(request):
    body = read_body(request, allowed=WRITE_KEYS)
    try:
        draft = draft_create(request=request, changes=lambda draft, start: _changes(body, start))
    except StepsInvalid as invalid:
        raise _camel_steps_error(invalid) from None
    response = json_response(request, draft_json(draft), status=201, debug=_debug(draft))
    response["Location"] = reverse("api:session", args=[draft.id])
    return response


def update(request):
    body = read_body(request, required=True, allowed=("sessionId", "version", *WRITE_KEYS))
    session_id, version = body.get("sessionId"), body.get("version")
    fields = {}
    if not isinstance(session_id, str) or not session_id:
        fields["sessionId"] = ["Required: the draft's id."]
    if not isinstance(version, int) or isinstance(version, bool):
        fields["version"] = ["Required: the version you last read (a whole number)."]
    if fields:
        raise ApiError(400, "VALIDATION_FAILED", "Some fields are not valid.", fields=fields)
    try:
        draft = draft_update(
            request=request, draft_id=session_id, revision=version, changes=lambda draft, start: _changes(body, start)
        )
    except StepsInvalid as invalid:
        raise _camel_steps_error(invalid) from None
    except DraftConflicts as conflicts:
        raise conflicts_error(conflicts, name=camel_name) from None
    return json_response(request, draft_json(draft), debug=_debug(draft))


def read(request, session_id):
    draft = draft_for_request(request=request, draft_id=session_id)
    return json_response(request, draft_json(draft), debug=_debug(draft))


def delete(request, session_id):
    draft = draft_for_request(request=request, draft_id=session_id)
    until = draft_discard(draft=draft)  # as the page's Discard: restorable for a while
    return json_response(request, {"success": True, "sessionId": draft.id, "restorableUntil": until.isoformat()})


def validate(request, session_id):
    body = read_body(request, allowed=("projectData",))
    draft = draft_for_request(request=request, draft_id=session_id)
    fields = {}
    touched = touched_steps(body, fields, lambda step: steps.current_values(draft, step))
    if fields:
        raise ApiError(400, "VALIDATION_FAILED", "Some fields are not valid.", fields=fields)
    results = []
    for step in steps.AUTOSAVE_STEPS:
        errors = camel_errors(steps.check_step(step, touched.get(step, steps.current_values(draft, step)), draft))
        results.append({"step": steps.step_number(step), "name": step, "valid": not errors, "fields": errors})
    return json_response(request, {"sessionId": draft.id, "valid": all(s["valid"] for s in results), "steps": results})


sessions = api_view(["POST", "PUT"])({"POST": create, "PUT": update})
session = api_view(["GET", "DELETE"])({"GET": read, "DELETE": delete})
session_validate = api_view(["POST"])({"POST": validate})


# --- health ------------------------------------------------------------------------------------------

def _health(request):
    status, reasons, checks = health_report()
    return json_response(
        request,
        {"status": status, "reasons": reasons, "checks": checks, "memory": new_drafts_memory(), "time": clock.now().isoformat()},
        status=503 if status == "unavailable" else 200,
    )


health = api_view(["GET", "HEAD"])({"GET": _health, "HEAD": _health})


# --- the OpenAPI document ---------------------------------------------------------------------------

SPEC_PATH = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def openapi_document():
    return yaml.safe_load(SPEC_PATH.read_text())


@require_GET
def openapi_json(request):
    return HttpResponse(json.dumps(openapi_document(), indent=1), content_type="application/json")


@require_GET
def openapi_yaml(request):
    return HttpResponse(SPEC_PATH.read_text(), content_type="application/yaml; charset=utf-8")

