"""Pages around the wizard: my projects, a project, its documents, my drafts, sign-up."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from sessions_store import clock
from sessions_store.files import delete_draft_files, draft_file_response
from sessions_store.limits import TooManyLookups
from sessions_store.owners import request_owner
from sessions_store.store import get_draft_store

from . import access
from .models import Project
from .wizard import STEP_TITLES, error_summary


def home(request):
    return render(request, "home.html")


@login_required
def project_list(request):
    projects = Project.objects.filter(owner=request.user).only(
        "id", "project_name", "building_type", "priority", "created_at"
    )
    return render(request, "projects/project_list.html", {"projects": projects})


@login_required
def project_detail(request, pk):
    project = get_object_or_404(Project.objects.filter(owner=request.user), pk=pk)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "documents": project.documents.all(),
            "connectors": project.connectors.all(),
        },
    )


@login_required
def project_document(request, pk, document_id):
    project = get_object_or_404(Project.objects.filter(owner=request.user), pk=pk)
    document = get_object_or_404(project.documents, pk=document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing") from None
    return FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )


def _owned_draft(request, draft_id):
    draft, tomb_owner = get_draft_store().load(str(draft_id), slide=False)
    refused = access.refusal(request, request_owner(request), draft, tomb_owner, str(draft_id))
    if refused is None:
        return draft
    if refused.kind == access.LIMITED:
        raise TooManyLookups(refused.retry_after)
    raise Http404("No such draft")


def draft_list(request):
    owner = request_owner(request)
    drafts = get_draft_store().list_owned(owner) if owner else []
    steps = list(STEP_TITLES)
    rows = [
        {
            "draft": draft,
            "name": draft.project_name or "Untitled project",
            "step_number": steps.index(draft.current_step) + 1 if draft.current_step in steps else 1,
            "step_title": STEP_TITLES.get(draft.current_step, STEP_TITLES[steps[0]]),
            "resume_url": reverse("projects:wizard_resume", args=[draft.id]),
            "discard_url": reverse("projects:draft_discard", args=[draft.id]),
        }
        for draft in drafts
    ]
    return render(
        request, "projects/draft_list.html", {"rows": rows, "step_count": len(steps), "now": clock.now()}
    )


@require_POST
def draft_discard(request, draft_id):
    draft = _owned_draft(request, draft_id)
    get_draft_store().delete(draft, action="delete")
    delete_draft_files(draft.id)
    messages.success(request, f"Draft “{draft.project_name or 'Untitled project'}” discarded.")
    return redirect("projects:drafts")


def draft_file(request, draft_id, file_id):
    return draft_file_response(_owned_draft(request, draft_id), file_id)


def signup(request):
    if request.user.is_authenticated:
        return redirect("projects:list")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # One unit: if handing the visitor's drafts over fails (Redis down: a 503), the account
        # is not half made, and trying again does not say "that username already exists".
        with transaction.atomic():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready.")
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
            next_url = reverse("projects:list")
        return redirect(next_url)
    return render(
        request,
        "registration/signup.html",
        {"form": form, "form_errors": error_summary(form), "next": request.GET.get("next", "")},
    )
