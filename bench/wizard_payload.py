"""What the load benchmark types into each step (shared by bench/load/clients.py and the references).

A copy of the test suite's valid answers (``VALID_DETAILS`` of tests/wizard_helpers.py, ``pdf_bytes``
of tests/conftest.py): those modules import Django's test client, the draft store and the
factories, so they need Django set up, which the benchmark's process never does (its servers do).
Field names carry the step prefix, as the forms render them.
"""

STEP_NAMES = ("details", "requirements", "sources", "review")
MANAGEMENT_FIELD = "project_wizard-current_step"

DETAILS = {
    "project_name": "Harbour Office Retrofit",
    "project_description": "Replace the chillers and re-zone floors 2-5.",
    "building_type": "commercial",
    "square_footage": "45000",
    "number_of_floors": "6",
    "number_of_zones": "24",
    "client_name": "Harbour Estates Ltd",
    "client_email": "facilities@harbour.example",
    "client_phone": "+44 20 7946 0000",
    "project_location": "Bristol, UK",
    "estimated_start_date": "2027-03-01",
    "estimated_end_date": "2027-09-30",
    "budget": "1250000",
    "priority": "high",
}

CONNECTOR = ("google_drive", "https://drive.google.com/drive/folders/abc")
DOCUMENT_NAME = "spec.pdf"
DOCUMENT_FIELD = "requirements-documents"


def pdf_bytes(text="Requirements"):
    """A small valid PDF (the test suite's ``pdf_bytes``): passes the upload content check."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        + f"% {text}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


DOCUMENT = pdf_bytes()


def visible_fields(step):
    """The values a person types on ``step`` (hidden inputs come from the page itself)."""
    if step == "details":
        return {f"details-{key}": value for key, value in DETAILS.items()}
    if step == "requirements":
        return {"requirements-requirements_notes": "See the spec."}
    if step == "sources":
        return {
            "sources-ai_sourcing_enabled": "on",
            "sources-connectors-0-connector_type": CONNECTOR[0],
            "sources-connectors-0-target": CONNECTOR[1],
        }
    if step == "review":
        return {"review-confirm": "on"}
    raise KeyError(step)


def canned_step_data(step):
    """What formtools would have stored for ``step`` (field -> list of values): reference (c)
    replays this instead of storing anything."""
    data = {key: [value] for key, value in visible_fields(step).items()}
    data[MANAGEMENT_FIELD] = [step]
    if step == "sources":
        data.update(
            {
                "sources-connectors-TOTAL_FORMS": ["1"],
                "sources-connectors-INITIAL_FORMS": ["0"],
                "sources-connectors-MIN_NUM_FORMS": ["0"],
                "sources-connectors-MAX_NUM_FORMS": ["20"],
            }
        )
    return data
