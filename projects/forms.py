"""The four step forms. Forms only validate; saving is projects.services' job."""

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.forms.formsets import ManagementForm
from django.template.defaultfilters import filesizeformat

from .models import SQUARE_FOOTAGE_MAX, BuildingType, ConnectorType, Priority
from .uploads import ACCEPT_ATTRIBUTE, ACCEPTED_LABELS, UNREADABLE_NAME, RejectedFile, display_name, identify


class FriendlyDecimalField(forms.DecimalField):
    """Accepts what people type for amounts: "12,500", "$ 1 200.50"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s,_]", "", value).lstrip("$£€")
        return super().to_python(value)


class StepForm(forms.Form):
    # Names the step's template section; and every field gets a label and a hint.
    title = ""
    template_name = "projects/forms/fields.html"


def _whole_number_messages(things, most, example):
    """Our own words for an optional count (Django's are "Ensure this value is ...")."""
    between = f"The number of {things} must be between 1 and {most:,}."
    return {"min_value": between, "max_value": between, "invalid": f"Enter the number of {things} as a whole number, like {example}."}


class DetailsForm(StepForm):
    title = "Project details"

    project_name = forms.CharField(
        max_length=100,
        help_text="Up to 100 characters. You can change it later.",
    )
    project_description = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What is being built or changed, in a few sentences.",
    )
    building_type = forms.ChoiceField(
        choices=[("", "Choose a building type")] + BuildingType.choices,
        help_text="The main use of the building.",
        error_messages={"required": "Choose a building type."},
    )
    square_footage = FriendlyDecimalField(
        decimal_places=2,
        help_text="Gross floor area in square feet: more than 0 and less than 1,000,000.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": "Enter the square footage.", "invalid": "Enter the square footage as a number, like 12500."},
    )
    number_of_floors = forms.IntegerField(
        required=False, min_value=1, max_value=500,
        help_text="Floors above and below ground, 1 to 500.",
        error_messages=_whole_number_messages("floors", 500, 6),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    number_of_zones = forms.IntegerField(
        required=False, min_value=1, max_value=10000,
        help_text="HVAC or control zones, 1 to 10,000.",
        error_messages=_whole_number_messages("zones", 10000, 24),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    client_name = forms.CharField(
        required=False, max_length=200, help_text="The person or company commissioning the work."
    )
    client_email = forms.EmailField(
        required=False,
        max_length=254,
        help_text="For example name@example.com.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid": "Enter the client email in the format name@example.com."},
    )
    client_phone = forms.RegexField(
        required=False,
        max_length=32,
        regex=r"^\+?[0-9(][0-9 ()\-.]{5,30}$",
        help_text="Digits, spaces, brackets and dashes; a leading + for international numbers.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={"invalid": "Enter a phone number like +44 20 7946 0000 or (555) 010-0000."},
    )
    project_location = forms.CharField(
        required=False, max_length=255, help_text="Site address or city."
    )
    estimated_start_date = forms.DateField(
        required=False,
        help_text="When work is expected to begin.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the start date as a real date, like 2027-03-31."},
    )
    estimated_end_date = forms.DateField(
        required=False,
        help_text="Not before the start date.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the end date as a real date, like 2027-09-30."},
    )
    budget = FriendlyDecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text="In dollars; 0 or more.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": "Enter the budget as a number, like 250000.",
            "min_value": "The budget cannot be negative.",
        },
    )
    priority = forms.ChoiceField(
        choices=Priority.choices,
        initial=Priority.MEDIUM,
        widget=forms.RadioSelect,
        help_text="How urgent this project is.",
        error_messages={"required": "Choose a priority."},
    )

    def clean_square_footage(self):
        value = self.cleaned_data["square_footage"]
        if value <= 0:
            raise forms.ValidationError("Square footage must be more than 0.")
        if value >= SQUARE_FOOTAGE_MAX:
            raise forms.ValidationError("Square footage must be less than 1,000,000.")
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("estimated_start_date"), cleaned.get("estimated_end_date")
        if start and end and end < start:
            self.add_error(
                "estimated_end_date",
                "The end date cannot be before the start date: enter a later date, or leave it empty.",
            )
        return cleaned


DetailsForm.base_fields["project_name"].error_messages["required"] = "Enter a project name."
DetailsForm.base_fields["project_name"].error_messages["max_length"] = (
    "The project name must be 100 characters or fewer (it has %(show_value)d)."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One field, many files: cleans to ``[(uploaded file, problem or None)]`` in the order chosen.

    A file this field refuses (an empty one) is not an error of the whole field: the form refuses
    each bad file on its own, so that one never takes the good ones with it."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        chosen = []
        for item in files:
            if not item:
                continue
            try:
                chosen.append((super().clean(item, initial), None))
            except forms.ValidationError as exc:
                # Say which file: "The submitted file is empty" alone does not help with ten.
                name = display_name(getattr(item, "name", "file"))
                if getattr(exc, "code", "") == "empty":
                    chosen.append((item, f"“{name}” is empty (0 bytes)."))
                else:
                    chosen.append((item, f"“{name}”: {' '.join(exc.messages)}"))
        return chosen


@dataclass
class DocumentChanges:
    """What a requirements submit does to the draft's documents, valid or not."""

    add: list = field(default_factory=list)  # [(uploaded file, Kind)], in the order chosen
    remove: set = field(default_factory=set)  # ids of attached documents


def too_big_message(name, size_text):
    """Why a file is refused for its size (also given to the page's script, with ``{name}`` and
    ``{size}`` for it to fill in, so that it refuses such a file before uploading it)."""
    return f"“{name}” is {size_text}: each file must be {filesizeformat(settings.UPLOAD_MAX_FILE_SIZE)} or smaller."


def _screen(uploaded):
    """``(Kind, None)`` for a file that may be attached, ``(None, why not)`` otherwise."""
    if uploaded.size > settings.UPLOAD_MAX_FILE_SIZE:
        return None, too_big_message(display_name(uploaded.name), filesizeformat(uploaded.size))
    try:
        return identify(uploaded), None
    except RejectedFile as exc:
        return None, str(exc)


class RequirementsForm(StepForm):
    title = "Requirements documents"

    documents = MultipleFileField(
        required=False,
        label="Add documents",
        widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    remove = forms.MultipleChoiceField(
        required=False,
        label="Remove attached documents",
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick a document to remove it when you continue.",
    )
    requirements_notes = forms.CharField(
        required=False,
        max_length=5000,
        label="Notes on the requirements",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything the documents do not say.",
    )

    def __init__(self, *args, attached=(), unreadable_names=0, owner_quota=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_changes = DocumentChanges()
        self.unreadable_names = unreadable_names  # files posted whose names could not be read
        self.owner_quota = owner_quota  # uploads.OwnerQuota, or None (not counted)
        self.fields["documents"].help_text = (
            f"{ACCEPTED_LABELS}. Up to {filesizeformat(settings.UPLOAD_MAX_FILE_SIZE)} each, "
            f"{filesizeformat(settings.UPLOAD_MAX_DRAFT_SIZE)} and {settings.UPLOAD_MAX_FILES} "
            "files in all. You can select several files at once."
        )
        self.fields["documents"].widget.attrs.update(
            {"data-max-size": settings.UPLOAD_MAX_FILE_SIZE, "data-too-big": too_big_message("{name}", "{size}")}
        )
        self.show_attached(attached)

    def show_attached(self, attached):
        """The draft's documents: what "remove" may name, and the file input's label. Called
        again when a refused submit attached its good files, so the page shows them as attached."""
        self.attached = list(attached)
        self.fields["remove"].choices = [(item["id"], item["name"]) for item in self.attached]
        documents = self.fields["documents"]
        # Nothing attached yet: at least one file is required (checked in clean()).
        documents.label, documents.show_required = (
            ("Add documents", False) if self.attached else ("Requirements documents", True)
        )
        self._bound_fields_cache.pop("documents", None)  # a BoundField keeps the label it was built with

    def clean_documents(self):
        """Each file on its own: ``[(uploaded file, Kind or None, problem or None)]``."""
        screened = []
        for uploaded, problem in self.cleaned_data["documents"]:
            kind, problem = (None, problem) if problem else _screen(uploaded)
            screened.append((uploaded, kind, problem))
        return screened

    def _over_owner_quota(self, draft_total):
        quota = self.owner_quota
        return quota is not None and quota.others + draft_total > quota.limit

    def clean(self):
        """Every good file is accepted and each bad one refused with its name and why, in the
        order chosen; the count and total-size limits refuse only the files that overflow them.
        ``document_changes`` holds what the submit does to the draft's documents, whether or not
        the rest of the step is valid (services.draft_keep_documents)."""
        cleaned = super().clean()
        removing = set(cleaned.get("remove") or [])
        kept = [item for item in self.attached if item["id"] not in removing]
        kept_size = sum(item["size"] for item in kept)
        count, total = len(kept), kept_size
        accepted, refused = [], [UNREADABLE_NAME] * self.unreadable_names
        for uploaded, kind, problem in cleaned.get("documents", []):
            name = display_name(uploaded.name)
            if problem:
                refused.append(problem)
            elif count >= settings.UPLOAD_MAX_FILES:
                refused.append(
                    f"“{name}” was not added: a project can have at most {settings.UPLOAD_MAX_FILES} "
                    "documents. Remove one to make room for another."
                )
            elif total + uploaded.size > settings.UPLOAD_MAX_DRAFT_SIZE:
                refused.append(
                    f"“{name}” was not added: all documents together must be "
                    f"{filesizeformat(settings.UPLOAD_MAX_DRAFT_SIZE)} or less, and with it they "
                    f"would make {filesizeformat(total + uploaded.size)}."
                )
            elif self._over_owner_quota(total + uploaded.size):
                quota = self.owner_quota
                refused.append(
                    f"“{name}” was not added: the documents of all your drafts together must be "
                    f"{filesizeformat(quota.limit)} or less, and with it they would make "
                    f"{filesizeformat(quota.others + total + uploaded.size)}. Discard a draft you no "
                    "longer need, or remove some of its documents, to make room."
                )
            else:
                accepted.append((uploaded, kind))
                count, total = count + 1, total + uploaded.size
        # Removing is refused only where it would leave no document at all.
        self.document_changes = DocumentChanges(add=accepted, remove=removing if kept or accepted else set())
        for message in refused:
            self.add_error("documents", message)
        if not kept and not accepted and not refused:
            self.add_error("documents", "Attach at least one requirements document.")
        # Documents attached before a limit was lowered (found again when the project is created).
        if len(kept) > settings.UPLOAD_MAX_FILES:
            self.add_error(
                "documents",
                f"A project can have at most {settings.UPLOAD_MAX_FILES} documents; "
                f"this would make {len(kept)}. Remove some first.",
            )
        elif kept_size > settings.UPLOAD_MAX_DRAFT_SIZE:
            self.add_error(
                "documents",
                f"All documents together must be {filesizeformat(settings.UPLOAD_MAX_DRAFT_SIZE)} "
                f"or less; this would make {filesizeformat(kept_size)}.",
            )
        return cleaned


def _https_host(*hosts, suffixes=()):
    def check(value):
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and (host in hosts or any(host.endswith(s) for s in suffixes))

    return check


_S3 = re.compile(r"^s3://(?!-)[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^\s]*)?$")

# connector type -> (is it a URL?, check, what to write)
CONNECTOR_RULES = {
    ConnectorType.WEBSITE: (True, lambda v: urlsplit(v).scheme in ("http", "https"), "a web address starting with https://"),
    ConnectorType.GOOGLE_DRIVE: (True, _https_host("drive.google.com", "docs.google.com"), "a link starting with https://drive.google.com/"),
    ConnectorType.SHAREPOINT: (True, _https_host("onedrive.live.com", suffixes=(".sharepoint.com",)), "a link to your-company.sharepoint.com or onedrive.live.com"),
    ConnectorType.DROPBOX: (True, _https_host("dropbox.com", "www.dropbox.com"), "a link starting with https://www.dropbox.com/"),
    ConnectorType.S3: (False, lambda v: bool(_S3.match(v)), "a bucket address like s3://my-bucket/drawings/"),
    ConnectorType.REST_API: (True, lambda v: urlsplit(v).scheme == "https", "an https:// endpoint"),
}
SKIP_CONNECTOR = " To skip this connector, leave both empty."
TARGET_HINT = "For example https://drive.google.com/drive/folders/… or s3://bucket/prefix/."
# The target's hint once a type is chosen: on the server after a submit, and live in the browser
# (static/js/connector-hints.js reads them from the type's data-hints).
CONNECTOR_HINTS = {str(kind): f"{kind.label}: {expected}." for kind, (_, _, expected) in CONNECTOR_RULES.items()}


class ConnectorForm(forms.Form):
    connector_type = forms.ChoiceField(
        required=False,
        label="Connector type",
        choices=[("", "Choose a type")] + ConnectorType.choices,
        help_text="Where the data lives.",
        widget=forms.Select(attrs={"data-hints": json.dumps({"": TARGET_HINT, **CONNECTOR_HINTS})}),
    )
    target = forms.CharField(
        required=False,
        max_length=2048,
        label="URL or identifier",
        help_text=TARGET_HINT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.data.get(self.add_prefix("connector_type")) if self.is_bound else None
        if kind in CONNECTOR_HINTS:
            self.fields["target"].help_text = CONNECTOR_HINTS[kind]

    def clean(self):
        cleaned = super().clean()
        kind, target = cleaned.get("connector_type"), (cleaned.get("target") or "").strip()
        if not kind and not target:
            return cleaned
        if not kind:
            self.add_error("connector_type", f"Choose a connector type, because you entered a URL or identifier.{SKIP_CONNECTOR}")
            return cleaned
        if not target:
            self.add_error("target", f"Enter the URL or identifier for this connector, because you chose a connector type.{SKIP_CONNECTOR}")
            return cleaned
        is_url, check, expected = CONNECTOR_RULES[kind]
        if is_url:
            try:
                URLValidator(schemes=["http", "https"])(target)
            except forms.ValidationError:
                self.add_error("target", f"Enter {expected}.")
                return cleaned
            if urlsplit(target).username or urlsplit(target).password:
                self.add_error("target", "Do not put a username or password in the link.")
                return cleaned
        if not check(target):
            self.add_error("target", f"Enter {expected}.")
            return cleaned
        cleaned["target"] = target
        return cleaned


class BaseConnectorFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            key = (form.cleaned_data.get("connector_type"), form.cleaned_data.get("target"))
            if key[0] and key in seen:
                form.add_error("target", "This connector is already in the list.")
            seen.add(key)


MAX_CONNECTORS = 20

ConnectorFormSet = forms.formset_factory(
    ConnectorForm,
    formset=BaseConnectorFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_CONNECTORS,
    validate_max=True,
    absolute_max=MAX_CONNECTORS + 5,
)


def repair_management_form(data, prefix):
    """Rebuild a missing or tampered formset management form from the rows actually posted."""
    rows = {
        int(match.group(1))
        for key in data
        if (match := re.match(rf"^{re.escape(prefix)}-(\d+)-", key)) and int(match.group(1)) < MAX_CONNECTORS
    }
    repaired = data.copy()
    repaired[f"{prefix}-TOTAL_FORMS"] = str(max(rows, default=0) + 1)
    repaired[f"{prefix}-INITIAL_FORMS"] = "0"
    repaired[f"{prefix}-MIN_NUM_FORMS"] = "0"
    repaired[f"{prefix}-MAX_NUM_FORMS"] = str(MAX_CONNECTORS)
    return repaired


class SourcesForm(StepForm):
    """A form with a formset inside: formtools stores the raw POST, so both replay together."""

    title = "Data sources"

    ai_sourcing_enabled = forms.BooleanField(
        required=False,
        label="Let AI find relevant public data sources",
        help_text="Building codes, weather and energy benchmarks for the project's location.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prefix = self.add_prefix("connectors")
        data, self.connectors_repaired = (self.data, False) if self.is_bound else (None, False)
        if self.is_bound and not ManagementForm(self.data, prefix=prefix).is_valid():
            data, self.connectors_repaired = repair_management_form(self.data, prefix), True
        self.connectors = ConnectorFormSet(data=data, prefix=prefix)
        # Form-wide errors here are about the connector list: the summary links to it.
        self.non_field_anchor = f"{prefix}-list"

    def is_valid(self):
        # Both, always: so that both show their errors.
        form_valid = super().is_valid()
        return self.connectors.is_valid() and form_valid

    def clean(self):
        cleaned = super().clean()
        if self.connectors_repaired:
            # Never save a list we had to guess at: show it, and let the user save it again.
            raise forms.ValidationError(
                "The connector list could not be read completely. Check the connectors below "
                "and save again."
            )
        if self.connectors.is_valid():
            cleaned["connectors"] = [
                {"connector_type": form.cleaned_data["connector_type"], "target": form.cleaned_data["target"]}
                for form in self.connectors.forms
                if form.cleaned_data.get("connector_type")
                and not (self.connectors.can_delete and self.connectors._should_delete_form(form))
            ]
        return cleaned


class ReviewForm(StepForm):
    """No tick box: the "Create project" button is the confirmation. It posts review-confirm=1,
    which takes the commit lock with the draft load (ProjectWizard.is_commit_attempt), so a final
    POST without it (not one the page sends) creates nothing."""

    title = "Review & create"

    confirm = forms.BooleanField(
        label="Create project",
        error_messages={"required": "Choose “Create project” to create the project."},
    )


STEPS = [
    ("details", DetailsForm),
    ("requirements", RequirementsForm),
    ("sources", SourcesForm),
    ("review", ReviewForm),
]


class DraftLinkForm(forms.Form):
    """The address to email a link to a draft to (not kept)."""

    email = forms.CharField(
        label="Email address",
        help_text="We'll send one email with the link, and keep no copy of the address.",
        error_messages={"required": "Enter your email address"},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def clean_email(self):
        # One message at a time, the length first: EmailField would say both at once.
        email = self.cleaned_data["email"].strip()
        if len(email) > 254:
            raise forms.ValidationError("Enter an email address of 254 characters or fewer")
        try:
            forms.EmailField().clean(email)
        except forms.ValidationError:
            raise forms.ValidationError("Enter an email address in the correct format, like name@example.com") from None
        return email
