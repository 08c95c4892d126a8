"""The review page's sections ("check your answers"): each step's answers as rows."""

from datetime import date
from decimal import Decimal

from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format

from . import steps
from .models import ConnectorType


def review_sections(draft, get_step_url):
    sections = []
    for step in steps.STEP_NAMES[:-1]:
        form = steps.bind(step, draft.wizard["step_data"].get(step), draft)
        valid = form.is_bound and form.is_valid()
        sections.append(
            {
                "step": step,
                "title": steps.TITLES[step],
                "rows": [
                    {"label": label, "value": value, "field": field}
                    for field, label, value in review_rows(step, form, draft)
                ]
                if valid
                else [],
                "valid": valid,
                # Typed (autosaved) there but not submitted: not part of what is created.
                "unsubmitted": step in draft.pending,
                "change_url": f"{get_step_url(step)}?return=review",
            }
        )
    return sections


def review_rows(step, form, draft):
    data = form.cleaned_data
    if step == "requirements":
        return [
            ("documents", "Documents", [f"{item['name']} ({filesizeformat(item['size'])})" for item in draft.files]),
            ("requirements_notes", "Notes", data.get("requirements_notes") or NOT_PROVIDED),
        ]
    if step == "sources":
        connectors = data.get("connectors") or []
        return [
            ("ai_sourcing_enabled", "AI sourcing", "Enabled" if data.get("ai_sourcing_enabled") else "Not enabled"),
            (
                "connectors",
                "Connectors",
                [f"{ConnectorType(c['connector_type']).label}: {c['target']}" for c in connectors]
                or "None",
            ),
        ]
    rows = []
    for name, field in form.fields.items():
        label = field.label or name.replace("_", " ").capitalize()
        rows.append((name, label, display_value(field, data.get(name), name)))
    return rows


NOT_PROVIDED = "Not provided"
# How a number is shown with its unit, here and on the project page (templatetags/project_format.py).
UNITS = {"square_footage": "{} sq ft", "budget": "${}"}


def format_number(value, name=None):
    """12,500 or 12,500.5 (grouped, no trailing zeros), with the unit of ``name`` if it has one."""
    value = Decimal(value)
    places = 0 if value == value.to_integral() else 2
    return UNITS.get(name, "{}").format(f"{value:,.{places}f}")


def display_value(field, value, name=None):
    if value in (None, ""):
        return NOT_PROVIDED
    if hasattr(field, "choices"):
        return dict(field.choices).get(value, value)
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return format_number(value, name)
    if isinstance(value, date):
        return date_format(value, "j F Y")
    return value
