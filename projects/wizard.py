"""The four-step project wizard: formtools' NamedUrlSessionWizardView over the Redis draft store.

What this class changes in formtools, and why (see shared/notes/formtools.md):
- State lives in the draft named by the URL's UUID (``DraftStorage``), not in request.session.
  The first valid step-1 POST creates it; a GET never does.
- The URL names the step being shown or submitted. The management form's ``current_step`` and
  ``wizard_goto_step`` are checked, never trusted: a step whose earlier steps are incomplete is
  answered with a redirect to the first incomplete step (the seed's INVALID_STEP).
- Documents: one multiple-file field, kept in the draft's own file list (formtools keeps one
  file per field), stored under a per-draft temporary folder.
- The final POST commits directly (no GET-that-commits ``done`` URL), under a per-draft lock,
  and the Project's unique ``draft_id`` makes the commit happen exactly once.
- A Redis error re-renders the step with what the user typed and a 503, never a 500.
"""

import logging
import uuid
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db import DatabaseError, IntegrityError
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import NamedUrlSessionWizardView, StepsHelper, WizardView

from sessions_store import clock
from sessions_store.drafts import request_metadata
from sessions_store.files import delete_draft_files, draft_file_storage
from sessions_store.limits import TooManyLookups, allow_creation
from sessions_store.owners import request_owner
from sessions_store.storage import DraftStorage
from sessions_store.store import DraftConflict, DraftGone, DraftStoreUnavailable, DraftTooLarge

from . import access, drafting
from .forms import MAX_CONNECTORS, STEPS
from .models import ConnectorType, Project
from .services import DocumentMissing, project_create
from .uploads import display_name, storage_suffix

logger = logging.getLogger("projects")

STEP_TITLES = {name: form.title for name, form in STEPS}


class ProjectWizard(NamedUrlSessionWizardView):
    form_list = STEPS
    storage_name = "sessions_store.storage.DraftStorage"
    template_name = "projects/wizard.html"
    url_name = "projects:wizard_step"
    done_step_name = "done"

    @property
    def file_storage(self):
        return draft_file_storage()

    def get_prefix(self, request, *args, **kwargs):
        return "project_wizard"

    # --- request handling -------------------------------------------------------------------

    def dispatch(self, request, *args, **kwargs):
        self.prefix = self.get_prefix(request, *args, **kwargs)
        self.steps = StepsHelper(self)
        self.owner = request_owner(request)
        self.notice = None
        self.restored_at = None
        self.store_down = False
        self._new_tmp_files = []
        draft_id = kwargs.get("draft_id")
        self.storage = DraftStorage(self.prefix, request, self.file_storage)
        try:
            if draft_id is not None:
                self.storage.open(
                    str(draft_id), for_commit=self.owner if self.is_commit_attempt(request, kwargs) else None
                )
                refusal = self.check_draft_access(str(draft_id))
                if refusal is not None:
                    return refusal
            # Skip WizardView.dispatch: it builds its own storage and writes in update_response.
            response = super(WizardView, self).dispatch(request, *args, **kwargs)
            # The log line names the step this request was about (never raw text from the URL).
            step = kwargs.get("step") or (self.steps.first if draft_id is None else None)
            self.storage.persist(step=step if step in self.get_form_list() else self.storage.current_step)
        except DraftStoreUnavailable:
            self._remove_new_files()
            return self.render_unavailable(request, kwargs)
        except (DraftConflict, DraftGone):
            self._remove_new_files()
            return self.render_conflict(request, kwargs)
        except DraftTooLarge:
            self._remove_new_files()
            return self.render_too_large(request, kwargs)
        finally:
            # Still held, whatever happened: the commit did not complete (a completed one
            # deleted the draft and its lock together).
            self.storage.release_commit_lock()
        self.storage.update_response(response)
        return response

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

    def check_draft_access(self, draft_id):
        refused = access.refusal(
            self.request, self.owner, self.storage.draft, self.storage.tombstone_owner, draft_id
        )
        if refused is None:
            return None
        if refused.kind == access.COMMITTED:
            messages.info(self.request, "This project has already been created.")
            return redirect(refused.project)
        if refused.kind == access.EXPIRED:
            self.storage.store.note_expired(draft_id)
            return TemplateResponse(self.request, "projects/draft_expired.html", status=410)
        if refused.kind == access.LIMITED:
            raise TooManyLookups(refused.retry_after)
        raise Http404("No such draft")

    def get(self, request, *args, **kwargs):
        step = kwargs.get("step")
        if self.storage.draft is None:
            # /projects/new/: step 1, nothing stored yet.
            self.storage.current_step = self.steps.first
            return self.render(self.get_form())
        allowed = self.first_incomplete_step()
        if step is None or step == self.done_step_name:
            return redirect(self.get_step_url(self.resume_step()))
        if step not in self.get_form_list():
            return self.invalid_step(allowed, f"There is no step called “{step[:40]}”.")
        if self.step_index(step) > self.step_index(allowed):
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
        step = kwargs.get("step") or self.steps.first
        form_list = self.get_form_list()
        if step not in form_list:
            return self.invalid_step(self.first_incomplete_step(), f"There is no step called “{step[:40]}”.")
        allowed = self.first_incomplete_step()
        management = ManagementForm(request.POST, prefix=self.prefix)
        claimed = management.cleaned_data["current_step"] if management.is_valid() else step
        if claimed in form_list and self.step_index(claimed) > self.step_index(allowed):
            return self.invalid_step(allowed)
        if self.step_index(step) > self.step_index(allowed):
            return self.invalid_step(allowed)

        posted_version = request.POST.get("draft_version")
        draft = self.storage.draft
        if draft is not None and posted_version not in (None, "") and posted_version != str(draft.revision):
            # Written elsewhere (another tab, window or device) since this page was shown.
            raise DraftConflict("the page was showing an older revision of the draft")

        self.storage.current_step = step
        if step == "sources" and "add_connector" in request.POST:
            return self.render(self.form_with_extra_connector(step))

        form = self.get_form(step, data=request.POST, files=request.FILES)
        valid = form.is_valid()
        goto = request.POST.get("wizard_goto_step")
        if goto:
            # Back, or a step link: keep what was typed here, valid or not.
            if self.storage.draft is not None:
                self.save_step(step, form, valid)
            if self.storage.draft is None:
                return self.render(form)
            if goto not in form_list:
                goto = step
            allowed = self.first_incomplete_step()
            if self.step_index(goto) > self.step_index(allowed):
                return self.invalid_step(allowed)
            self.storage.current_step = goto
            return redirect(self.get_step_url(goto))
        if not valid:
            return self.render(form)

        if self.storage.draft is None:
            verdict = allow_creation(request)
            if not verdict.allowed:
                return self.render_rate_limited(request, kwargs, verdict)
            owner = request_owner(request, create=True)
            self.owner = owner
            self.storage.start(owner=owner, metadata=request_metadata(request))
        self.save_step(step, form, True)

        if step == self.steps.last:
            return self.render_done(form, **kwargs)
        next_step = self.get_next_step(step)
        if request.POST.get("return_to_review") and self.first_incomplete_step() == self.steps.last:
            next_step = self.steps.last
        self.storage.current_step = next_step
        return redirect(self.get_step_url(next_step))

    # --- steps ---------------------------------------------------------------------------------

    def step_index(self, step):
        return list(self.get_form_list()).index(step)

    def first_incomplete_step(self):
        return drafting.first_incomplete_step(self.storage.draft)

    def resume_step(self):
        current = self.storage.current_step
        allowed = self.first_incomplete_step()
        if current in self.get_form_list() and self.step_index(current) <= self.step_index(allowed):
            return current
        return allowed

    def invalid_step(self, allowed, why=None):
        messages.warning(
            self.request,
            (why + " " if why else "")
            + f"Please complete “{STEP_TITLES[allowed]}” first.",
            extra_tags="INVALID_STEP",
        )
        if self.storage.draft is None:
            return redirect("projects:wizard_new")
        self.storage.current_step = allowed
        return redirect(self.get_step_url(allowed))

    def get_step_url(self, step):
        return reverse(self.url_name, kwargs={"draft_id": self.storage.draft.id, "step": step})

    def get_form_kwargs(self, step=None):
        if step == "requirements":
            draft = self.storage.draft
            return {"attached": draft.files if draft else []}
        return {}

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
        return form

    def save_step(self, step, form, valid):
        self.storage.set_step_data(step, drafting.step_values(step, form.data))
        draft = self.storage.draft
        draft.pending.pop(step, None)  # submitted: the autosaved values are these now
        if valid and step == "requirements":
            self.apply_documents(form)
        # An invalid step keeps what was typed, but the steps after it can't be reached until fixed.
        draft.validation[step] = valid

    def apply_documents(self, form):
        draft = self.storage.draft
        removing = set(form.cleaned_data.get("remove") or [])
        removed = [item for item in draft.files if item["id"] in removing]
        kept = [item for item in draft.files if item["id"] not in removing]
        for uploaded, kind in form.cleaned_data["documents"]:
            name = display_name(uploaded.name)
            file_id = uuid.uuid4().hex[:12]
            tmp_name = self.file_storage.save(f"{draft.id}/{file_id}{storage_suffix(name)}", uploaded)
            self._new_tmp_files.append(tmp_name)
            kept.append(
                {
                    "id": file_id,
                    "name": name,
                    "tmp_name": tmp_name,
                    "size": uploaded.size,
                    "content_type": kind.content_type,
                    "uploaded_at": clock.now().isoformat(),
                }
            )
        draft.files = kept
        self.storage.discard_files_after_response([item["tmp_name"] for item in removed])

    def _remove_new_files(self):
        for name in self._new_tmp_files:
            self.file_storage.delete(name)
        self._new_tmp_files = []

    # --- the commit --------------------------------------------------------------------------

    def render_done(self, form, **kwargs):
        """Revalidate every stored step (the seed's data integrity check), then commit."""
        if not self.request.user.is_authenticated:
            messages.info(
                self.request,
                "Sign in or create an account to create the project. Your draft is kept and "
                "will be waiting for you.",
            )
            return redirect(f"{reverse('login')}?{urlencode({'next': self.get_step_url(self.steps.last)})}")
        final_forms = {}
        for step in self.get_form_list():
            if step == self.steps.last:
                final_forms[step] = form
                continue
            stored = self.get_form(step, data=self.storage.get_step_data(step), files=None)
            if not stored.is_valid():
                return self.render_revalidation_failure(step, stored, **kwargs)
            final_forms[step] = stored
        return self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)

    def render_revalidation_failure(self, failed_step, form, **kwargs):
        self.storage.draft.validation[failed_step] = False
        messages.error(
            self.request,
            f"“{STEP_TITLES[failed_step]}” needs your attention before the project can be created.",
        )
        self.storage.current_step = failed_step
        return redirect(self.get_step_url(failed_step))

    def done(self, form_list, form_dict=None, **kwargs):
        draft = self.storage.draft
        store = self.storage.store
        with store.commit_lock(draft.id, held=self.storage.commit_token is not None):
            project = Project.objects.filter(draft_id=draft.id).first()
            if project is None:
                details = form_dict["details"].cleaned_data
                try:
                    project = project_create(
                        draft=draft,
                        owner=self.request.user,
                        details=details,
                        requirements=form_dict["requirements"].cleaned_data,
                        sources=form_dict["sources"].cleaned_data,
                        temp_storage=self.file_storage,
                    )
                except IntegrityError:
                    project = Project.objects.filter(draft_id=draft.id).first()
                    if project is None:
                        raise
                except DocumentMissing as exc:
                    draft.files = [item for item in draft.files if item["name"] != exc.name]
                    draft.validation["requirements"] = False
                    messages.error(
                        self.request,
                        f"“{exc.name}” is no longer available. Please attach it again.",
                    )
                    return redirect(self.get_step_url("requirements"))
                except DatabaseError:
                    logger.exception("commit of draft %s failed", draft.id)
                    form_dict[self.steps.last].commit_failed = True
                    self.notice = (
                        "We could not create your project just now. Nothing was lost: your "
                        "draft and documents are safe. Please try again in a moment."
                    )
                    return self.render(form_dict[self.steps.last], status=503)
        # Committed. The draft goes; if Redis fails here the project still stands, and a late
        # request for this draft id is sent to it.
        delete_draft_files(draft.id)  # the project has its own copies now
        try:
            store.delete(draft, action="delete")
            self.storage.commit_token = None  # deleting the draft released its commit lock
        except DraftStoreUnavailable:
            # The project stands; submitting the stale draft again finds it and redirects there
            # (the draft then expires with its TTL).
            logger.exception("draft %s committed but not deleted", draft.id)
        self.storage.forget()
        messages.success(self.request, f"Project “{project.project_name}” created.")
        return redirect(project)

    # --- rendering ---------------------------------------------------------------------------

    def render(self, form=None, status=200, **kwargs):
        form = form or self.get_form()
        context = self.get_context_data(form=form, **kwargs)
        return self.render_to_response(context, status=status)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        draft = self.storage.draft
        current = self.storage.current_step or self.steps.first
        context.update(
            {
                "draft": draft,
                "step_name": current,
                "step_title": STEP_TITLES.get(current, ""),
                "step_number": self.step_index(current) + 1,
                "step_count": len(self.get_form_list()),
                "step_list": self.step_list(current),
                "form_action": self.get_step_url(current) if draft else reverse("projects:wizard_new"),
                "error_summary": [] if getattr(form, "suppress_errors", False) else error_summary(form),
                "hide_errors": getattr(form, "suppress_errors", False),
                "notice": self.notice,
                "return_to_review": self.request.GET.get("return") == "review"
                or bool(self.request.POST.get("return_to_review")),
                "prev_step": self.get_prev_step(current),
                "now": clock.now(),
                "restored_at": self.restored_at,
                "autosave_url": self.autosave_url(current),
                "autosave_delay": settings.AUTOSAVE_DELAY_MS,
            }
        )
        if current == "review" and draft is not None:
            context["review_sections"] = self.review_sections()
        if draft is None and self.owner is not None and self.request.method == "GET" and not self.store_down:
            try:
                context["other_drafts"] = self.storage.store.list_owned(self.owner)
            except DraftStoreUnavailable:
                # Only a convenience: step 1 is still shown (its submit says if Redis is down).
                logger.warning("could not list the drafts of %s", self.owner.key)
        return context

    def autosave_url(self, step):
        if step not in drafting.AUTOSAVE_STEPS or self.store_down:
            return None
        draft = self.storage.draft
        if draft is None:
            return reverse("projects:autosave_new") if step == self.steps.first else None
        return reverse("projects:autosave", kwargs={"draft_id": draft.id, "step": step})

    def step_list(self, current):
        allowed = self.step_index(self.first_incomplete_step()) if self.storage.draft else 0
        items = []
        for index, (name, title) in enumerate(STEP_TITLES.items()):
            complete = bool(self.storage.draft and self.storage.draft.validation.get(name))
            items.append(
                {
                    "name": name,
                    "title": title,
                    "number": index + 1,
                    "current": name == current,
                    "complete": complete,
                    "url": self.get_step_url(name) if self.storage.draft and index <= allowed and name != current else None,
                }
            )
        return items

    def review_sections(self):
        sections = []
        for step, form_class in STEPS[:-1]:
            form = self.get_form(step, data=self.storage.get_step_data(step), files=None)
            rows = []
            if form.is_valid():
                rows = review_rows(step, form, self.storage.draft)
            sections.append(
                {
                    "step": step,
                    "title": STEP_TITLES[step],
                    "rows": rows,
                    "valid": form.is_valid(),
                    # Typed (autosaved) there but not submitted: not part of what is created.
                    "unsubmitted": step in self.storage.draft.pending,
                    "change_url": f"{self.get_step_url(step)}?return=review",
                }
            )
        return sections

    def render_unavailable(self, request, kwargs):
        """Redis is down: say so and keep what was typed (503, never a 500)."""
        logger.error("draft store unavailable on %s %s", request.method, request.path)
        self.store_down = True
        # What was in memory may be half-applied (new files already removed): show only the input.
        self.storage.forget()
        notice = (
            "We can't save drafts right now because our draft storage is not responding. "
            "Nothing you typed below has been lost: please try again in a minute."
        )
        response = self.render_with_input(request, kwargs, notice, status=503)
        response["Retry-After"] = "30"
        return response

    def render_too_large(self, request, kwargs):
        notice = (
            f"Your answers are too long to keep in a draft (over {settings.SESSION_MAX_BYTES // 1024} KB "
            "in all), so this step was not saved. Shorten the longest answers below and try again."
        )
        return self.render_with_input(request, kwargs, notice, status=413)

    def render_rate_limited(self, request, kwargs, verdict):
        notice = (
            "Too many new drafts were started from your network in the last minute, so this one "
            f"was not saved. Nothing you typed below has been lost: please try again in {verdict.retry_after} seconds."
        )
        response = self.render_with_input(request, kwargs, notice, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response

    def render_conflict(self, request, kwargs):
        """Another request wrote the draft first: show the fresh draft with this input, unsaved."""
        self.storage.forget()
        try:
            self.storage.open(str(kwargs["draft_id"]))
        except DraftStoreUnavailable:
            return self.render_unavailable(request, kwargs)
        if self.storage.draft is None:
            # Committed, discarded or expired meanwhile: the project, a 410, or a 404.
            return self.check_draft_access(str(kwargs["draft_id"]))
        notice = (
            "This draft was changed in another tab or window at the same time, so what you "
            "submitted here was not saved. Your entries are below: check them and submit again."
        )
        return self.render_with_input(request, kwargs, notice, status=409)

    def render_with_input(self, request, kwargs, notice, status):
        step = kwargs.get("step") or self.steps.first
        if step not in self.get_form_list():
            step = self.steps.first
        self.storage.current_step = step
        self.notice = notice + (" Files you selected will need to be chosen again." if request.FILES else "")
        form = self.get_form(step, data=request.POST if request.method == "POST" else None)
        form.suppress_errors = True
        context = self.get_context_data(form=form)
        if kwargs.get("draft_id"):
            context["form_action"] = reverse(
                self.url_name, kwargs={"draft_id": kwargs["draft_id"], "step": step}
            )
        return self.render_to_response(context, status=status)


def error_summary(form):
    """(anchor id, message) for every error on the step, for the summary at the top."""
    if not form.is_bound:
        return []
    items = []
    # In the order of the fields on the page, form-wide errors first.
    order = {name: index for index, name in enumerate(form.fields)}
    for name, errors in sorted(form.errors.items(), key=lambda item: order.get(item[0], -1)):
        if name in form.fields:
            # Radio buttons have no single label target: link to the group (its auto_id).
            anchor, label = form[name].id_for_label or form[name].auto_id, form[name].label
            items.extend((anchor, f"{label}: {message}") for message in errors)
        else:
            items.extend((getattr(form, "non_field_anchor", "step-form"), message) for message in errors)
    connectors = getattr(form, "connectors", None)
    if connectors is not None and connectors.is_bound:
        for message in connectors.non_form_errors():
            items.append((form.add_prefix("connectors") + "-list", message))
        for number, row in enumerate(connectors.forms, start=1):
            for name, errors in row.errors.items():
                anchor = row[name].id_for_label if name in row.fields else "step-form"
                for message in errors:
                    items.append((anchor, f"Connector {number}: {message}"))
    return items


def review_rows(step, form, draft):
    data = form.cleaned_data
    if step == "requirements":
        rows = [("Documents", [f"{item['name']} ({filesizeformat(item['size'])})" for item in draft.files])]
        rows.append(("Notes", data.get("requirements_notes") or "—"))
        return rows
    if step == "sources":
        connectors = data.get("connectors") or []
        return [
            ("AI sourcing", "Enabled" if data.get("ai_sourcing_enabled") else "Not enabled"),
            (
                "Connectors",
                [f"{ConnectorType(c['connector_type']).label}: {c['target']}" for c in connectors]
                or "None",
            ),
        ]
    rows = []
    for name, field in form.fields.items():
        rows.append((field.label or name.replace("_", " ").capitalize(), display_value(field, data.get(name))))
    return rows


def display_value(field, value):
    if value in (None, ""):
        return "—"
    if hasattr(field, "choices"):
        return dict(field.choices).get(value, value)
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,.2f}"
    if isinstance(value, date):
        return date_format(value, "j F Y")
    return value
