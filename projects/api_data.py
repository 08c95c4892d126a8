"""The session API's JSON (seed 001, camelCase) <-> the step schema's values and errors."""

from datetime import date
from decimal import Decimal

from django.urls import reverse

from . import steps
from .forms import MAX_CONNECTORS
from .services import StepChanges


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# camelCase name -> (step, form field). Documents are uploaded on the page; the API lists them.
FIELDS = {
    _camel(name): (step, name) for step in steps.AUTOSAVE_STEPS for name, _ in steps.value_fields(step)
}
FIELDS["connectors"] = ("sources", "connectors")
BOOLEAN_FIELDS = {"aiSourcingEnabled"}
CONNECTOR_KEYS = {_camel(name): name for name in steps.CONNECTOR_FIELDS}
FORMSET = steps.CONNECTORS


# --- requests: projectData, completedSteps, currentStep -------------------------------------------

def _raw(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return repr(value)  # 45000.5 -> "45000.5" (the form's DecimalField reads it exactly)
    if isinstance(value, str):
        return value
    return None


def values_from_project_data(project_data, fields, start):
    """{step: values} for the steps ``project_data`` touches, made over ``start(step)`` (the
    values the caller read)."""
    touched = {}
    for key, value in project_data.items():
        if key not in FIELDS:
            fields.setdefault(key, []).append("Unknown field.")
            continue
        step, name = FIELDS[key]
        values = touched.setdefault(step, dict(start(step)))
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
    values.update(steps.EMPTY_CONNECTORS)
    values[f"{FORMSET}-TOTAL_FORMS"] = [str(max(len(connectors), 1))]
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


def touched_steps(body, fields, start):
    """{step: values} for the body's projectData (absent or null: nothing), made over start(step)."""
    data = body.get("projectData")
    if data is None:
        return {}
    if not isinstance(data, dict):
        fields["projectData"] = ["Must be an object."]
        return {}
    return values_from_project_data(data, fields, start)


def _step_list(value, name, fields):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        fields.setdefault(name, []).append("Must be a list of step numbers.")
        return []
    if any(n < 1 or n > len(steps.STEP_NAMES) for n in value):
        fields.setdefault(name, []).append(f"Step numbers go from 1 to {len(steps.STEP_NAMES)}.")
        return []
    return sorted(set(value))


def parse_changes(body, fields, start):
    """The body's projectData / completedSteps / currentStep as StepChanges, its values made over
    start(step); malformed parts are reported in ``fields`` (the caller refuses the request)."""
    touched = touched_steps(body, fields, start)
    submit = [steps.step_at(number) for number in _step_list(body.get("completedSteps"), "completedSteps", fields)]
    current = body.get("currentStep")
    if current is not None and (
        not isinstance(current, int) or isinstance(current, bool) or not 1 <= current <= len(steps.STEP_NAMES)
    ):
        fields.setdefault("currentStep", []).append(f"Must be a step number from 1 to {len(steps.STEP_NAMES)}.")
        current = None
    return StepChanges(values=touched, submit=submit, current=steps.step_at(current) if current else None)


# --- responses --------------------------------------------------------------------------------------

def _json_value(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def project_data(draft):
    """Every field as the user last left it: typed values where they validate, else as typed."""
    data = {}
    for step in steps.AUTOSAVE_STEPS:
        values = steps.current_values(draft, step)
        form = steps.bind(step, values, draft)
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
            data["connectors"] = [
                {camel: row[name] for camel, name in CONNECTOR_KEYS.items()}
                for row in steps.connector_rows(values)
                if not row["deleted"]
            ]
    return data


def camel_name(key):
    """An input name -> the API's field name ("sources-connectors-0-target" -> "connectors[0].target")."""
    if key.startswith(FORMSET + "-"):
        index, _, name = key[len(FORMSET) + 1:].partition("-")
        name = next((camel for camel, field in CONNECTOR_KEYS.items() if field == name), name)
        return f"connectors[{index}].{name}"
    if key == "__all__":
        return key
    return _camel(key.partition("-")[2])


def camel_errors(errors):
    """Form errors keyed by input name -> keyed by the API's field names."""
    out = {}
    for key, messages in errors.items():
        out.setdefault(camel_name(key), []).extend(messages)
    return out


def draft_json(draft):
    number = steps.step_number
    current = draft.current_step if draft.current_step in steps.STEP_NAMES else steps.FIRST_STEP
    return {
        "sessionId": draft.id,
        "version": draft.revision,
        "projectData": project_data(draft),
        "currentStep": number(current),
        "completedSteps": [number(step) for step in steps.STEP_NAMES if draft.validation.get(step)],
        "unsubmittedSteps": [number(step) for step in steps.STEP_NAMES if step in draft.pending],
        "validationStatus": {f"step{number(step)}": bool(draft.validation.get(step)) for step in steps.STEP_NAMES},
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
