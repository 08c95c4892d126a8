import csv
import json

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from .account_export import CSV_COLUMNS, project_csv_row, project_json
from .models import DataConnector, Project, ProjectDocument
from .views import document_response


class ProjectDocumentInline(admin.TabularInline):
    """A committed project's documents: shown, downloadable by staff, never edited here."""

    model = ProjectDocument
    extra = 0
    can_delete = False
    fields = ("original_name", "content_type", "size", "uploaded_at", "download")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="File")
    def download(self, document):
        url = reverse("admin:projects_project_document", args=[document.project_id, document.pk])
        return format_html('<a href="{}">Download {}</a>', url, document.original_name)


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline's inputs named for screen readers too (the column header is only seen)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", f"{field.label or 'Delete'} ({row})")


class DataConnectorInline(admin.TabularInline):
    model = DataConnector
    formset = LabelledInlineFormSet
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("project_name", "owner", "building_type", "priority", "created_at")
    list_filter = ("building_type", "priority", "ai_sourcing_enabled", "created_at")
    search_fields = ("project_name", "client_name", "client_email", "draft_id", "owner__username")
    readonly_fields = ("draft_id", "created_at")
    inlines = [ProjectDocumentInline, DataConnectorInline]
    date_hierarchy = "created_at"
    actions = ["export_csv", "export_json"]

    @admin.action(description="Export selected projects as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = _attachment("text/csv; charset=utf-8", "projects.csv")
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for project in _with_rows(queryset):
            writer.writerow(project_csv_row(project))
        return response

    @admin.action(description="Export selected projects as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        response = _attachment("application/json", "projects.json")
        json.dump([project_json(project) for project in _with_rows(queryset)], response, indent=2, cls=DjangoJSONEncoder)
        return response

    def get_urls(self):
        document = path(
            "<int:pk>/documents/<int:document_id>/",
            self.admin_site.admin_view(self.document_view),
            name="projects_project_document",
        )
        return [document, *super().get_urls()]

    def document_view(self, request, pk, document_id):
        """A project's document for staff who may view projects (the file itself is not public)."""
        project = get_object_or_404(Project, pk=pk)
        if not self.has_view_permission(request, project):
            raise PermissionDenied
        return document_response(get_object_or_404(project.documents, pk=document_id))


def _with_rows(queryset):
    return queryset.select_related("owner").prefetch_related("documents", "connectors").order_by("created_at", "id")


def _attachment(content_type, filename):
    response = HttpResponse(content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


from . import admin_drafts  # noqa: F401,E402  (drafts, read from the draft store)
from . import admin_analytics  # noqa: F401,E402  (the "Wizard analytics" page, counters in Redis)
