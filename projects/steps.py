"""The wizard's step schema, in one place: the steps, their forms and titles, which posted keys
are a step's values, the connector rows, binding a step's form, and flattening its errors.

A step's values are kept as the form posts them: ``{"<step>-<field>": [values]}``. Submitted,
validated values live in the wizard's step data; autosaved, unsubmitted ones in ``draft.pending``
(see sessions_store.drafts). Both are validated by the same form classes. The wizard pages,
autosave, the API, the drafts admin and the services all read the steps from here.
"""

import re
from functools import lru_cache

from django.forms.utils import pretty_name
from django.utils.datastructures import MultiValueDict

from sessions_store.describe import DraftDescriber

from .forms import MAX_CONNECTORS, STEPS, ConnectorForm
from .uploads import owner_quota

FORMS = dict(STEPS)
STEP_NAMES = [name for name, _ in STEPS]
TITLES = {name: form.title for name, form in STEPS}
FIRST_STEP, LAST_STEP = STEP_NAMES[0], STEP_NAMES[-1]
# The review step has no fields (its "Create project" button creates the project): nothing to autosave.
AUTOSAVE_STEPS = STEP_NAMES[:-1]
# Posted with a step but not part of its values: files travel only in a real submit, and
# "remove" is an action taken on submit.
NOT_VALUES = frozenset({"remove", "documents"})
CONNECTORS = "sources-connectors"  # the connector formset's prefix
CONNECTOR_FIELDS = ("connector_type", "target")
_MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
# An empty connector list, as the page posts it (the API may not send one).
EMPTY_CONNECTORS = {
    f"{CONNECTORS}-TOTAL_FORMS": ["1"],
    f"{CONNECTORS}-INITIAL_FORMS": ["0"],
    f"{CONNECTORS}-MIN_NUM_FORMS": ["0"],
    f"{CONNECTORS}-MAX_NUM_FORMS": [str(MAX_CONNECTORS)],
}
_CONNECTOR_KEY = re.compile(rf"^{CONNECTORS}-(?:{'|'.join(_MANAGEMENT)}|(\d+)-(?:connector_type|target|DELETE))$")


def input_label(step, key):
    """A person's name for an input: its field's label, or "Connector 2: target" for a row."""
    match = re.match(rf"^{CONNECTORS}-(\d+)-(\w+)$", key)
    if match:
        return f"Connector {int(match.group(1)) + 1}: {match.group(2).replace('_', ' ')}"
    field = FORMS[step].base_fields.get(key[len(step) + 1:])
    return (field.label or key) if field is not None else key


def management_keys(step):
    """The connector formset's management numbers (not answers), for ``step``."""
    return [f"{CONNECTORS}-{name}" for name in _MANAGEMENT] if step == "sources" else []


def step_number(step):
    return STEP_NAMES.index(step) + 1


def step_at(number):
    """The step name of a 1-based step number (no bounds check)."""
    return STEP_NAMES[number - 1]


def value_fields(step):
    """(field name, form field) of the step's own inputs, in page order (never files or "remove")."""
    return [(name, field) for name, field in FORMS[step].base_fields.items() if name not in NOT_VALUES]


@lru_cache(maxsize=None)
def _blank(step):
    """The step's own input names, and what the unbound form shows in them (its presets)."""
    form = bind(step, None)
    names = [name for name, _ in value_fields(step)]
    return (
        frozenset(form.add_prefix(name) for name in names),
        {form.add_prefix(name): form[name].value() for name in names},
    )


def is_value_key(step, key):
    """Is ``key`` one of the step form's own inputs? Anything else posted is not kept: a draft
    holds what its forms can show, and stays small."""
    if key in _blank(step)[0]:
        return True
    match = step == "sources" and _CONNECTOR_KEY.match(key)
    return bool(match) and (match.group(1) is None or int(match.group(1)) < MAX_CONNECTORS)


def step_values(step, posted):
    """The ``step``'s own values from a POST (QueryDict) or a dict of lists, prefixed keys."""
    lists = posted.lists() if hasattr(posted, "lists") else posted.items()
    return {key: list(values) for key, values in lists if is_value_key(step, key)}


def has_content(step, values):
    """Did the user type anything? Preset values (a default radio choice) and the formset's
    management numbers do not count."""
    preset = _blank(step)[1]
    for key, items in values.items():
        if key.endswith(_MANAGEMENT):
            continue
        typed = [str(value) for value in items if str(value).strip()]
        if typed and (key not in preset or typed != [str(preset[key])]):
            return True
    return False


def bind(step, values, draft=None, files=None):
    """The step's form the way the wizard makes it (prefix = step name); unbound for None."""
    kwargs = {}
    if step == "requirements":  # what is attached, and the room left in the owner's total
        kwargs = {"attached": draft.files if draft is not None else [], "owner_quota": owner_quota(draft)}
    data = None if values is None else (values if hasattr(values, "getlist") else MultiValueDict(values))
    return FORMS[step](data=data, files=files, prefix=step, **kwargs)


# --- the limits every kept value stays within -------------------------------------------------------

# A number, date, choice, tick box or the connector list's numbers: no real one is longer.
TYPED_MAX = 64


def _max_chars(field):
    return getattr(field, "max_length", None) or TYPED_MAX


def value_limit(step, key):
    """The most characters one value of ``key`` (a value key of ``step``) may have: its
    field's own max_length, or TYPED_MAX for inputs that have none."""
    match = re.match(rf"^{CONNECTORS}-\d+-(\w+)$", key)
    if match:
        field = ConnectorForm.base_fields.get(match.group(1))
    else:
        field = FORMS[step].base_fields.get(key[len(step) + 1:])
    return _max_chars(field) if field is not None else TYPED_MAX


def over_limits(step, values):
    """{input name: [message]} for each value longer than its field allows, or sent more than
    once (every input of a step holds one value). What a draft keeps, submitted or not, stays
    within its fields' limits, so one client can't fill the store with pages of text."""
    refused = {}
    for key, items in values.items():
        label = input_label(step, key)
        if label == key:
            label = pretty_name(key[len(step) + 1:])
        if len(items) > 1:
            refused[key] = [f"{label}: one value expected, {len(items)} were sent. It was not saved."]
            continue
        limit = value_limit(step, key)
        length = len(str(items[0])) if items else 0
        if length > limit:
            refused[key] = [f"{label}: at most {limit:,} characters (this has {length:,}). It was not saved."]
    return refused


# --- what a draft holds for a step ------------------------------------------------------------------

def with_connectors(step, values):
    """Sources values always carry the connector list's management numbers (the API may omit them)."""
    if step == "sources" and f"{CONNECTORS}-TOTAL_FORMS" not in values:
        return {**EMPTY_CONNECTORS, **values}
    return values


def submitted_values(draft, step):
    return with_connectors(step, draft.wizard["step_data"].get(step) or {})


def current_values(draft, step):
    """What the user last saw in ``step``: autosaved values over submitted ones."""
    pending = draft.pending_data(step)
    return submitted_values(draft, step) if pending is None else with_connectors(step, pending)


def first_incomplete_step(draft):
    for step in STEP_NAMES:
        if draft is None or not draft.validation.get(step):
            return step
    return LAST_STEP


def may_open(draft, step):
    """A step is open once every step before it is complete."""
    return step_number(step) <= step_number(first_incomplete_step(draft))


def connector_rows(values, prefix=CONNECTORS, *, every_stored=False):
    """[{number, connector_type, target, deleted}] of the rows the connector formset reads
    (TOTAL_FORMS of them, at most MAX_CONNECTORS), blank rows left out. ``every_stored`` also
    counts rows stored past TOTAL_FORMS (a step kept from a tampered page), for staff."""
    try:
        total = min(int((values.get(f"{prefix}-TOTAL_FORMS") or ["0"])[0]), MAX_CONNECTORS)
    except ValueError:
        total = 0
    if every_stored:
        stored = [int(m.group(1)) for key in values if (m := re.match(rf"^{re.escape(prefix)}-(\d+)-", key))]
        total = min(max([total, *(index + 1 for index in stored)]), MAX_CONNECTORS)
    rows = []
    for index in range(total):
        row = {name: (values.get(f"{prefix}-{index}-{name}") or [""])[0] for name in CONNECTOR_FIELDS}
        if row["connector_type"] or row["target"]:
            row["number"] = index + 1
            row["deleted"] = bool((values.get(f"{prefix}-{index}-DELETE") or [""])[0])
            rows.append(row)
    return rows


# --- errors ----------------------------------------------------------------------------------------

def iter_errors(form, *, page_order=True):
    """(bound field or None, row number or None, message) for every error of a form and its
    connector rows (row 0: the list's own errors). In page order: form-wide errors, fields, the
    list, then the rows; else in the order the form found them: fields then what clean() added,
    the rows, then the list."""
    if not form.is_bound:
        return
    items = form.errors.items()
    if page_order:
        order = {name: index for index, name in enumerate(form.fields)}
        items = sorted(items, key=lambda item: order.get(item[0], -1))
    for name, messages in items:
        for message in messages:
            yield (form[name] if name in form.fields else None), None, message
    connectors = getattr(form, "connectors", None)
    if connectors is None or not connectors.is_bound:
        return
    list_errors = [(None, 0, message) for message in connectors.non_form_errors()]
    if page_order:
        yield from list_errors
    for number, row in enumerate(connectors.forms, start=1):
        for name, messages in row.errors.items():
            for message in messages:
                yield (row[name] if name in row.fields else None), number, message
    if not page_order:
        yield from list_errors


def field_errors(form, *, ignore_documents=False):
    """{html input name: [messages]}; "__all__" for errors of no single input."""
    errors = {}
    for field, _, message in iter_errors(form, page_order=False):
        if ignore_documents and field is not None and field.name == "documents":
            continue
        errors.setdefault(field.html_name if field is not None else "__all__", []).append(message)
    return errors


def error_summary(form):
    """(anchor id, message) for every error, for the error summary at the top of a page."""
    items = []
    for field, row, message in iter_errors(form):
        if field is None:
            if row is None:
                anchor = getattr(form, "non_field_anchor", "step-form")
            else:
                anchor = f"{form.add_prefix('connectors')}-list" if row == 0 else "step-form"
        else:
            # Radio buttons have no single label target: link to the group (its auto_id).
            anchor = field.id_for_label if row else (field.id_for_label or field.auto_id)
        label = f"Connector {row}: " if row else (f"{field.label}: " if field is not None else "")
        items.append((anchor, label + message))
    return items


def check_step(step, values, draft, *, ignore_documents=False):
    """Errors of ``values`` for ``step`` ({} when valid). The documents a requirements step needs
    are checked against what the draft has attached (files are never part of ``values``);
    autosave ignores them, since a file chosen but not yet submitted is not attached yet."""
    form = bind(step, values, draft)
    form.is_valid()
    return field_errors(form, ignore_documents=ignore_documents)


# --- what the draft store is told -------------------------------------------------------------------

def draft_title(draft):
    values = draft.shown_values("details").get("project_name") or [""]
    return values[0].strip()


class ProjectDraftDescriber(DraftDescriber):
    """DRAFT_DESCRIBER: a draft's title is its project name; staff search its client too."""

    steps = tuple(STEP_NAMES)

    def title(self, draft):
        return draft_title(draft)

    def expiry_counts(self, step):
        from .analytics import expiry_counts

        return expiry_counts(step)

    def search_text(self, draft):
        values = draft.shown_values("details")
        parts = [draft_title(draft), (values.get("client_name") or [""])[0], (values.get("client_email") or [""])[0]]
        return " ".join(part.strip()[:120] for part in parts if part and part.strip())
