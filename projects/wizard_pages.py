"""The wizard's pages for what went wrong, each showing the person's input again: answers
changed both here and elsewhere (409, with both values), the draft store unavailable (503), a
step too large (413), too many new drafts (429), a draft written meanwhile (409) or expired
meanwhile (410, with a new draft from what is on the page). A mixin of ProjectWizard."""

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse

from sessions_store.log import log_action
from sessions_store.owners import request_owner
from sessions_store.store import DraftStoreUnavailable

from . import access, steps
from .selectors import drafts_of_owner
from .services import draft_merge_step

logger = logging.getLogger("projects")


def unfinished_drafts(count):
    return f"{count} unfinished draft{pluralize(count)}"


class WizardRecoveryPages:
    def merged_with_the_latest(self, draft, step, posted):
        """The POST with the step's answers merged over what was saved since the page was shown
        (services.draft_merge_step): the same POST when nothing was."""
        values = steps.step_values(step, posted)
        merged = draft_merge_step(draft=draft, step=step, values=values, revision=posted.get("draft_version"))
        return posted if merged is values else self.with_values(posted, step, values, merged)

    @staticmethod
    def with_values(posted, step, old, new):
        data = posted.copy()
        for key in old:
            data.pop(key, None)
        for key, items in new.items():
            data.setlist(key, items)
        return data

    def render_conflicts(self, step, conflicts):
        """Answers changed both here and elsewhere: the step as merged (answers changed only
        elsewhere come in), this page's own answers where they conflict, and beside each the other
        one with a button to take it (409; nothing saved). The page now holds the latest
        revision, so saving it as shown keeps every answer of both sides, as the person chose."""
        values = steps.step_values(step, self.request.POST)
        data = self.with_values(self.request.POST, step, values, conflicts.shown(values))
        form = self.get_form(step, data=data, files=None)
        form.suppress_errors = True
        elsewhere = []  # conflicts on inputs that have no field of their own (connector rows)
        for key, (_, theirs) in conflicts.conflicts.items():
            name = key[len(step) + 1:]
            shown = ", ".join(theirs or []) or "(empty)"
            if name in form.fields:
                form[name].conflict = shown
            else:
                elsewhere.append({"key": key, "label": steps.input_label(step, key), "theirs": shown})
        self.notice = (
            "Some answers on this page were changed in another tab or window since you opened it. "
            "Both versions are shown below: keep yours, or use the other one, then save again."
            + (" Files you selected will need to be chosen again." if self.request.FILES else "")
        )
        self.other_conflicts = elsewhere
        return self.render_status(form, 409)

    def form_with_theirs(self, step, key):
        """"Use this instead": the answer as saved elsewhere, shown in the form (not saved yet)."""
        data = self.request.POST.copy()
        if steps.is_value_key(step, key):
            data.setlist(key, self.storage.draft.shown_data(step).get(key, []))
        form = self.get_form(step, data=data)
        form.suppress_errors = True
        return form

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
        return self.render_with_input(request, kwargs, notice, status=503, retry_after=30)

    def render_database_down(self, request, kwargs):
        """The database can't be reached (loading the signed-in user, or the commit): a 503 with
        what was typed; the draft in Redis is untouched, so a retry works once it is back."""
        logger.error("database unavailable on %s %s", request.method, request.path)
        self._remove_new_files()
        self.storage.forget()
        request.user = AnonymousUser()  # the page's header must not ask the database again
        if kwargs.get("step") == steps.LAST_STEP:
            notice = (
                "We could not create your project just now because our database is not responding. "
                "Nothing was lost: your draft and documents are safe. Please try again in a minute."
            )
        else:
            notice = (
                "We can't save this step right now because our database is not responding. "
                "Nothing you typed below has been lost, and your draft is safe: please try again in a minute."
            )
        return self.render_with_input(request, kwargs, notice, status=503, retry_after=30)

    def render_too_large(self, request, kwargs):
        notice = (
            f"Your answers are too long to keep in a draft (over {settings.SESSION_MAX_BYTES // 1024} KB "
            "in all), so this step was not saved. Shorten the longest answers below and try again."
        )
        return self.render_with_input(request, kwargs, notice, status=413)

    def render_rate_limited(self, request, kwargs, retry_after):
        notice = (
            "Too many new drafts were started from your network in the last minute, so this one "
            f"was not saved. Nothing you typed below has been lost: please try again in {retry_after} seconds."
        )
        return self.render_with_input(request, kwargs, notice, status=429, retry_after=retry_after)

    def render_store_full(self, request, kwargs):
        """The draft store is nearly full: no new drafts for now (503), the input kept."""
        notice = (
            "We can't start new drafts right now because our draft storage is nearly full. "
            "Drafts already started keep saving. Nothing you typed below has been lost: please try again later."
        )
        return self.render_with_input(request, kwargs, notice, status=503, retry_after=300)

    def render_owner_at_cap(self, request, kwargs):
        """A new draft past the owner's cap (409): the input again, with their drafts listed to
        resume or discard."""
        self.storage.forget()
        self.owner = request_owner(request)
        self.owner_drafts = [{"id": draft.id, "title": steps.draft_title(draft)} for draft in drafts_of_owner(owner=self.owner)]
        notice = (
            f"You already have {unfinished_drafts(len(self.owner_drafts))}, the most you can keep at "
            "once, so this one was not saved. Resume one of them below, or discard one you no longer "
            "need and this project is saved in its place. Nothing you typed below has been lost."
        )
        return self.render_with_input(request, kwargs, notice, status=409)

    def render_conflict(self, request, kwargs):
        """Another request wrote the draft first: show the fresh draft with this input, unsaved."""
        self.storage.forget()
        try:
            self.storage.open(str(kwargs["draft_id"]))
        except DraftStoreUnavailable:
            return self.render_unavailable(request, kwargs)
        # Committed, discarded or expired meanwhile: the project, a 410, or a 404.
        access.check(request, self.owner, self.storage.draft, self.storage.tombstone_owner, str(kwargs["draft_id"]))
        notice = (
            "This draft was changed in another tab or window at the same time, so what you "
            "submitted here was not saved. Your entries are below: check them and submit again."
        )
        return self.render_with_input(request, kwargs, notice, status=409)

    def render_expired_with_input(self, request, kwargs, refused):
        """A submit into a draft that expired meanwhile: a 410 that offers to start a new draft
        with what was on the page (nothing is saved until the person asks)."""
        log_action("expire", refused.draft_id)
        step = kwargs.get("step") if kwargs.get("step") in steps.AUTOSAVE_STEPS else None
        values = steps.step_values(step, request.POST) if step else {}
        carry_over = [(key, value) for key, items in values.items() for value in items] if steps.has_content(step, values) else []
        context = {"carry_over": carry_over, "carry_step": step, "files_dropped": bool(request.FILES)}
        return TemplateResponse(request, "projects/draft_expired.html", context, status=410)

    def render_with_input(self, request, kwargs, notice, status, retry_after=None):
        """The step again with what was typed, the ``notice`` above it, answered ``status``
        (with ``Retry-After`` when given)."""
        step = kwargs.get("step") or self.steps.first
        if step not in self.get_form_list():
            step = self.steps.first
        self.storage.current_step = step
        self.notice = notice + (" Files you selected will need to be chosen again." if request.FILES else "")
        form = self.get_form(step, data=request.POST if request.method == "POST" else None)
        form.suppress_errors = True
        context = self.get_context_data(form=form)
        if kwargs.get("draft_id"):
            context["form_action"] = reverse(self.url_name, kwargs={"draft_id": kwargs["draft_id"], "step": step})
        response = self.render_to_response(context, status=status)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response
