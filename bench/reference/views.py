"""Reference wizards: stock formtools NamedUrlSessionWizardView over the app's forms and template.

Same work per step as the app as far as stock formtools allows: the same four forms
(projects.forms.STEPS) validated, the same template (projects/wizard.html) rendered with the
context it needs, the upload saved to disk in step 2 (formtools' file_storage, in the same upload
area), every step revalidated on the final POST and the Project written by the app's own
projects.services.project_create. Two deliberate deviations from stock formtools, both in favour of
the references: the final POST commits directly (stock NamedUrl views redirect to a GET /done/
that commits, one more request per wizard), and nothing here takes a commit lock or checks
for an earlier commit (the app does both).

Storage (chosen by settings.BENCH_REF):
  a, b  formtools' SessionStorage (request.session: database or cache sessions, see settings)
  s     the same as b, with a bare page (BareStockWizard: ``{{ wizard.form.as_div }}`` and a
        button), login required: the stock wizard bench/stock_compare.py measures the app against
  c     NoopStorage: keeps nothing between requests. A later step replays what the benchmark
        posted (bench.wizard_payload), as a perfect zero-cost store would return it; the upload
        is found again on disk under a per-user folder. The ceiling.
  f     FloorStorage: (c) plus the least that any store keeping drafts in Redis for a signed-in
        user must do on each request: the user loaded and checked (as the app does on every
        request, issue 12's revocation included) and one Redis round trip (a page reads the
        state, a step's POST writes its step blind, the final POST reads it and deletes it). No
        ownership or revision check, indexes, history, expiry, counters or log lines. The floor
        under goal 2: what storing costs before a store does anything of its own.
"""

import json
import os
import uuid
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from formtools.wizard.storage.base import BaseStorage
from formtools.wizard.views import NamedUrlSessionWizardView, WizardView

from bench.wizard_payload import DOCUMENT_FIELD, STEP_NAMES, canned_step_data
from projects.forms import STEPS
from projects.services import project_create
from projects.uploads import display_name
from sessions_store import clock
from sessions_store.connection import redis  # the app's own pool (django-redis, the drafts alias)
from sessions_store.files import draft_file_storage

# The app's own helpers, so the page costs what the app's page costs.
from projects.review import review_rows  # noqa: E402
from projects.steps import TITLES as STEP_TITLES, error_summary  # noqa: E402


class NoopStorage(BaseStorage):
    """A formtools storage that persists nothing: the reference (c) ceiling."""

    def __init__(self, prefix, request=None, file_storage=None):
        super().__init__(prefix, request, file_storage)
        self.init_data()
        match = getattr(request, "resolver_match", None)
        step = match.kwargs.get("step") if match else None
        self.data[self.step_key] = step if step in STEP_NAMES else None

    def _before_current(self, step):
        current = self.data[self.step_key] or STEP_NAMES[0]
        return step in STEP_NAMES and STEP_NAMES.index(step) < STEP_NAMES.index(current)

    def _folder(self):
        return f"noop-{self.request.user.pk}"

    def get_step_data(self, step):
        if step not in self.data[self.step_data_key] and self._before_current(step):
            self.data[self.step_data_key][step] = canned_step_data(step)
        return super().get_step_data(step)

    def set_step_files(self, step, files):
        for field, uploaded in (files or {}).items():
            tmp_name = self.file_storage.save(f"{self._folder()}/{uploaded.name}", uploaded)
            self.data[self.step_files_key].setdefault(step, {})[field] = {
                "tmp_name": tmp_name,
                "name": uploaded.name,
                "content_type": uploaded.content_type,
                "size": uploaded.size,
                "charset": uploaded.charset,
            }

    def get_step_files(self, step):
        if step == "requirements" and step not in self.data[self.step_files_key] and self._before_current(step):
            folder = os.path.join(self.file_storage.location, self._folder())
            try:
                names = sorted(os.listdir(folder))
            except FileNotFoundError:
                names = []
            if names:
                name = names[-1]
                self.data[self.step_files_key][step] = {
                    DOCUMENT_FIELD: {
                        "tmp_name": f"{self._folder()}/{name}",
                        "name": name,
                        "content_type": "application/pdf",
                        "size": os.path.getsize(os.path.join(folder, name)),
                        "charset": None,
                    }
                }
        return super().get_step_files(step)


class FloorStorage(NoopStorage):
    """(f): the least a Redis draft store can do, one round trip a request. A hash per signed-in
    user, a field per step: a page reads it whole (HGETALL), a step's POST writes its own fields
    blind (HSET and EXPIRE in one pipeline, nothing read first), the final POST reads it whole
    and deletes it. No ownership or revision check, which every real store needs: a lower bound."""

    KINDS = {"d": BaseStorage.step_data_key, "f": BaseStorage.step_files_key}

    def __init__(self, prefix, request=None, file_storage=None):
        super().__init__(prefix, request, file_storage)  # (c)'s: the step from the URL
        self.key = f"bench:floor:{request.user.pk}"  # loads the user, as the app does on every request
        self.was_reset = False
        if request.method == "GET" or self.data[self.step_key] == STEP_NAMES[-1]:
            for field, value in redis().hgetall(self.key).items():
                kind, step = field.decode().split(":")
                self.data[self.KINDS[kind]][step] = json.loads(value)

    get_step_data = BaseStorage.get_step_data
    get_step_files = BaseStorage.get_step_files

    def reset(self):
        self.was_reset = True
        super().reset()

    def update_response(self, response):
        super().update_response(response)
        if self.request.method != "POST":
            return
        if self.was_reset:
            redis().delete(self.key)
            return
        step = self.request.resolver_match.kwargs.get("step")
        fields = {f"{kind}:{step}": json.dumps(self.data[name][step]) for kind, name in self.KINDS.items() if step in self.data[name]}
        if not fields:  # a refused submit: nothing of the step kept
            return
        with redis().pipeline(transaction=False) as pipe:
            pipe.hset(self.key, mapping=fields).expire(self.key, settings.SESSION_TTL).execute()


class ReferenceWizard(NamedUrlSessionWizardView):
    form_list = STEPS
    template_name = "projects/wizard.html"
    url_name = "ref_step"
    done_step_name = "done"

    @property
    def file_storage(self):
        return draft_file_storage()

    def get_prefix(self, request, *args, **kwargs):
        return "project_wizard"  # the app's prefix: same management field name

    def get_step_url(self, step):
        return reverse(self.url_name, kwargs={"step": step})

    def render_done(self, form, **kwargs):
        # Commit on the final POST, like the app (stock: redirect to a GET /done/ that commits).
        return WizardView.render_done(self, form, **kwargs)

    def stored_files(self):
        return list((self.storage.data[self.storage.step_files_key].get("requirements") or {}).values())

    def done(self, form_list, form_dict=None, **kwargs):
        documents = form_dict["requirements"].cleaned_data["documents"]
        files = [
            {
                "id": uuid.uuid4().hex[:12],
                "name": display_name(info["name"]),
                "tmp_name": info["tmp_name"],
                "size": info["size"],
                "content_type": kind.content_type,
                "uploaded_at": clock.now().isoformat(),
            }
            for (uploaded, kind, _problem), info in zip(documents, self.stored_files())
        ]
        draft = SimpleNamespace(id=str(uuid.uuid4()), files=files)
        project = project_create(
            draft=draft,
            owner=self.request.user,
            details=form_dict["details"].cleaned_data,
            requirements=form_dict["requirements"].cleaned_data,
            sources=form_dict["sources"].cleaned_data,
            temp_storage=self.file_storage,
        )
        messages.success(self.request, f"Project “{project.project_name}” created.")
        return redirect(project)

    # --- the context projects/wizard.html needs (what ProjectWizard.get_context_data provides) ---

    def pseudo_draft(self):
        details = self.storage.get_step_data("details")
        if details is None:
            return None
        files = [
            {"id": info["tmp_name"].rsplit("/", 1)[-1][:12], "name": info["name"], "size": info["size"]}
            for info in self.stored_files()
        ]
        return SimpleNamespace(
            id=uuid.UUID(int=self.request.user.pk or 0),
            project_name=(details.get("details-project_name") or "").strip(),
            expires_at=clock.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE),
            files=files,
            revision=0,
        )

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        names = list(self.get_form_list())
        current = self.steps.current
        index = names.index(current)
        if current in ("sources", "review"):
            self.storage.get_step_files("requirements")  # (c): find the upload again
        draft = self.pseudo_draft()
        context.update(
            {
                "draft": draft,
                "step_name": current,
                "step_title": STEP_TITLES.get(current, ""),
                "step_number": index + 1,
                "step_count": len(names),
                "step_list": [
                    {
                        "name": name,
                        "title": STEP_TITLES[name],
                        "number": number + 1,
                        "current": name == current,
                        "complete": number < index,
                        "url": self.get_step_url(name) if number < index else None,
                    }
                    for number, name in enumerate(names)
                ],
                "form_action": self.request.path,
                "error_summary": error_summary(form),
                "hide_errors": False,
                "notice": None,
                "return_to_review": False,
                "prev_step": self.steps.prev,
                "now": clock.now(),
            }
        )
        if current == "review":
            context["review_sections"] = self.review_sections(draft)
        return context

    def review_sections(self, draft):
        sections = []
        for step, _ in STEPS[:-1]:
            form = self.get_form(step, data=self.storage.get_step_data(step), files=self.storage.get_step_files(step))
            valid = form.is_valid()
            sections.append(
                {
                    "step": step,
                    "title": STEP_TITLES[step],
                    "rows": review_rows(step, form, draft) if valid else [],
                    "valid": valid,
                    "change_url": f"{self.get_step_url(step)}?return=review",
                }
            )
        return sections


class BareStockWizard(ReferenceWizard):
    """A stock wizard as its docs show it: the bare template, formtools' own context. Same forms,
    upload handling and commit as ReferenceWizard (the commit on the final POST, in its favour)."""

    template_name = "bench/stock_wizard.html"

    def get_context_data(self, form, **kwargs):
        return NamedUrlSessionWizardView.get_context_data(self, form, **kwargs)


_STORAGE = {
    "a": "formtools.wizard.storage.session.SessionStorage",
    "b": "formtools.wizard.storage.session.SessionStorage",
    "s": "formtools.wizard.storage.session.SessionStorage",
    "c": "bench.reference.views.NoopStorage",
    "f": "bench.reference.views.FloorStorage",
}

_VIEW = BareStockWizard if settings.BENCH_REF == "s" else ReferenceWizard
reference_wizard = _VIEW.as_view(url_name="ref_step", done_step_name="done", storage_name=_STORAGE[settings.BENCH_REF])
if settings.BENCH_REF == "s":
    reference_wizard = login_required(reference_wizard)
