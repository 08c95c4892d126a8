"""Error pages, and the same errors as JSON for the API and autosave (never Django's debug HTML)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.shortcuts import render

from projects.api_support import ApiError, error_response


def wants_json(request):
    return request.path.startswith("/api/") or request.path.endswith("/autosave/")


def json_error(request, status, code, message):
    return error_response(request, ApiError(status, code, message))


def bad_request(request, exception=None):
    if isinstance(exception, TooManyFilesSent):
        message = (
            f"Too many files were sent at once. A project can have at most "
            f"{settings.UPLOAD_MAX_FILES} documents: go back and choose fewer files."
        )
    elif isinstance(exception, RequestDataTooBig):
        if wants_json(request):
            return json_error(request, 413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
        message = "What was sent is too large. Go back, shorten your answers and try again."
    else:
        message = "The request could not be understood. Go back and try again."
    if wants_json(request):
        return json_error(request, 400, "BAD_REQUEST", message)
    return render(request, "400.html", {"message": message}, status=400)


def csrf_failure(request, reason=""):
    message = (
        "Your form expired or came from another site, so it was not accepted. "
        "Reload the page and try again."
    )
    if wants_json(request):
        return json_error(request, 403, "CSRF_FAILED", message + " API calls need the X-CSRFToken header.")
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request, exception=None):
    if wants_json(request):
        return json_error(request, 404, "NOT_FOUND", "There is nothing at this address.")
    return render(request, "404.html", status=404)


def server_error(request):
    if wants_json(request):
        return json_error(request, 500, "INTERNAL_ERROR", "Something went wrong on our side. It has been logged.")
    return render(request, "500.html", status=500)
