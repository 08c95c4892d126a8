"""{% load project_format %}: numbers as the review page shows them ("12,500 sq ft", "$250,000")."""

from django import template

from ..review import format_number

register = template.Library()


@register.filter
def with_unit(value, name):
    """``{{ project.budget|with_unit:"budget" }}``: grouped, no trailing zeros, with its unit."""
    return "" if value is None else format_number(value, name)
