import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .uploads import storage_suffix


class BuildingType(models.TextChoices):
    RESIDENTIAL = "residential", "Residential"
    COMMERCIAL = "commercial", "Commercial office"
    RETAIL = "retail", "Retail"
    INDUSTRIAL = "industrial", "Industrial / warehouse"
    HEALTHCARE = "healthcare", "Healthcare"
    EDUCATION = "education", "Education"
    HOSPITALITY = "hospitality", "Hospitality"
    DATA_CENTER = "data_center", "Data centre"
    MIXED_USE = "mixed_use", "Mixed use"
    OTHER = "other", "Other"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ConnectorType(models.TextChoices):
    WEBSITE = "website", "Website or web page"
    GOOGLE_DRIVE = "google_drive", "Google Drive folder"
    SHAREPOINT = "sharepoint", "SharePoint / OneDrive"
    DROPBOX = "dropbox", "Dropbox folder"
    S3 = "s3", "Amazon S3 bucket"
    REST_API = "rest_api", "REST API endpoint"


SQUARE_FOOTAGE_MAX = Decimal("1000000")


class Project(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    # The draft this project was created from: unique, so a double submit creates one project.
    draft_id = models.UUIDField(unique=True, editable=False, default=uuid.uuid4)
    project_name = models.CharField(max_length=100)
    project_description = models.TextField(blank=True)
    building_type = models.CharField(max_length=32, choices=BuildingType.choices)
    square_footage = models.DecimalField(max_digits=9, decimal_places=2)
    number_of_floors = models.PositiveIntegerField(null=True, blank=True)
    number_of_zones = models.PositiveIntegerField(null=True, blank=True)
    client_name = models.CharField(max_length=200, blank=True)
    client_email = models.EmailField(blank=True)
    client_phone = models.CharField(max_length=32, blank=True)
    project_location = models.CharField(max_length=255, blank=True)
    estimated_start_date = models.DateField(null=True, blank=True)
    estimated_end_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    requirements_notes = models.TextField(blank=True)
    ai_sourcing_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(square_footage__gt=0, square_footage__lt=SQUARE_FOOTAGE_MAX),
                name="project_square_footage_range",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="project_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(estimated_start_date__isnull=True)
                | Q(estimated_end_date__isnull=True)
                | Q(estimated_end_date__gte=models.F("estimated_start_date")),
                name="project_end_not_before_start",
            ),
        ]

    def __str__(self):
        return self.project_name

    def get_absolute_url(self):
        return reverse("projects:detail", args=[self.pk])


def document_path(instance, filename):
    # The stored name never comes from the user: project id, random id, checked extension.
    return f"projects/{instance.project_id}/{uuid.uuid4().hex}{instance.extension}"


class ProjectDocument(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name

    @property
    def extension(self):
        return storage_suffix(self.original_name)

    def get_absolute_url(self):
        return reverse("projects:document", args=[self.project_id, self.pk])


class DataConnector(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="connectors")
    connector_type = models.CharField(max_length=32, choices=ConnectorType.choices)
    target = models.CharField("URL or identifier", max_length=2048)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.get_connector_type_display()}: {self.target}"


class WizardAnalytics(models.Model):
    """No table: the counters live in Redis (projects.analytics). This gives the admin's "Wizard
    analytics" page its place on the admin index and a view permission of its own."""

    class Meta:
        managed = False
        db_table = "projects_wizard_analytics_not_a_table"
        verbose_name = "wizard analytics"
        verbose_name_plural = "wizard analytics"
        default_permissions = ("view",)
