"""Step 2's documents one at a time, for the page's upload script (static/js/uploads.js): each
file is uploaded as soon as it is chosen, and each Remove acts at once. The step's form still
takes files and "remove" ticks on submit, so the page works the same without JavaScript.

``POST /projects/new/<draft id>/files/``, multipart: ``requirements-documents`` (one file) and
the page's ``draft_version`` -> 201 ``{"document", "version", "count"}``; a refused file -> 400
``FILE_REFUSED`` with the step's own message (naming the file and why).
``POST /projects/new/<draft id>/files/<file id>/remove/`` with ``draft_version`` -> 200
``{"removed", "version", "count"}`` (a document gone already is removed all the same).

CSRF protected (``X-CSRFToken``), the draft's access rules and revision semantics as autosave's
(services.draft_attach_document, draft_remove_document); errors as the session API's.
"""

from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from .api_support import ApiError, api_view, json_response
from .services import DocumentRefused, draft_attach_document, draft_remove_document

FIELD = "requirements-documents"


def document_json(draft_id, document):
    return {
        "id": document["id"],
        "name": document["name"],
        "size": document["size"],
        "sizeText": filesizeformat(document["size"]),
        "url": reverse("projects:draft_file", args=[draft_id, document["id"]]),
        "removeUrl": reverse("projects:draft_document_remove", args=[draft_id, document["id"]]),
    }


def _upload(request, draft_id):
    files = request.FILES.getlist(FIELD)
    if len(files) != 1:
        raise ApiError(400, "VALIDATION_FAILED", "Send one file at a time.", fields={FIELD: ["Send one file."]})
    try:
        change = draft_attach_document(
            request=request, draft_id=str(draft_id), uploaded=files[0], revision=request.POST.get("draft_version")
        )
    except DocumentRefused as refused:
        raise ApiError(400, "FILE_REFUSED", refused.message, fields={FIELD: [refused.message]}) from None
    return json_response(
        request,
        {"document": document_json(change.draft.id, change.document), "version": change.revision, "count": len(change.draft.files)},
        status=201,
    )


def _remove(request, draft_id, file_id):
    change = draft_remove_document(
        request=request, draft_id=str(draft_id), file_id=file_id, revision=request.POST.get("draft_version")
    )
    return json_response(request, {"removed": file_id, "version": change.revision, "count": len(change.draft.files)})


document_upload = api_view(["POST"])({"POST": _upload})
document_remove = api_view(["POST"])({"POST": _remove})
