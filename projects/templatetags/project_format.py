"""{% load project_format %}: numbers as the review page shows them ("12,500 sq ft", "$250,000"), and times as "just now" or "5 minutes ago"."""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from ..review import format_number

register = template.Library()


@register.filter
def with_unit(value, name):
    """``{{ project.budget|with_unit:"budget" }}``: grouped, no trailing zeros, with its unit."""
    return "" if value is None else format_number(value, name)


@register.filter
def percent(value):
    """A ratio (0.1234) as "12.3 %"; "–" when there is none (nothing to divide by)."""
    return "–" if value is None else f"{value * 100:.1f} %"


@register.filter
def duration(seconds):
    """Seconds as "45 s", "2 min 30 s", "1 h 5 min"; "–" when there is none."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if rest // 60 else f"{hours} h"


@register.filter
def ago(when, now=None):
    """``{{ draft.last_activity|ago:now }}``: "just now" under a minute, otherwise "5 minutes ago"
    (Django's timesince alone says "0 minutes ago")."""
    if not when:
        return ""
    now = now or timezone.now()
    if (now - when).total_seconds() < 60:
        return "just now"
    return f"{timesince(when, now)} ago"
