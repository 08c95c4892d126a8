"""The JSON session API (seed 001's endpoint table), over the same drafts as the wizard pages.

    POST   /api/sessions                  create a draft           201
    GET    /api/sessions/<id>             read it                  200
    PUT    /api/sessions                  update it (with version) 200
    DELETE /api/sessions/<id>             delete it                200
    POST   /api/sessions/<id>/validate    field errors per step    200
    GET    /api/sessions/health           Redis, database, uploads 200 / 503

Keys are camelCase as in the seeds. A draft is the caller's: a signed-in user's, or an anonymous
browser's (its session cookie and user agent), exactly as on the pages, and browser calls need
the CSRF token (``X-CSRFToken``). ``version`` is the draft's revision: a PUT carrying an older one
is refused with a 409, so nothing is silently overwritten. The OpenAPI document is
``projects/openapi.yaml``, served at /api/openapi.json.
"""

import json
import os
import time
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.urls import reverse
from django.views.decorators.http import require_GET

from sessions_store import clock
from sessions_store.drafts import Draft, Owner, is_draft_id, request_metadata
from sessions_store.files import delete_draft_files
from sessions_store.limits import allow_creation
from sessions_store.owners import request_owner
from sessions_store.store import get_draft_store

from . import drafting
from .api_support import (
    ApiError,
    api_view,
    check_access,
    conflict,
    json_response,
    once_more_after_a_navigation,
    rate_limited,
    too_large,
)
from .forms import MAX_CONNECTORS

# camelCase name -> (step, form field). Documents are uploaded on the page; the API lists them.
def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


FIELDS = {}
for _step in drafting.AUTOSAVE_STEPS:
    for _name in drafting.FORMS[_step].base_fields:
        if _name not in ("documents", "remove"):
            FIELDS[_camel(_name)] = (_step, _name)
FIELDS["connectors"] = ("sources", "connectors")
BOOLEAN_FIELDS = {"aiSourcingEnabled"}
CONNECTOR_KEYS = {"connectorType": "connector_type", "target": "target"}
FORMSET = "sources-connectors"


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


def load_own(request, session_id):
    if not is_draft_id(session_id):
        check_access(request, request_owner(request), None, None, session_id)  # a miss
    draft, tomb_owner = get_draft_store().load(session_id)
    check_access(request, request_owner(request), draft, tomb_owner, session_id)
    return draft


# --- projectData <-> step values ------------------------------------------------------------------

def _raw(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return repr(value)  # 45000.5 -> "45000.5" (the form's DecimalField reads it exactly)
    if isinstance(value, str):
        return value
    return None


def values_from_project_data(draft, project_data, fields):
    """{step: values} for the steps ``project_data`` touches, merged over what the draft shows."""
    touched = {}
    for key, value in project_data.items():
        if key not in FIELDS:
            fields.setdefault(key, []).append("Unknown field.")
            continue
        step, name = FIELDS[key]
        values = touched.setdefault(step, dict(drafting.current_values(draft, step)))
        if key == "connectors":
            _set_connectors(values, value, fields)
        elif key in BOOLEAN_FIELDS:
            if value is None or isinstance(value, bool):
                values.pop(f"{step}-{name}", None)
                if value:
                    values[f"{step}-{name}"] = ["on"]
            else:
                fields.setdefault(key, []).append("Must be true or false.")
        else:
            raw = _raw(value)
            if raw is None and value is not None:
                fields.setdefault(key, []).append("Must be a string or a number.")
            else:
                values[f"{step}-{name}"] = [raw or ""]
    return touched


def _set_connectors(values, connectors, fields):
    if not isinstance(connectors, list) or not all(isinstance(item, dict) for item in connectors):
        fields.setdefault("connectors", []).append("Must be a list of {connectorType, target} objects.")
        return
    if len(connectors) > MAX_CONNECTORS:
        fields.setdefault("connectors", []).append(f"At most {MAX_CONNECTORS} connectors.")
        return
    for key in [key for key in values if key.startswith(FORMSET + "-")]:
        del values[key]
    values.update(
        {
            f"{FORMSET}-TOTAL_FORMS": [str(max(len(connectors), 1))],
            f"{FORMSET}-INITIAL_FORMS": ["0"],
            f"{FORMSET}-MIN_NUM_FORMS": ["0"],
            f"{FORMSET}-MAX_NUM_FORMS": [str(MAX_CONNECTORS)],
        }
    )
    for index, item in enumerate(connectors):
        for key, value in item.items():
            if key not in CONNECTOR_KEYS:
                fields.setdefault(f"connectors[{index}].{key}", []).append("Unknown field.")
                continue
            raw = _raw(value)
            if raw is None and value is not None:
                fields.setdefault(f"connectors[{index}].{key}", []).append("Must be a string.")
                continue
            values[f"{FORMSET}-{index}-{CONNECTOR_KEYS[key]}"] = [raw or ""]


def touched_steps(draft, body, fields):
    """{step: merged values} for the body's projectData (absent or null: nothing)."""
    data = body.get("projectData")
    if data is None:
        return {}
    if not isinstance(data, dict):
        fields["projectData"] = ["Must be an object."]
        return {}
    return values_from_project_data(draft, data, fields)


def _json_value(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def project_data(draft):
    """Every field as the user last left it: typed values where they validate, else as typed."""
    data = {}
    for step in drafting.AUTOSAVE_STEPS:
        values = drafting.current_values(draft, step)
        form = drafting.bind(step, values, draft)
        form.is_valid()
        cleaned = getattr(form, "cleaned_data", {})
        for key, (field_step, name) in FIELDS.items():
            if field_step != step or key == "connectors":
                continue
            if name in cleaned and name not in form.errors:
                data[key] = _json_value(cleaned[name])
            else:
                typed = values.get(f"{step}-{name}") or [None]
                data[key] = (typed[0] == "on") if key in BOOLEAN_FIELDS else typed[0]
        if step == "sources":
            data["connectors"] = _connectors(values)
    return data


def _connectors(values):
    try:
        total = min(int((values.get(f"{FORMSET}-TOTAL_FORMS") or ["0"])[0]), MAX_CONNECTORS)
    except ValueError:
        total = 0
    rows = []
    for index in range(total):
        row = {key: (values.get(f"{FORMSET}-{index}-{name}") or [""])[0] for key, name in CONNECTOR_KEYS.items()}
        if (values.get(f"{FORMSET}-{index}-DELETE") or [""])[0]:
            continue
        if row["connectorType"] or row["target"]:
            rows.append(row)
    return rows


def camel_errors(errors):
    """Form errors keyed by input name -> keyed by the API's field names."""
    out = {}
    for key, messages in errors.items():
        if key.startswith(FORMSET + "-"):
            index, _, name = key[len(FORMSET) + 1:].partition("-")
            name = next((camel for camel, field in CONNECTOR_KEYS.items() if field == name), name)
            out.setdefault(f"connectors[{index}].{name}", []).extend(messages)
        elif key == "__all__":
            out.setdefault("__all__", []).extend(messages)
        else:
            _, _, name = key.partition("-")
            out.setdefault(_camel(name), []).extend(messages)
    return out


def session_json(draft):
    completed = [drafting.step_number(step) for step in drafting.STEP_NAMES if draft.validation.get(step)]
    current = draft.current_step if draft.current_step in drafting.STEP_NAMES else drafting.STEP_NAMES[0]
    return {
        "sessionId": draft.id,
        "version": draft.revision,
        "projectData": project_data(draft),
        "currentStep": drafting.step_number(current),
        "completedSteps": completed,
        "unsubmittedSteps": [drafting.step_number(step) for step in drafting.STEP_NAMES if step in draft.pending],
        "validationStatus": {
            f"step{drafting.step_number(step)}": bool(draft.validation.get(step)) for step in drafting.STEP_NAMES
        },
        "documents": [
            {
                "id": item["id"],
                "name": item["name"],
                "size": item["size"],
                "contentType": item["content_type"],
                "uploadedAt": item["uploaded_at"],
            }
            for item in draft.files
        ],
        "createdAt": draft.created_at.isoformat(),
        "lastActivity": draft.last_activity.isoformat(),
        "expiresAt": draft.expires_at.isoformat(),
        "metadata": {
            "userAgent": draft.metadata.get("user_agent", ""),
            "ipAddress": draft.metadata.get("ip_address", ""),
            "deviceInfo": draft.metadata.get("platform", ""),
        },
        "wizardUrl": reverse("projects:wizard_step", kwargs={"draft_id": draft.id, "step": current}),
    }


def _debug(draft):
    store = get_draft_store()
    return {"storeVersion": draft.version, "redisKey": store.key("draft", draft.id), "bytes": drafting.record_size(draft)}


# --- applying an update ---------------------------------------------------------------------------

def _step_list(value, name, fields):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        fields.setdefault(name, []).append("Must be a list of step numbers.")
        return []
    if any(n < 1 or n > len(drafting.STEP_NAMES) for n in value):
        fields.setdefault(name, []).append(f"Step numbers go from 1 to {len(drafting.STEP_NAMES)}.")
        return []
    return sorted(set(value))


def apply_update(draft, body):
    """Apply projectData / completedSteps / currentStep to ``draft`` or raise; nothing on error.

    - projectData: any fields, partial; merged over the values the draft shows.
    - completedSteps: steps to submit (validated strictly; each needs the steps before it).
      Leaving a step out never un-completes it. Step 4 is completed by creating the project.
    - A step touched by projectData but not listed is kept as unsubmitted values, as autosave does.
    - currentStep: where the wizard resumes; it cannot be past the first incomplete step.
    """
    fields = {}
    before = draft.data_state()
    touched = touched_steps(draft, body, fields)
    claimed = _step_list(body.get("completedSteps"), "completedSteps", fields)
    current = body.get("currentStep")
    if current is not None and (
        not isinstance(current, int) or isinstance(current, bool) or not 1 <= current <= len(drafting.STEP_NAMES)
    ):
        fields.setdefault("currentStep", []).append(f"Must be a step number from 1 to {len(drafting.STEP_NAMES)}.")
    if fields:
        raise ApiError(400, "VALIDATION_FAILED", "Some fields are not valid.", fields=fields)

    complete = {step for step in drafting.STEP_NAMES if draft.validation.get(step)}
    errors = {}
    for number in claimed:
        step = drafting.STEP_NAMES[number - 1]
        if step == drafting.LAST_STEP:
            raise ApiError(400, "INVALID_STEP", "Step 4 is completed by creating the project on the review page.")
        missing = [s for s in drafting.STEP_NAMES[: number - 1] if s not in complete and drafting.step_number(s) not in claimed]
        if missing:
            raise ApiError(
                400,
                "INVALID_STEP",
                f"Step {number} needs step {drafting.step_number(missing[0])} to be completed first.",
            )
        values = touched.get(step, drafting.current_values(draft, step))
        step_errors = drafting.check_step(step, values, draft)
        if step_errors:
            errors.update(camel_errors(step_errors))
        else:
            complete.add(step)
    if errors:
        raise ApiError(400, "VALIDATION_FAILED", "Some steps did not validate; nothing was saved.", fields=errors)

    for number in claimed:
        step = drafting.STEP_NAMES[number - 1]
        draft.wizard["step_data"][step] = touched.pop(step, drafting.current_values(draft, step))
        draft.validation[step] = True
        draft.pending.pop(step, None)
    for step, values in touched.items():
        drafting.set_pending(draft, step, values)
    if current is not None:
        step = drafting.STEP_NAMES[current - 1]
        if not drafting.may_open(draft, step):
            raise ApiError(400, "INVALID_STEP", f"Complete step {drafting.step_number(drafting.first_incomplete_step(draft))} first.")
        draft.wizard["step"] = step
    if draft.data_state() != before or not draft.version:
        draft.revision += 1


# --- endpoints -----------------------------------------------------------------------------------

WRITE_KEYS = ("projectData", "completedSteps", "currentStep")


def create(request):
    body = read_body(request, allowed=WRITE_KEYS)
    owner = request_owner(request)
    draft = Draft.new(owner=owner or Owner(key="a:pending"), metadata=request_metadata(request))
    draft.wizard["step"] = drafting.STEP_NAMES[0]
    apply_update(draft, body)  # a body that does not validate creates nothing and counts for nothing
    verdict = allow_creation(request)
    if not verdict.allowed:
        raise rate_limited(verdict)
    owner = request_owner(request, create=True)
    draft.owner, draft.user_agent_hash = owner.key, owner.user_agent_hash
    get_draft_store().create(draft, step=draft.current_step)
    response = json_response(request, session_json(draft), status=201, debug=_debug(draft))
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
    def attempt():
        draft = load_own(request, session_id)
        if version != draft.revision:
            raise conflict()
        apply_update(draft, body)
        get_draft_store().save(draft, step=draft.current_step)
        return draft

    draft = once_more_after_a_navigation(attempt)
    return json_response(request, session_json(draft), debug=_debug(draft))


def read(request, session_id):
    draft = load_own(request, session_id)
    return json_response(request, session_json(draft), debug=_debug(draft))


def delete(request, session_id):
    draft = load_own(request, session_id)
    get_draft_store().delete(draft)
    delete_draft_files(draft.id)
    return json_response(request, {"success": True, "sessionId": draft.id})


def validate(request, session_id):
    body = read_body(request, allowed=("projectData",))
    draft = load_own(request, session_id)
    fields = {}
    touched = touched_steps(draft, body, fields)
    if fields:
        raise ApiError(400, "VALIDATION_FAILED", "Some fields are not valid.", fields=fields)
    steps = []
    for step in drafting.AUTOSAVE_STEPS:
        errors = camel_errors(drafting.check_step(step, touched.get(step, drafting.current_values(draft, step)), draft))
        steps.append({"step": drafting.step_number(step), "name": step, "valid": not errors, "fields": errors})
    return json_response(request, {"sessionId": draft.id, "valid": all(s["valid"] for s in steps), "steps": steps})


sessions = api_view(["POST", "PUT"])({"POST": create, "PUT": update})
session = api_view(["GET", "DELETE"])({"GET": read, "DELETE": delete})
session_validate = api_view(["POST"])({"POST": validate})


# --- health ------------------------------------------------------------------------------------------

def _timed(check):
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        return {"ok": False, "latencyMs": round((time.perf_counter() - started) * 1000, 2), "error": type(exc).__name__}
    return {"ok": True, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _uploads():
    """The upload area is there and writable (an unmounted volume must not pass unnoticed)."""
    root = Path(settings.DRAFT_UPLOAD_ROOT)
    if not root.is_dir():
        root.mkdir(parents=True, exist_ok=True)  # first start; fails on a read-only mount
    if not os.access(root, os.W_OK | os.X_OK):
        raise PermissionError("the upload area is not writable")


def _health(request):
    checks = {
        "redis": _timed(get_draft_store().ping),
        "database": _timed(_database),
        "uploads": _timed(_uploads),
    }
    healthy = all(check["ok"] for check in checks.values())
    return json_response(
        request,
        {"status": "ok" if healthy else "unavailable", "checks": checks, "time": clock.now().isoformat()},
        status=200 if healthy else 503,
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

