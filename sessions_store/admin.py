"""Drafts in Django admin: a list read page by page from the Redis indexes, a read-only detail page,
and three actions (delete, extend expiry, export as JSON), each behind its own permission.
"""

import json
import math
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.timesince import timeuntil

from . import clock
from .files import delete_draft_files, draft_file_response
from .models import DraftRecord
from .store import DraftConflict, DraftGone, get_draft_store

PER_PAGE = 50
SORTS = {
    "-last_activity": "Last activity (newest first)",
    "last_activity": "Last activity (oldest first)",
    "-created": "Created (newest first)",
    "created": "Created (oldest first)",
}
KINDS = {"user": "Signed-in user", "anonymous": "Anonymous"}


def wizard_steps():
    # The wizard's steps, for labels; imported late so the store does not depend on the wizard.
    from projects.forms import STEPS

    return STEPS


def usernames(drafts):
    """Usernames of the drafts' owners, in one query for the whole page."""
    from django.contrib.auth import get_user_model

    ids = {int(d.owner[2:]) for d in drafts if d.owner.startswith("u:")}
    if not ids:
        return {}
    User = get_user_model()
    return {user.pk: user.get_username() for user in User.objects.filter(pk__in=ids).only(User.USERNAME_FIELD)}


def owner_label(draft, names):
    if draft.owner.startswith("u:"):
        user_id = int(draft.owner[2:])
        return names.get(user_id, f"user #{user_id} (deleted)")
    return f"anonymous ({draft.metadata.get('ip_address') or 'no IP'})"


def progress(draft):
    names = [name for name, _ in wizard_steps()]
    number = names.index(draft.current_step) + 1 if draft.current_step in names else 1
    done = sum(1 for name in names if draft.validation.get(name))
    return number, len(names), round(100 * done / len(names))


@admin.register(DraftRecord)
class DraftAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # nobody edits a user's answers

    def has_change_expiry_permission(self, request):
        return request.user.has_perm("sessions_store.change_expiry")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="%s_%s_changelist" % info),
            path("<uuid:draft_id>/", wrap(self.detail_view), name="%s_%s_change" % info),
            path("<uuid:draft_id>/files/<str:file_id>/", wrap(self.file_view), name="%s_%s_file" % info),
        ]

    # --- list ----------------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self.run_action(request)
        params = self.list_params(request)
        store = get_draft_store()
        total, drafts = store.page(
            sort=params["o"], step=params["step"], kind=params["kind"], query=params["q"],
            number=params["p"], per_page=PER_PAGE,
        )
        pages = max(1, math.ceil(total / PER_PAGE))
        now = clock.now()
        names = usernames(drafts)
        rows = []
        for draft in drafts:
            number, count, percent = progress(draft)
            rows.append(
                {
                    "draft": draft,
                    "name": draft.project_name or "(untitled)",
                    "owner": owner_label(draft, names),
                    "progress": f"Step {number} of {count}",
                    "percent": percent,
                    "completed": ", ".join(
                        title for name, form in wizard_steps() if draft.validation.get(name) for title in [form.title]
                    ) or "—",
                    "expires_in": timeuntil(draft.expires_at, now),
                    "url": reverse("admin:sessions_store_draftrecord_change", args=[draft.id]),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Drafts",
            "subtitle": None,
            "rows": rows,
            "total": total,
            "params": params,
            "page_number": params["p"],
            "pages": pages,
            "page_links": self.page_links(params, pages),
            "sort_links": [(key, label, self.query(params, o=key, p=1)) for key, label in SORTS.items()],
            "step_links": [(None, "All", self.query(params, step="", p=1))]
            + [(name, form.title, self.query(params, step=name, p=1)) for name, form in wizard_steps()],
            "kind_links": [(None, "All", self.query(params, kind="", p=1))]
            + [(key, label, self.query(params, kind=key, p=1)) for key, label in KINDS.items()],
            "can_delete": self.has_delete_permission(request),
            "can_extend": self.has_change_expiry_permission(request),
            "ttl_label": timeuntil(now + timedelta(seconds=settings.SESSION_TTL), now),
        }
        return TemplateResponse(request, "admin/sessions_store/draft/change_list.html", context)

    @staticmethod
    def list_params(request):
        steps = {name for name, _ in wizard_steps()}
        try:
            number = max(1, int(request.GET.get("p", "1")))
        except ValueError:
            number = 1
        sort = request.GET.get("o", "-last_activity")
        step = request.GET.get("step") or None
        kind = request.GET.get("kind") or None
        return {
            "o": sort if sort in SORTS else "-last_activity",
            "step": step if step in steps else None,
            "kind": kind if kind in KINDS else None,
            "q": (request.GET.get("q") or "").strip()[:200],
            "p": number,
        }

    @staticmethod
    def query(params, **changes):
        merged = {**params, **changes}
        return "?" + urlencode({key: value for key, value in merged.items() if value not in (None, "")})

    def page_links(self, params, pages):
        numbers = sorted({1, pages, *range(max(1, params["p"] - 2), min(pages, params["p"] + 2) + 1)})
        return [(number, self.query(params, p=number)) for number in numbers]

    # --- actions -------------------------------------------------------------------------------

    def run_action(self, request):
        action = request.POST.get("action")
        ids = request.POST.getlist("_selected_action")
        back = request.POST.get("back") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            back = reverse("admin:sessions_store_draftrecord_changelist")
        if not ids:
            self.message_user(request, "Select one or more drafts first.", messages.WARNING)
            return HttpResponseRedirect(back)
        store = get_draft_store()
        drafts = store.get_many(ids[:500])
        if action == "export":
            payload = [draft.to_dict() for draft in drafts]
            response = HttpResponse(
                json.dumps(payload, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
            )
            response["Content-Disposition"] = f'attachment; filename="drafts-{clock.now():%Y%m%d-%H%M%S}.json"'
            return response
        if action == "delete":
            if not self.has_delete_permission(request):
                raise PermissionDenied
            if request.POST.get("confirm") != "yes":
                return TemplateResponse(
                    request,
                    "admin/sessions_store/draft/delete_confirmation.html",
                    {
                        **self.admin_site.each_context(request),
                        "opts": self.opts,
                        "title": "Are you sure?",
                        "drafts": drafts,
                        "back": back,
                    },
                )
            for draft in drafts:
                store.delete(draft, action="delete")
                delete_draft_files(draft.id)
            self.message_user(request, f"Deleted {len(drafts)} draft(s) and their uploaded files.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:sessions_store_draftrecord_changelist"))
        if action == "extend":
            if not self.has_change_expiry_permission(request):
                raise PermissionDenied
            extended = 0
            for draft in drafts:
                try:
                    store.extend(draft, settings.SESSION_TTL)
                    extended += 1
                except (DraftConflict, DraftGone):
                    pass  # changed or expired meanwhile: reported as skipped
            moment = clock.now()
            skipped = len(ids) - extended
            self.message_user(
                request,
                f"Extended {extended} draft(s): each now expires "
                f"{timeuntil(moment + timedelta(seconds=settings.SESSION_TTL), moment)} from now."
                + (f" {skipped} skipped (changed, expired or gone meanwhile)." if skipped else ""),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(back)
        self.message_user(request, "Choose an action.", messages.WARNING)
        return HttpResponseRedirect(back)

    # --- detail --------------------------------------------------------------------------------

    def detail_view(self, request, draft_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        draft, _ = get_draft_store().load(str(draft_id), slide=False)
        if draft is None:
            self.message_user(request, "That draft no longer exists (it expired, was committed or deleted).", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:sessions_store_draftrecord_changelist"))
        sections = []
        for step, form_class in wizard_steps()[:-1]:  # the review step holds no answers
            values = draft.step_values(step)
            rows = []
            for name, field in form_class.base_fields.items():
                if name in ("documents", "remove"):
                    continue
                rows.append((field.label or name.replace("_", " ").capitalize(), ", ".join(values.get(name) or []) or "—"))
            if step == "sources":
                rows.extend(connector_rows(values))
            sections.append(
                {
                    "step": step,
                    "title": form_class.title,
                    "rows": rows,
                    "complete": bool(draft.validation.get(step)),
                    "entered": bool(values),
                    "files": draft.files if step == "requirements" else [],
                }
            )
        number, count, percent = progress(draft)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Draft: {draft.project_name or '(untitled)'}",
            "draft": draft,
            "owner": owner_label(draft, usernames([draft])),
            "progress": f"Step {number} of {count} ({percent}% complete)",
            "sections": sections,
            "expires_in": timeuntil(draft.expires_at, clock.now()),
            "record": json.dumps(draft.to_dict(), cls=DjangoJSONEncoder, indent=2),
            "can_delete": self.has_delete_permission(request),
            "can_extend": self.has_change_expiry_permission(request),
            "back": reverse("admin:sessions_store_draftrecord_change", args=[draft.id]),
        }
        return TemplateResponse(request, "admin/sessions_store/draft/detail.html", context)

    def file_view(self, request, draft_id, file_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        draft, _ = get_draft_store().load(str(draft_id), slide=False)
        return draft_file_response(draft, file_id)


def connector_rows(values):
    rows = []
    for index in range(50):
        kind = (values.get(f"connectors-{index}-connector_type") or [""])[0]
        target = (values.get(f"connectors-{index}-target") or [""])[0]
        if not kind and not target:
            if f"connectors-{index}-connector_type" not in values:
                break
            continue
        deleted = bool(values.get(f"connectors-{index}-DELETE"))
        rows.append((f"Connector {index + 1}", f"{kind or '?'}: {target or '—'}" + (" (marked for removal)" if deleted else "")))
    return rows
