from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.shortcuts import render


def bad_request(request, exception=None):
    if isinstance(exception, TooManyFilesSent):
        message = (
            f"Too many files were sent at once. A project can have at most "
            f"{settings.UPLOAD_MAX_FILES} documents: go back and choose fewer files."
        )
    else:
        message = "The request could not be understood. Go back and try again."
    return render(request, "400.html", {"message": message}, status=400)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
