"""Pages around the wizard: my projects, a project, its documents, my drafts, sign-up."""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_http_methods, require_POST

from sessions_store import clock
from sessions_store.files import draft_file_storage
from sessions_store.owners import request_owner
from sessions_store.store import OwnerAtCap, OwnerUploadsFull

from . import access, steps, versions
from .forms import DraftLinkForm
from .models import Project
from .api_support import json_response
from .selectors import (
    anonymous_drafts_of_request,
    draft_for_link,
    draft_for_request,
    drafts_of_owner,
    ended_drafts_of_owner,
)
from .services import (
    LinkNeedsSignIn,
    DraftStale,
    LinkNotSent,
    LinkRateLimited,
    RateLimited,
    StoreFull,
    StepsInvalid,
    VersionNotKept,
    draft_claim,
    draft_discard,
    draft_keep,
    draft_open_link,
    draft_restore,
    draft_restore_version,
    draft_send_link,
    draft_start_from,
)


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
    return document_response(get_object_or_404(project.documents, pk=document_id))


def document_response(document):
    """Download a project's document under its original name, or 404 (owner and staff)."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing") from None
    return FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )


def draft_title(draft):
    return steps.draft_title(draft) or "Untitled project"


def draft_step(draft):
    step = draft.current_step if draft.current_step in steps.TITLES else steps.FIRST_STEP
    return {"step_number": steps.step_number(step), "step_title": steps.TITLES[step]}


def draft_list(request):
    owner = request_owner(request)
    rows = [
        {
            "draft": draft,
            "name": draft_title(draft),
            "title": steps.draft_title(draft),
            **draft_step(draft),
            "resume_url": reverse("projects:wizard_resume", args=[draft.id]) + "?via=list",  # counted as a resume
            "discard_url": reverse("projects:draft_discard", args=[draft.id]),
        }
        for draft in drafts_of_owner(owner=owner)
    ]
    discarded, expired = ended_drafts_of_owner(owner=owner)
    # Drafts this browser made before signing in that did not move into the account (it was
    # full, or they were left): offered again. No read without the browser's token.
    left = anonymous_drafts_of_request(request=request) if request.user.is_authenticated else []
    return render(
        request,
        "projects/draft_list.html",
        {
            "rows": rows,
            "left_in_browser": len(left),
            "discarded": discarded,
            "expired": expired,
            "step_count": len(steps.STEP_NAMES),
            "now": clock.now(),
            "tombstone_days": settings.DRAFT_TOMBSTONE_TTL // 86400,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def draft_discard_view(request, draft_id):
    """GET asks first (a page of its own: no JavaScript needed), POST discards."""
    draft = draft_for_request(request=request, draft_id=draft_id, slide=False, reveal=False)
    if request.method != "POST":
        return render(
            request,
            "projects/draft_discard.html",
            {
                "draft": draft,
                "name": draft_title(draft),
                **draft_step(draft),
                "step_count": len(steps.STEP_NAMES),
                "documents": len(draft.files),
                "restore_minutes": settings.DRAFT_RESTORE_SECONDS // 60,
            },
        )
    draft_discard(draft=draft)
    left = timeuntil(clock.now() + timedelta(seconds=settings.DRAFT_RESTORE_SECONDS), clock.now())
    messages.success(request, f"Draft “{draft_title(draft)}” discarded. You can restore it below for {left}.")
    return redirect("projects:drafts")


@require_POST
def draft_keep_view(request, draft_id):
    """"Keep my draft": from the warning the page script shows (JSON), or a plain form."""
    draft = draft_keep(request=request, draft_id=draft_id)
    if "application/json" in request.headers.get("Accept", ""):
        return json_response(request, {"draftId": draft.id, "expiresAt": draft.expires_at.isoformat()})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("projects:wizard_step", args=[draft.id, draft.current_step or steps.FIRST_STEP])
    return redirect(next_url)


@require_POST
def draft_restart_view(request):
    """"Start a new draft with what is on this page", from a page whose draft expired."""
    step = request.POST.get("restart_step", "")
    try:
        draft = draft_start_from(request=request, step=step, values=steps.step_values(step, request.POST) if step in steps.TITLES else {})
    except RateLimited as limited:
        messages.error(request, f"Too many new drafts were started from your network. Try again in {limited.retry_after} seconds.")
        return redirect("projects:wizard_new")
    except StoreFull:
        messages.error(request, "We can't start new drafts right now because our draft storage is nearly full. Please try again later.")
        return redirect("projects:wizard_new")
    except OwnerAtCap:
        messages.error(request, "You already have as many unfinished drafts as you can keep at once. Resume one, or discard one you no longer need, then start again.")
        return redirect("projects:drafts")
    if draft is None:
        messages.info(request, "There was nothing on that page to carry over. Start your project here.")
        return redirect("projects:wizard_new")
    messages.success(request, f"We started a new draft with what you typed on “{steps.TITLES[step]}”. Go through the steps to submit it.")
    return redirect("projects:wizard_step", draft.id, steps.FIRST_STEP)


@require_POST
def draft_restore_view(request, draft_id):
    try:
        draft = draft_restore(request=request, draft_id=draft_id)
    except OwnerAtCap:
        messages.error(request, "You already have as many unfinished drafts as you can keep at once. Discard one you no longer need, then restore this one.")
        return redirect("projects:drafts")
    except OwnerUploadsFull as full:
        messages.error(
            request,
            f"This draft can't be restored now: the documents of all your drafts together must be {filesizeformat(full.limit)} "
            "or less, and with its documents they would be more. Discard a draft you no longer need, or remove some of its "
            "documents, then restore this one.",
        )
        return redirect("projects:drafts")
    messages.success(request, f"Draft “{draft_title(draft)}” restored, as you left it.")
    return redirect("projects:wizard_step", draft_id=draft.id, step=draft.current_step or steps.FIRST_STEP)


@require_http_methods(["GET", "HEAD", "POST"])
def draft_versions(request, draft_id, step):
    """A step's earlier versions (GET), and restoring one (POST, from the list's buttons). The
    step's "Earlier versions of this step" button saved the step before coming here."""
    if step not in steps.AUTOSAVE_STEPS:
        raise Http404("This step has no versions")
    status, notice = 200, None
    if request.method == "POST":
        revision = request.POST.get("revision", "")
        try:
            draft = draft_restore_version(
                request=request, draft_id=draft_id, step=step, revision=revision,
                seen_revision=request.POST.get("draft_version", ""),
            )
        except DraftStale:
            status, notice = 409, (
                "This draft was changed since this list was shown (in another tab or window, or by "
                "autosave). Nothing was restored: its versions as they are now are below."
            )
        except VersionNotKept:
            status, notice = 409, (
                f"That version is no longer kept: a draft keeps its last {settings.DRAFT_HISTORY_REVISIONS} "
                "changes. Nothing was restored: the versions still kept are below."
            )
        except StepsInvalid:
            return redirect("projects:wizard_resume", draft_id)
        else:
            messages.success(request, _restored(draft, step, revision))
            return redirect("projects:wizard_step", draft_id=draft.id, step=step)
    draft = draft_for_request(request=request, draft_id=draft_id)
    if not steps.may_open(draft, step):
        return redirect("projects:wizard_resume", draft.id)
    return render(
        request,
        "projects/draft_versions.html",
        {
            "draft": draft,
            "draft_title": draft_title(draft),
            "step": step,
            "step_title": steps.TITLES[step],
            "versions": versions.step_versions(draft, step),
            "notice": notice,
            "back_url": reverse("projects:wizard_step", kwargs={"draft_id": draft.id, "step": step}),
        },
        status=status,
    )


def _restored(draft, step, revision):
    at = versions.saved_at(draft, step, revision)
    what = f"Version of {_when(at)}" if at else "The earliest kept version"
    if step not in draft.pending:
        return f"{what} restored. It is the version you submitted."
    if draft.validation.get(step) is None:
        return f"{what} restored. It is not submitted yet: choose “Save and continue” when you are ready."
    return (
        f"{what} restored. It is not submitted yet: the answers you submitted before are the ones "
        "used until you choose “Save and continue”."
    )


def draft_email_link(request, draft_id):
    """The address to email a link to the draft to. The step's "Email me a link" button saved the
    step before coming here (?step= names it, for the way back)."""
    form = DraftLinkForm(request.POST or None)
    back_step = request.POST.get("step") or request.GET.get("step")
    back_step = back_step if back_step in steps.TITLES else None
    status, notice, retry_after = 200, None, None
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            draft = draft_send_link(request=request, draft_id=draft_id, email=email)
        except LinkRateLimited as limited:
            status, retry_after = 429, limited.retry_after
            notice = (
                ("Too many links were sent for this draft" if limited.per_draft else "Too many links were sent from your network")
                + f" in the last hour. Try again in {max(1, -(-limited.retry_after // 60))} minutes."
            )
        except LinkNotSent:
            status = 503
            notice = "We could not send the email just now. Nothing was lost: please try again in a few minutes."
        else:
            messages.success(
                request, f"We sent a link to {email}. It opens this draft in any browser until {_when(draft.expires_at)}."
            )
            return redirect(_step_url(draft, back_step))
    draft = draft_for_request(request=request, draft_id=draft_id)
    response = render(
        request,
        "projects/draft_email_link.html",
        {
            "draft": draft,
            "draft_title": steps.draft_title(draft) or "Untitled project",
            "form": form,
            "form_errors": steps.error_summary(form),
            "notice": notice,
            "back_step": back_step,
            "back_url": _step_url(draft, back_step),
        },
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _step_url(draft, step):
    if step is None or not steps.may_open(draft, step):
        return reverse("projects:wizard_resume", args=[draft.id])
    return reverse("projects:wizard_step", kwargs={"draft_id": draft.id, "step": step})


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "j F Y, H:i e")


def draft_link(request, token):
    """An emailed link: a GET says what it opens (mail scanners fetch links, and must move
    nothing); its button POSTs, and the draft moves to this browser or account."""
    try:
        if request.method == "POST":
            try:
                draft = draft_open_link(request=request, token=token)
            except LinkNeedsSignIn:
                messages.info(request, "This draft belongs to an account: sign in to it to open the draft.")
                return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
            where = "your account" if request.user.is_authenticated else "this browser"
            messages.success(request, f"This draft is now in {where}.")
            return redirect("projects:wizard_resume", draft.id)
        draft = draft_for_link(request=request, token=token)
    except access.DraftRefused as refused:
        if refused.kind != access.MISSING:
            raise
        return render(request, "projects/draft_link_invalid.html", status=404)
    return render(
        request,
        "projects/draft_link.html",
        {"draft": draft, "draft_title": steps.draft_title(draft) or "Untitled project"},
    )


def draft_file(request, draft_id, file_id):
    return draft_file_response(draft_for_request(request=request, draft_id=draft_id, slide=False, reveal=False), file_id)


def draft_file_response(draft, file_id):
    """Download one of a draft's documents under its original name, or 404 (owner and staff)."""
    item = next((item for item in (draft.files if draft else []) if item["id"] == file_id), None)
    if item is None:
        raise Http404("No such file")
    try:
        handle = draft_file_storage().open(item["tmp_name"], "rb")
    except FileNotFoundError:
        raise Http404("The file is missing") from None
    return FileResponse(handle, as_attachment=True, filename=item["name"], content_type=item["content_type"])


def signup(request):
    if request.user.is_authenticated:
        return redirect("projects:list")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        has_drafts = bool(anonymous_drafts_of_request(request=request))  # Redis down: a 503, no account
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready.")
        return redirect(sign_in_destination(_safe_next(request, request.POST.get("next", "")), has_drafts=has_drafts))
    return render(
        request,
        "registration/signup.html",
        {"form": form, "form_errors": steps.error_summary(form), "next": request.GET.get("next", "")},
    )


def _safe_next(request, next_url, default="projects:list"):
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return next_url
    return reverse(default)


def sign_in_destination(next_url, *, has_drafts):
    """Where a browser goes once signed in: to ``next_url``, or first to the question whether to
    move the drafts it made before signing in into the account (issue 12 L3)."""
    if not has_drafts:
        return next_url
    return f"{reverse('projects:drafts_move')}?{urlencode({'next': next_url})}"


def _drafts(count):
    return f"{count} draft{'s' if count != 1 else ''}"


def claim_message(claimed):
    """What moving this browser's drafts into the account did, in words (services.Claimed)."""
    moved, stayed = len(claimed.moved), len(claimed.stayed)
    said = f"{_drafts(moved)} {'was' if moved == 1 else 'were'} moved to your account." if moved else "No drafts were moved to your account."
    if not stayed:
        return said
    it = "it" if stayed == 1 else "them"
    if claimed.at_cap:
        why = (
            f"your account already has {claimed.cap} unfinished draft{'s' if claimed.cap != 1 else ''}, the most it can keep: "
            f"discard one in Your drafts to make room, then move {it} from there."
        )
    elif claimed.uploads_full:
        why = (
            f"with {'its' if stayed == 1 else 'their'} documents, the documents of all your drafts together would be more "
            f"than {filesizeformat(claimed.upload_limit)}, the most your account can keep: discard a draft you no longer "
            f"need in Your drafts, or remove some of its documents, then move {it} from there."
        )
    else:
        why = f"{'it was' if stayed == 1 else 'they were'} changed in another tab meanwhile: move {it} from Your drafts."
    return f"{said} {stayed} stayed with this browser because {why}"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def drafts_move(request):
    """"Move them to my account" (the default) or "Leave them" in this browser, for the drafts
    this browser made before signing in. Nothing moves on a GET."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method == "POST":
        if request.POST.get("choice") == "leave":
            messages.info(request, "Those drafts stay in this browser. You will see them again when you sign out.")
        else:
            claimed = draft_claim(request=request, user=request.user)
            if claimed.stayed:
                messages.warning(request, claim_message(claimed))
            elif claimed.moved:
                messages.success(request, claim_message(claimed))
        return redirect(next_url)
    drafts = anonymous_drafts_of_request(request=request)
    if not drafts:
        return redirect(next_url)
    rows = [{"name": draft_title(draft), **draft_step(draft), "draft": draft} for draft in drafts]
    return render(
        request,
        "projects/drafts_move.html",
        {"rows": rows, "next": next_url, "step_count": len(steps.STEP_NAMES)},
    )
