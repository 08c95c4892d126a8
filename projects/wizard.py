"""The four-step project wizard: formtools' NamedUrlSessionWizardView over the Redis draft store.

What this class changes in formtools, and why (see shared/notes/formtools.md):
- State lives in the draft named by the URL's UUID (``DraftStorage``, our ``storage_name``), not
  in request.session. The first valid step-1 POST creates it; a GET never does. formtools'
  dispatch builds the storage and calls its ``update_response()``, which writes the draft once.
- The URL names the step being shown or submitted. The management form's ``current_step`` and
  ``wizard_goto_step`` are checked, never trusted: a step whose earlier steps are incomplete is
  answered with a redirect to the first incomplete step (the seed's INVALID_STEP).
- Documents: one multiple-file field, kept in the draft's own file list (formtools keeps one
  file per field), stored under a per-draft temporary folder. A refused requirements submit still
  attaches its good files (services.draft_keep_documents); each refused one is named on the page.
- The final POST commits directly (no GET-that-commits ``done`` URL), under a per-draft lock,
  and the Project's unique ``draft_id`` makes the commit happen exactly once
  (services.project_create_from_draft).
- A Redis error re-renders the step with what the user typed and a 503, never a 500.
- "Email me a link to this draft" and "Earlier versions of this step" are buttons of the step's
  form: they keep what was typed (as Back does), then go to a page of their own
  (views.draft_email_link, views.draft_versions); a plain link would lose what was typed
  without JavaScript (no autosave).
"""

import logging
import re
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.db.utils import InterfaceError, OperationalError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import NamedUrlSessionWizardView, WizardView

from sessions_store import clock
from sessions_store.files import draft_file_storage
from sessions_store.owners import request_owner
from sessions_store.store import DraftConflict, DraftGone, DraftStoreUnavailable, DraftTooLarge, OwnerAtCap

from . import access, steps
from .forms import MAX_CONNECTORS, STEPS
from .uploads import owner_quota
from .review import review_sections
from .wizard_pages import WizardRecoveryPages
from .selectors import drafts_of_owner
from .services import (
    DocumentMissing,
    DraftConflicts,
    DraftStale,
    RateLimited,
    StoreFull,
    draft_count_failure,
    draft_count_refused,
    draft_count_visit,
    draft_discard_to_make_room,
    draft_keep_documents,
    draft_reopen_step,
    draft_start,
    draft_submit_step,
    project_create_from_draft,
)
from .versions import has_earlier_versions

logger = logging.getLogger("projects")
DATABASE_DOWN = (OperationalError, InterfaceError)


class ProjectWizard(WizardRecoveryPages, NamedUrlSessionWizardView):
    form_list = STEPS
    storage_name = "sessions_store.storage.DraftStorage"
    template_name = "projects/wizard.html"
    url_name = "projects:wizard_step"
    done_step_name = "done"

    @property
    def file_storage(self):
        return draft_file_storage()

    def dispatch(self, request, *args, **kwargs):
        # formtools has no hook for errors raised while its storage reads or writes: WizardView's
        # dispatch builds the storage, runs get/post, then update_response() writes the draft.
        # Those errors are answered here, with what the user typed.
        self.owner = None  # read by open_draft(): loading the signed-in user needs the database
        self.notice = None
        self.other_conflicts = []
        self.owner_drafts = []  # listed to resume or discard when the owner is at the drafts cap
        self.restored_at = None
        self.attached_now = []
        self.store_down = False
        self._new_tmp_files = []
        try:
            return super().dispatch(request, *args, **kwargs)
        except access.DraftRefused as refused:
            if refused.kind != access.EXPIRED or request.method != "POST":
                raise  # answered by the middleware
            return self.render_expired_with_input(request, kwargs, refused)
        except DraftStoreUnavailable:
            self._remove_new_files()
            draft_count_failure(step=self.counted_step(kwargs), store=True)
            return self.render_unavailable(request, kwargs)
        except (DraftConflict, DraftGone, DraftStale):
            self._remove_new_files()
            return self.render_conflict(request, kwargs)
        except DraftTooLarge:
            self._remove_new_files()
            return self.render_too_large(request, kwargs)
        except OwnerAtCap:
            return self.render_owner_at_cap(request, kwargs)
        except DATABASE_DOWN:
            if request.method != "POST" or not hasattr(self, "storage"):
                raise  # the middleware's 503 page: there is no input to show again
            return self.render_database_down(request, kwargs)
        finally:
            # Still held, whatever happened: the commit did not complete (a completed one
            # deleted the draft and its lock together).
            if hasattr(self, "storage"):
                self.storage.release_commit_lock()

    def open_draft(self, request, kwargs):
        """Read the URL's draft (formtools reads no state named by the URL) and check that the
        request may open it (access.DraftRefused otherwise, answered by the middleware)."""
        self.owner = request_owner(request)
        draft_id = kwargs.get("draft_id")
        step = kwargs.get("step") or (self.steps.first if draft_id is None else None)
        self.storage.logged_step = step if step in self.get_form_list() else None
        if draft_id is None:
            return
        self.storage.open(
            str(draft_id),
            lock_owner=self.owner.key if self.is_commit_attempt(request, kwargs) else None,
            # Only a step-2 submit can add files: the owner's upload total is counted for it alone.
            count_uploads=request.method == "POST" and step == "requirements",
        )
        access.check(request, self.owner, self.storage.draft, self.storage.tombstone_owner, str(draft_id))
        draft_count_visit(draft=self.storage.draft, via=request.GET.get("via"))

    def counted_step(self, kwargs):
        """The step a request is about, for the analytics ("details" for /projects/new/)."""
        step = kwargs.get("step") or self.steps.first
        return step if step in self.get_form_list() else "unknown"

    def is_commit_attempt(self, request, kwargs):
        """A confirmed final POST by a signed-in user: its draft load also takes the commit lock."""
        last = self.steps.last
        return (
            request.method == "POST"
            and kwargs.get("step") == last
            and request.user.is_authenticated
            and not request.POST.get("wizard_goto_step")
            and bool(request.POST.get(f"{last}-confirm"))
        )

    # --- GET and POST: formtools' NamedUrl versions show any step the URL names, trust the
    # management form's step, and redirect /new/ to a step URL that needs a draft id. ---------

    def get(self, request, *args, **kwargs):
        self.open_draft(request, kwargs)
        step = kwargs.get("step")
        if self.storage.draft is None:
            # /projects/new/: step 1, nothing stored yet.
            self.storage.current_step = self.steps.first
            return self.render(self.get_form())
        allowed = steps.first_incomplete_step(self.storage.draft)
        if step is None or step == self.done_step_name:
            return redirect(self.get_step_url(self.resume_step()))
        if step not in self.get_form_list():
            return self.invalid_step(allowed, f"There is no step called “{step[:40]}”.")
        if not steps.may_open(self.storage.draft, step):
            return self.invalid_step(allowed)
        self.storage.current_step = step
        pending = self.storage.draft.pending.get(step)
        if pending is None:
            return self.render(self.get_form(step, data=self.storage.get_step_data(step), files=None))
        # Autosaved but not submitted: show it as typed, without shouting about what is unfinished.
        form = self.get_form(step, data=MultiValueDict(pending["data"]), files=None)
        form.suppress_errors = True
        self.restored_at = datetime.fromisoformat(pending["saved_at"])
        return self.render(form)

    def post(self, request, *args, **kwargs):
        self.open_draft(request, kwargs)
        draft = self.storage.draft
        step = kwargs.get("step") or self.steps.first
        form_list = self.get_form_list()
        if step not in form_list:
            return self.invalid_step(steps.first_incomplete_step(draft), f"There is no step called “{step[:40]}”.")
        allowed = steps.first_incomplete_step(draft)
        management = ManagementForm(request.POST, prefix=self.prefix)
        claimed = management.cleaned_data["current_step"] if management.is_valid() else step
        if claimed in form_list and not steps.may_open(draft, claimed):
            return self.invalid_step(allowed)
        if not steps.may_open(draft, step):
            return self.invalid_step(allowed)
        data = request.POST
        self.storage.current_step = step
        if draft is not None:
            try:
                data = self.merged_with_the_latest(draft, step, data)
            except DraftConflicts as conflicts:
                return self.render_conflicts(step, conflicts)
        if step == "sources" and "add_connector" in request.POST:
            return self.render(self.form_with_extra_connector(step))
        if request.POST.get("use_theirs") and draft is not None:
            return self.render(self.form_with_theirs(step, request.POST["use_theirs"]))

        form = self.get_form(step, data=data, files=request.FILES)
        valid = form.is_valid()
        away = self.page_away(draft, step)
        if away:
            # "Email me a link to this draft", "Earlier versions of this step": keep what was
            # typed here, as Back does, then go to a page of their own (formtools writes the
            # draft on the way out).
            self.submit_step(step, form, valid)
            return redirect(away)
        goto = request.POST.get("wizard_goto_step")
        if goto:
            # Back, or a step link: keep what was typed here, valid or not.
            if draft is None:
                return self.render(form)
            self.submit_step(step, form, valid)
            goto = goto if goto in form_list else step
            if not steps.may_open(draft, goto):
                return self.invalid_step(steps.first_incomplete_step(draft))
            return self.render_goto_step(goto)
        if not valid:
            draft_count_refused(step=step, errors=steps.field_errors(form))
            if draft is not None and step == "requirements":
                # The good files are attached all the same; the refused ones are named on the page.
                self.keep_files(*draft_keep_documents(draft=draft, form=form, file_storage=self.file_storage))
                form.show_attached(draft.files)
            return self.render(form)
        if draft is None:
            if request.POST.get("discard_first"):
                # The page that refused this draft at the owner's cap: "Discard … and save this
                # project instead" (a draft not theirs is left alone, and the cap says so again).
                draft_discard_to_make_room(request=request, draft_id=request.POST["discard_first"])
            try:
                self.storage.start(draft_start(request=request, step=step))
            except RateLimited as limited:
                return self.render_rate_limited(request, kwargs, limited.retry_after)
            except StoreFull:
                return self.render_store_full(request, kwargs)
            self.owner = request_owner(request)
        self.submit_step(step, form, True)
        if step == self.steps.last:
            return self.render_done(form, **kwargs)
        return self.render_next_step(form)

    def page_away(self, draft, step):
        """Where a button of the step form that leaves the wizard goes, if it was that one."""
        if draft is None:
            return None
        if self.request.POST.get("email_link"):
            return f"{reverse('projects:draft_email_link', args=[draft.id])}?{urlencode({'step': step})}"
        if self.request.POST.get("versions") and step in steps.AUTOSAVE_STEPS:
            return reverse("projects:draft_versions", kwargs={"draft_id": draft.id, "step": step})
        return None

    def submit_step(self, step, form, valid):
        self.keep_files(
            *draft_submit_step(
                draft=self.storage.draft, step=step, form=form, valid=valid, file_storage=self.file_storage,
                shown_at=self.request.POST.get("shown_at"),
            )
        )

    def keep_files(self, added, removed):
        """Files stored by this request (deleted again if the draft's write fails), and files
        removed from the draft (deleted once the response is complete)."""
        self._new_tmp_files.extend(added)
        self.storage.discard_files_after_response(removed)
        self.attached_now = [item["name"] for item in self.storage.draft.files if item["tmp_name"] in added]

    # --- formtools hooks ---------------------------------------------------------------------

    def get_step_url(self, step):
        return reverse(self.url_name, kwargs={"draft_id": self.storage.draft.id, "step": step})

    def get_form_kwargs(self, step=None):
        if step == "requirements":
            draft = self.storage.draft
            return {
                "attached": draft.files if draft else [],
                "unreadable_names": getattr(self.request, "unreadable_file_names", 0),
                "owner_quota": owner_quota(draft),
            }
        return {}

    def render_next_step(self, form, **kwargs):
        # Back to the review page when the step was changed from there.
        if self.request.POST.get("return_to_review") and steps.first_incomplete_step(self.storage.draft) == self.steps.last:
            return self.render_goto_step(self.steps.last)
        return super().render_next_step(form, **kwargs)

    def render_done(self, form, **kwargs):
        # Not NamedUrlWizardView's: that one redirects to a GET "done" URL that commits.
        if not self.request.user.is_authenticated:
            messages.info(
                self.request,
                "Sign in or create an account to create the project. Your draft is kept and "
                "will be waiting for you.",
            )
            return redirect(f"{reverse('login')}?{urlencode({'next': self.get_step_url(self.steps.last)})}")
        # Revalidates every stored step (the seed's data integrity check), then done().
        return WizardView.render_done(self, form, **kwargs)

    def render_revalidation_failure(self, failed_step, form, **kwargs):
        draft_reopen_step(draft=self.storage.draft, step=failed_step)
        messages.error(
            self.request, f"“{steps.TITLES[failed_step]}” needs your attention before the project can be created."
        )
        return super().render_revalidation_failure(failed_step, form, **kwargs)

    def done(self, form_list, form_dict=None, **kwargs):
        draft = self.storage.draft
        try:
            project = project_create_from_draft(
                draft=draft,
                user=self.request.user,
                cleaned={step: form.cleaned_data for step, form in form_dict.items()},
                lock=self.storage.commit_lock,
            )
        except DocumentMissing as exc:
            messages.error(self.request, f"“{exc.name}” is no longer available. Please attach it again.")
            return redirect(self.get_step_url("requirements"))
        except DatabaseError:
            self.notice = (
                "We could not create your project just now. Nothing was lost: your "
                "draft and documents are safe. Please try again in a moment."
            )
            return self.render_status(form_dict[self.steps.last], 503)
        self.storage.forget()
        messages.success(self.request, f"Project “{project.project_name}” created.")
        return redirect(project)

    # --- steps ---------------------------------------------------------------------------------

    def resume_step(self):
        current = self.storage.current_step
        if current in self.get_form_list() and steps.may_open(self.storage.draft, current):
            return current
        return steps.first_incomplete_step(self.storage.draft)

    def invalid_step(self, allowed, why=None):
        messages.warning(
            self.request,
            (why + " " if why else "") + f"Please complete “{steps.TITLES[allowed]}” first.",
            extra_tags="INVALID_STEP",
        )
        if self.storage.draft is None:
            return redirect("projects:wizard_new")
        return self.render_goto_step(allowed)

    def form_with_extra_connector(self, step):
        data = self.request.POST.copy()
        key = f"{step}-connectors-TOTAL_FORMS"
        try:
            total = int(data.get(key, "0"))
        except ValueError:
            total = 0
        data[key] = str(min(max(total, 0) + 1, MAX_CONNECTORS))
        form = self.get_form(step, data=data)
        form.suppress_errors = True
        rows = form.connectors.forms
        if len(rows) > max(total, 0):
            # The keyboard's place after the round trip: the new row's first field, not <body>.
            rows[-1].fields["connector_type"].widget.attrs["autofocus"] = True
        return form

    def _remove_new_files(self):
        for name in self._new_tmp_files:
            self.file_storage.delete(name)
        self._new_tmp_files = []
        self.attached_now = []

    # --- rendering ---------------------------------------------------------------------------

    def render_status(self, form, status):
        response = self.render(form)
        response.status_code = status
        return response

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        draft = self.storage.draft
        current = self.storage.current_step or self.steps.first
        hide_errors = getattr(form, "suppress_errors", False)
        context.update(
            {
                "draft": draft,
                "draft_title": steps.draft_title(draft) if draft else "",
                "step_name": current,
                "step_title": steps.TITLES.get(current, ""),
                "step_number": steps.step_number(current),
                "step_count": len(steps.STEP_NAMES),
                "step_list": self.step_list(current),
                "form_action": self.get_step_url(current) if draft else reverse("projects:wizard_new"),
                "error_summary": [] if hide_errors else steps.error_summary(form),
                "hide_errors": hide_errors,
                "notice": self.notice,
                "other_conflicts": self.other_conflicts,
                "owner_drafts": self.owner_drafts,
                "return_to_review": self.request.GET.get("return") == "review"
                or bool(self.request.POST.get("return_to_review")),
                "prev_step": self.get_prev_step(current),
                "now": clock.now(),
                # When this step's page was first shown (kept through refused submits): the
                # analytics' time per step runs from it to the step's submit.
                "shown_at": self.shown_at(),
                "restored_at": self.restored_at,
                "attached_now": self.attached_now,
                "has_versions": bool(draft) and current in steps.AUTOSAVE_STEPS and has_earlier_versions(draft, current),
                "autosave_url": self.autosave_url(current),
                "autosave_delay": settings.AUTOSAVE_DELAY_MS,
                "expiry_warning": settings.DRAFT_EXPIRY_WARNING,
            }
        )
        if current == steps.LAST_STEP and draft is not None:
            context["review_sections"] = review_sections(draft, self.get_step_url)
        if draft is None and self.owner is not None and self.request.method == "GET" and not self.store_down:
            try:
                others = drafts_of_owner(owner=self.owner)
                context["other_drafts"] = others
                context["other_draft_title"] = steps.draft_title(others[0]) if others else ""
            except DraftStoreUnavailable:
                # Only a convenience: step 1 is still shown (its submit says if Redis is down).
                logger.warning("could not list the drafts of %s", self.owner.key)
        return context

    def shown_at(self):
        posted = self.request.POST.get("shown_at") if self.request.method == "POST" else None
        # A POST that renders a page renders its own step again (a refused submit, a conflict).
        if posted and re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,6})?", posted):
            return posted
        return f"{clock.now().timestamp():.3f}"

    def autosave_url(self, step):
        if step not in steps.AUTOSAVE_STEPS or self.store_down:
            return None
        draft = self.storage.draft
        if draft is None:
            return reverse("projects:autosave_new") if step == self.steps.first else None
        return reverse("projects:autosave", kwargs={"draft_id": draft.id, "step": step})

    def step_list(self, current):
        draft = self.storage.draft
        allowed = steps.step_number(steps.first_incomplete_step(draft)) if draft else 1
        return [
            {
                "name": name,
                "title": steps.TITLES[name],
                "number": number,
                "current": name == current,
                "complete": bool(draft and draft.validation.get(name)),
                "url": self.get_step_url(name) if draft and number <= allowed and name != current else None,
            }
            for number, name in enumerate(steps.STEP_NAMES, start=1)
        ]
