"""What the wizard pages, the autosave endpoint and the JSON API share about a draft's steps.

A step's values are kept as the form posts them: ``{"<step>-<field>": [values]}``. Submitted,
validated values live in the wizard's step data; autosaved, unsubmitted ones in ``draft.pending``
(see sessions_store.drafts). Both are validated by the same form classes.
"""

import re
from functools import lru_cache

from django.utils.datastructures import MultiValueDict

from sessions_store import clock
from sessions_store.store import RedisDraftStore

from .forms import MAX_CONNECTORS, STEPS

FORMS = dict(STEPS)
STEP_NAMES = [name for name, _ in STEPS]
LAST_STEP = STEP_NAMES[-1]
# The review step holds only the confirmation box, which creates the project: nothing to autosave.
AUTOSAVE_STEPS = STEP_NAMES[:-1]
# Posted with a step but not part of its values: files travel only in a real submit, and
# "remove" is an action taken on submit.
_NOT_VALUES = frozenset({"remove", "documents"})


def step_number(step):
    return STEP_NAMES.index(step) + 1


_FORMSET_KEY = re.compile(
    r"^sources-connectors-(?:TOTAL_FORMS|INITIAL_FORMS|MIN_NUM_FORMS|MAX_NUM_FORMS|(\d+)-(?:connector_type|target|DELETE))$"
)


@lru_cache(maxsize=None)
def _blank(step):
    """The step's own input names, and what the unbound form shows in them (its presets)."""
    form = FORMS[step](prefix=step, **({"attached": []} if step == "requirements" else {}))
    names = [name for name in form.fields if name not in _NOT_VALUES]
    return (
        frozenset(form.add_prefix(name) for name in names),
        {form.add_prefix(name): form[name].value() for name in names},
    )


def is_value_key(step, key):
    """Is ``key`` one of the step form's own inputs (never files or "remove")? Anything else
    posted is not kept: a draft holds what its forms can show, and stays small."""
    if key in _blank(step)[0]:
        return True
    match = step == "sources" and _FORMSET_KEY.match(key)
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
        if key.endswith(("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")):
            continue
        typed = [str(value) for value in items if str(value).strip()]
        if typed and (key not in preset or typed != [str(preset[key])]):
            return True
    return False


def bind(step, values, draft=None):
    """The step's form bound to ``values`` the way the wizard binds it (prefix = step name)."""
    kwargs = {}
    if step == "requirements":
        kwargs["attached"] = draft.files if draft is not None else []
    return FORMS[step](data=MultiValueDict(values or {}), files=None, prefix=step, **kwargs)


def field_errors(form, *, ignore_documents=False):
    """{html input name: [messages]} for the form and its connector rows; "__all__" for the rest."""
    errors = {}
    for name, messages in form.errors.items():
        if ignore_documents and name == "documents":
            continue
        key = form.add_prefix(name) if name in form.fields else "__all__"
        errors.setdefault(key, []).extend(messages)
    connectors = getattr(form, "connectors", None)
    if connectors is not None and connectors.is_bound:
        for row in connectors.forms:
            for name, messages in row.errors.items():
                key = row.add_prefix(name) if name in row.fields else "__all__"
                errors.setdefault(key, []).extend(messages)
        if connectors.non_form_errors():
            errors.setdefault("__all__", []).extend(connectors.non_form_errors())
    return errors


def check_step(step, values, draft, *, ignore_documents=False):
    """Errors of ``values`` for ``step`` ({} when valid). The documents a requirements step needs
    are checked against what the draft has attached (files are never part of ``values``);
    autosave ignores them, since a file chosen but not yet submitted is not attached yet."""
    form = bind(step, values, draft)
    form.is_valid()
    return field_errors(form, ignore_documents=ignore_documents)


# An empty connector list, as the page posts it (the API may not send one).
EMPTY_CONNECTORS = {
    "sources-connectors-TOTAL_FORMS": ["1"],
    "sources-connectors-INITIAL_FORMS": ["0"],
    "sources-connectors-MIN_NUM_FORMS": ["0"],
    "sources-connectors-MAX_NUM_FORMS": [str(MAX_CONNECTORS)],
}


def current_values(draft, step):
    """What the user last saw in ``step``: autosaved values over submitted ones."""
    pending = draft.pending_data(step)
    return submitted_values(draft, step) if pending is None else _with_connectors(step, pending)


def first_incomplete_step(draft):
    for step in STEP_NAMES:
        if draft is None or not draft.validation.get(step):
            return step
    return LAST_STEP


def may_open(draft, step):
    """A step is open once every step before it is complete."""
    return step_number(step) <= step_number(first_incomplete_step(draft))


def submitted_values(draft, step):
    return _with_connectors(step, draft.wizard["step_data"].get(step) or {})


def _with_connectors(step, values):
    """Sources values always carry the connector list's management numbers (the API may omit them)."""
    if step == "sources" and "sources-connectors-TOTAL_FORMS" not in values:
        return {**EMPTY_CONNECTORS, **values}
    return values


def set_pending(draft, step, values):
    """Keep ``values`` as the step's unsubmitted values; values equal to what was submitted are
    no unsubmitted change. Returns whether the draft changed."""
    if values == submitted_values(draft, step) and draft.validation.get(step) is not None:
        return draft.pending.pop(step, None) is not None
    if draft.pending_data(step) == values:
        return False
    draft.pending[step] = {"data": values, "saved_at": clock.now().isoformat()}
    return True


def record_size(draft):
    """Bytes of the draft's record in Redis (the store refuses one over SESSION_MAX_BYTES)."""
    return len(RedisDraftStore.encode(draft).encode())
