"""The site's form renderer: Django's form templates, the ones every step page renders, in Python.

Every ``{{ field }}`` renders its widget through the form renderer: a template that includes
``input.html``, which includes ``attrs.html``, interpreted anew for each field and each radio or
select option, about a tenth of a wizard's CPU. ``FormRenderer`` writes the same HTML (byte for
byte: tests/test_wizard_cpu.py compares it with Django's templates for every widget of every
step) for the widgets below, and hands anything else, or any value it does not expect, to
Django's templates. Escaping is Django's own: ``conditional_escape`` on the same strings. The
management forms (hidden fields only) skip the whole-form template too.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData


class _Unexpected(Exception):
    """A value the Python version does not render the way the template would: use the template."""


def _formatted(value):
    # {{ value|stringformat:'s' }}: str() (a tuple would be formatted differently), then escaped
    # unless already safe.
    if isinstance(value, tuple):
        raise _Unexpected
    return conditional_escape(value if isinstance(value, SafeData) else str(value))


def _shown(value):
    # {{ value }}: localised, then escaped. Only text renders the same without localisation.
    if not isinstance(value, (str, Promise)):
        raise _Unexpected
    return conditional_escape(value)


def _attrs(attrs):  # attrs.html
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_shown(name)}")
        if value is not True:
            out.append(f'="{_formatted(value)}"')
    return "".join(out)


def _input(widget):  # input.html
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _input_option(widget):  # input_option.html (radio_option.html, checkbox_option.html)
    if not widget.get("wrap_label"):
        return _input(widget)
    label_for = f' for="{_shown(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    # The included input.html keeps its file's closing newline.
    return f"<label{label_for}>{_input(widget)}\n {_shown(widget['label'])}</label>"


def _textarea(widget):
    value = _shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select_option(widget):
    return f'<option value="{_formatted(widget["value"])}"{_attrs(widget["attrs"])}>{_shown(widget["label"])}</option>'


def _select(widget):
    out = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                raise _Unexpected
            out.append(f"\n  {_select_option(option)}\n")  # the included file's closing newline
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _clearable_file_input(widget):
    if widget["is_initial"]:
        raise _Unexpected
    return f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>'


_WIDGETS = "django/forms/widgets/"
PYTHON_TEMPLATES = {
    **{f"{_WIDGETS}{name}.html": _input for name in ("input", "text", "hidden", "number", "email", "date", "checkbox", "password", "url")},
    f"{_WIDGETS}radio_option.html": _input_option,
    f"{_WIDGETS}checkbox_option.html": _input_option,
    f"{_WIDGETS}textarea.html": _textarea,
    f"{_WIDGETS}select.html": _select,
    f"{_WIDGETS}select_option.html": _select_option,
    f"{_WIDGETS}clearable_file_input.html": _clearable_file_input,
}




def _hidden_fields_only(context):
    # div.html or p.html of a management form (formtools' current step, a formset's counts): only
    # hidden fields and no errors, where the template writes just the fields, one after another.
    if context["fields"] or context["errors"]:
        raise _Unexpected
    return "".join(conditional_escape(field) for field in context["hidden_fields"])


FORM_TEMPLATES = {"django/forms/div.html": _hidden_fields_only, "django/forms/p.html": _hidden_fields_only}


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with the templates above written in Python."""

    def render(self, template_name, context, request=None):
        try:
            if template_name in PYTHON_TEMPLATES:
                return PYTHON_TEMPLATES[template_name](context["widget"]).strip()  # Django strips too
            if template_name in FORM_TEMPLATES:
                return FORM_TEMPLATES[template_name](context).strip()
        except (_Unexpected, KeyError):
            pass
        return super().render(template_name, context, request)
