from django.contrib import admin

from .models import DataConnector, Project, ProjectDocument


class ProjectDocumentInline(admin.TabularInline):
    model = ProjectDocument
    extra = 0
    fields = ("original_name", "content_type", "size", "uploaded_at", "file")
    readonly_fields = fields


class DataConnectorInline(admin.TabularInline):
    model = DataConnector
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("project_name", "owner", "building_type", "priority", "created_at")
    list_filter = ("building_type", "priority", "ai_sourcing_enabled", "created_at")
    search_fields = ("project_name", "client_name", "client_email", "draft_id", "owner__username")
    readonly_fields = ("draft_id", "created_at")
    inlines = [ProjectDocumentInline, DataConnectorInline]
    date_hierarchy = "created_at"
from . import admin_drafts  # noqa: F401,E402  (drafts, read from the draft store)
