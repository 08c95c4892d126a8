"""A person's own data as JSON (seed 004's "Export Integration" shape), and projects as CSV rows.

``account_export`` builds the document the "Download my data" page sends: ``account``, then
top-level ``projects`` and ``drafts``, then ``exportMetadata`` (``exportedAt``, ``dataVersion``).
Reads come in from projects.selectors; nothing here asks the database or the store itself.
"""

from sessions_store import clock

from .api_data import draft_json

DATA_VERSION = "1.0"

CSV_COLUMNS = [
    "id", "projectName", "owner", "buildingType", "squareFootage", "numberOfFloors", "numberOfZones",
    "clientName", "clientEmail", "clientPhone", "projectLocation", "estimatedStartDate", "estimatedEndDate",
    "budget", "priority", "aiSourcingEnabled", "documents", "connectors", "draftId", "createdAt",
]


def _iso(value):
    return value.isoformat() if value is not None else None


def _number(value):
    return str(value) if value is not None else None


def project_json(project):
    return {
        "id": project.pk,
        "draftId": str(project.draft_id),
        "projectName": project.project_name,
        "projectDescription": project.project_description,
        "buildingType": project.building_type,
        "squareFootage": _number(project.square_footage),
        "numberOfFloors": project.number_of_floors,
        "numberOfZones": project.number_of_zones,
        "clientName": project.client_name,
        "clientEmail": project.client_email,
        "clientPhone": project.client_phone,
        "projectLocation": project.project_location,
        "estimatedStartDate": _iso(project.estimated_start_date),
        "estimatedEndDate": _iso(project.estimated_end_date),
        "budget": _number(project.budget),
        "priority": project.priority,
        "requirementsNotes": project.requirements_notes,
        "aiSourcingEnabled": project.ai_sourcing_enabled,
        "createdAt": _iso(project.created_at),
        "documents": [
            {"name": doc.original_name, "contentType": doc.content_type, "size": doc.size, "uploadedAt": _iso(doc.uploaded_at)}
            for doc in project.documents.all()
        ],
        "connectors": [{"connectorType": c.connector_type, "target": c.target} for c in project.connectors.all()],
    }


def project_csv_row(project):
    data = project_json(project)
    data["owner"] = project.owner.get_username()
    data["documents"] = "; ".join(doc["name"] for doc in data["documents"])
    data["connectors"] = "; ".join(f"{c['connectorType']}: {c['target']}" for c in data["connectors"])
    return [data[column] for column in CSV_COLUMNS]


def _unprefixed(values):
    """``{"details-project_name": ["x"]}`` -> ``{"project_name": "x"}`` (one value: not a list)."""
    plain = {}
    for key, value in values.items():
        name = key.split("-", 1)[-1]
        plain[name] = value[0] if isinstance(value, list) and len(value) == 1 else value
    return plain


def draft_export_json(draft):
    data = draft_json(draft)
    data["history"] = [
        {
            "version": entry["r"],
            "changedAt": entry["at"],
            "earlierValues": {step: _unprefixed(values) for step, values in entry["p"].items()},
        }
        for entry in draft.history
    ]
    return data


def account_export(*, user, projects, drafts):
    return {
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "dateJoined": _iso(user.date_joined),
            "lastLogin": _iso(user.last_login),
        },
        "projects": [project_json(project) for project in projects],
        "drafts": [draft_export_json(draft) for draft in drafts],
        "exportMetadata": {
            "exportedAt": clock.now().isoformat(),
            "exportedBy": user.get_username(),
            "dataVersion": DATA_VERSION,
            "totalProjects": len(projects),
            "totalDrafts": len(drafts),
        },
    }
