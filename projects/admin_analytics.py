"""The admin's "Wizard analytics" page: the funnel, rates, median times and the fields that fail
most for a date range (the last 7 days by default), by day; charts drawn here as SVG (no script,
no inline style: classes styled by static/css/admin.css), each with its numbers in a table; CSV
and JSON downloads. Staff need the page's own permission ("Can view wizard analytics")."""

import csv
import io
import json
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from sessions_store import clock

from . import steps
from .models import WizardAnalytics
from .selectors import analytics_report

DEFAULT_DAYS = 7
CHART_WIDTH = 480  # viewBox units; the chart scales to its box


class RangeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("“From” must be on or before “To”.")
            if (end - start).days >= settings.ANALYTICS_RETENTION_DAYS:
                raise forms.ValidationError(
                    f"Choose at most {settings.ANALYTICS_RETENTION_DAYS} days: older counters are not kept."
                )
        return cleaned


def default_range():
    today = timezone.localtime(clock.now()).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def chosen_range(params):
    """(form, start, end): the range asked for, or the default one when none was asked for or
    it is not valid (the form then holds what was typed, and says why)."""
    start, end = default_range()
    if "start" not in params and "end" not in params:
        return RangeForm(initial={"start": start, "end": end}), start, end
    form = RangeForm(params)
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, start, end


# --- charts: geometry in viewBox units --------------------------------------------------------------

def funnel_chart(funnel):
    """Horizontal bars, one a stage, labelled; the widest is the largest count."""
    row, label_width, bar_space = 30, 130, CHART_WIDTH - 130 - 50
    top = max((stage["count"] for stage in funnel), default=0) or 1
    bars = []
    for index, stage in enumerate(funnel):
        width = round(bar_space * stage["count"] / top, 1)
        y = index * row
        bars.append(
            {
                "label": stage["short"], "count": stage["count"], "y": y, "text_y": y + 20,
                "x": label_width, "width": max(width, 1 if stage["count"] else 0), "value_x": label_width + width + 6,
            }
        )
    return {"width": CHART_WIDTH, "height": len(funnel) * row, "bars": bars}


def days_chart(days, series=(("created", "Created"), ("committed", "Committed"))):
    """Grouped vertical bars a day, for ``series`` (key, label); a baseline and the first and
    last dates under it."""
    height, bottom, left = 200, 24, 36
    plot = height - bottom
    top = max((day[key] for day in days for key, _ in series), default=0) or 1
    slot = (CHART_WIDTH - left) / max(len(days), 1)
    bar = max(slot / (len(series) + 1), 0.5)
    groups = []
    for index, day in enumerate(days):
        x = left + index * slot + bar / 2
        rects = []
        for offset, (key, label) in enumerate(series):
            size = round(plot * day[key] / top, 1)
            rects.append({"key": key, "label": label, "x": round(x + offset * bar, 2), "y": round(plot - size, 1), "width": round(bar, 2), "height": size, "value": day[key]})
        groups.append({"date": day["date"], "rects": rects})
    return {
        "width": CHART_WIDTH, "height": height, "plot": plot, "left": left, "top": top,
        "groups": groups, "series": series, "label_y": height - 6,
        "first": days[0]["date"] if days else "", "last": days[-1]["date"] if days else "",
    }


# --- downloads ------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    ["date", "created"]
    + [f"submitted_{step}" for step in steps.STEP_NAMES]
    + ["committed", "expired", "discarded", "errors", "refused", "autosaves", "conflicts_merged", "conflicts_shown",
       "resumes_idle", "resumes_list", "resumes_link"]
)


def csv_row(label, counts):
    return (
        [label, counts["created"]]
        + [counts["submitted"][step] for step in steps.STEP_NAMES]
        + [counts["committed"], counts["expired"]["total"], counts["discarded"], counts["errors"]["total"],
           sum(counts["refused"].values()), counts["autosaves"], counts["conflicts"]["merged"],
           counts["conflicts"]["shown"], *counts["resumes"].values()]
    )


def csv_response(report, filename):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for day in report["days"]:
        writer.writerow(csv_row(day["date"], day))
    writer.writerow(csv_row("total", report["totals"]))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def json_response(report, filename):
    response = HttpResponse(json.dumps(report, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


# --- the page ----------------------------------------------------------------------------------------------

@admin.register(WizardAnalytics)
class WizardAnalyticsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form, start, end = chosen_range(request.GET)
        download = request.GET.get("format")
        if download in ("csv", "json") and form.is_bound and not form.is_valid():
            return HttpResponse(f"Not a valid date range: {form.errors.as_text()}", status=400, content_type="text/plain")
        report = analytics_report(start=start, end=end)
        filename = f"wizard-analytics-{start.isoformat()}-{end.isoformat()}"
        if download == "csv":
            return csv_response(report, filename)
        if download == "json":
            return json_response(report, filename)
        return TemplateResponse(request, "admin/projects/wizard_analytics.html", self.page_context(request, form, report))

    def page_context(self, request, form, report):
        query = f"start={report['start']}&end={report['end']}"
        step_rows = [
            {
                "title": steps.TITLES[step],
                "median": report["median_seconds"]["steps"][step],
                "refused": report["totals"]["refused"][step],
                "server_errors": report["totals"]["errors"]["by_step"][step]["5xx"],
                "store_errors": report["totals"]["errors"]["by_step"][step]["redis"],
                "error_rate": report["rates"]["error_by_step"][step],
                "expired": report["totals"]["expired"]["by_step"].get(step, 0),
            }
            for step in steps.STEP_NAMES
        ]
        return {
            **self.admin_site.each_context(request),
            "title": "Wizard analytics",
            "time_zone": settings.TIME_ZONE,
            "opts": self.opts,
            "form": form,
            "report": report,
            "step_rows": step_rows,
            "funnel_chart": funnel_chart(report["funnel"]),
            "days_chart": days_chart(report["days"]),
            "csv_url": f"?{query}&format=csv",
            "json_url": f"?{query}&format=json",
        }
