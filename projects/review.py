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
                "rows": review_rows(step, form, draft) if valid else [],
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
        rows = [("Documents", [f"{item['name']} ({filesizeformat(item['size'])})" for item in draft.files])]
        rows.append(("Notes", data.get("requirements_notes") or "—"))
        return rows
    if step == "sources":
        connectors = data.get("connectors") or []
        return [
            ("AI sourcing", "Enabled" if data.get("ai_sourcing_enabled") else "Not enabled"),
            (
                "Connectors",
                [f"{ConnectorType(c['connector_type']).label}: {c['target']}" for c in connectors]
                or "None",
            ),
        ]
    rows = []
    for name, field in form.fields.items():
        rows.append((field.label or name.replace("_", " ").capitalize(), display_value(field, data.get(name))))
    return rows


def display_value(field, value):
    if value in (None, ""):
        return "—"
    if hasattr(field, "choices"):
        return dict(field.choices).get(value, value)
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,.2f}"
    if isinstance(value, date):
        return date_format(value, "j F Y")
    return value
