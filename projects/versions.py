"""A step's earlier versions, as its "Earlier versions" page lists them: when, which answers
changed (their labels; "Connector N" for a connector row), and their values before → after in
short form. Built from the draft's history (sessions_store.drafts.Draft.step_changes)."""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.utils.text import Truncator

from . import steps
from .forms import ConnectorForm

SHORT = 60  # characters of a value shown in the list
_CONNECTOR_KEY = re.compile(rf"^{steps.CONNECTORS}-(\d+)-")


@dataclass
class Version:
    revision: int  # restoring it puts back the step's values at this revision
    at: datetime = None  # when it was saved; None for the version before the oldest kept change
    changes: list = field(default_factory=list)  # [(label, before, after)], in page order
    current: bool = False
    first: bool = False  # the step's first save: nothing before it
    before: datetime = None  # the version before the oldest kept change: older than this


def step_versions(draft, step):
    """The step's versions, newest (the current one) first."""
    changes = draft.step_changes(step)
    versions = [
        Version(revision, at, describe(step, before, after), current=index == 0, first=not before)
        for index, (revision, at, before, after) in enumerate(changes)
    ]
    if changes and changes[-1][2]:
        revision, at, _, _ = changes[-1]
        versions.append(Version(revision - 1, before=at))
    return versions


def has_earlier_versions(draft, step):
    return len(step_versions(draft, step)) > 1


def saved_at(draft, step, revision):
    """When ``step`` got the values it had at ``revision``: its last kept change up to then."""
    revision = int(revision)
    return next((at for number, at, _, _ in draft.step_changes(step) if number <= revision), None)


def describe(step, before, after):
    """[(label, before, after)] of the answers that differ between two values of ``step``."""
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    rows = []
    for name, form_field in steps.value_fields(step):
        key = f"{step}-{name}"
        if key in changed:
            rows.append((form_field.label or name.replace("_", " ").capitalize(), short(form_field, before.get(key)), short(form_field, after.get(key))))
    if step == "sources":
        numbers = sorted({int(match.group(1)) for key in changed if (match := _CONNECTOR_KEY.match(key))})
        for index in numbers:
            rows.append((f"Connector {index + 1}", connector(before, index), connector(after, index)))
    return rows


def short(form_field, values):
    if isinstance(form_field, forms.BooleanField):
        return "Yes" if values and values[0] not in ("", "false", "off") else "No"
    typed = [str(value) for value in values or [] if str(value).strip()]
    if not typed:
        return "(empty)"
    choices = dict(getattr(form_field, "choices", None) or ())
    if choices:
        return ", ".join(str(choices.get(value, value)) for value in typed)
    return f"“{Truncator(', '.join(typed)).chars(SHORT)}”"


def connector(values, index):
    prefix = f"{steps.CONNECTORS}-{index}-"
    kind, target = ((values.get(prefix + name) or [""])[0] for name in steps.CONNECTOR_FIELDS)
    if not (kind or target):
        return "(empty)"
    label = dict(ConnectorForm.base_fields["connector_type"].choices).get(kind, kind) if kind else "No type"
    removed = " (removed)" if (values.get(prefix + "DELETE") or [""])[0] else ""
    return f"{label}: {Truncator(target).chars(SHORT) or '(no target)'}{removed}"
