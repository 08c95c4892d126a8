"""Drafts in Django admin: a list read page by page from the draft store's indexes, a read-only
detail page, and three actions (delete, extend expiry, export as JSON), each behind its own
permission. The model (no table) and its permissions are sessions_store's; what a draft's steps
hold is the project's, so the admin lives here.
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

from sessions_store import clock
from sessions_store.drafts import owner_kind
from sessions_store.models import DraftRecord

from . import steps
from .models import ConnectorType
from .selectors import draft_for_staff, drafts_for_staff, drafts_page
from .services import draft_delete, draft_extend
from .views import draft_file_response

PAGE_MAX = 10**6
PER_PAGE = 50
SORTS = {
    "-last_activity": "Last activity (newest first)",
    "last_activity": "Last activity (oldest first)",
    "-created": "Created (newest first)",
    "created": "Created (oldest first)",
}
KINDS = {"user": "Signed-in user", "anonymous": "Anonymous"}


def usernames(drafts):
    """Usernames of the drafts' owners, in one query for the whole page."""
    from django.contrib.auth import get_user_model

    ids = {int(d.owner[2:]) for d in drafts if owner_kind(d.owner) == "user"}
    if not ids:
        return {}
    User = get_user_model()
    return {user.pk: user.get_username() for user in User.objects.filter(pk__in=ids).only(User.USERNAME_FIELD)}


def owner_label(draft, names):
    if owner_kind(draft.owner) == "user":
        user_id = int(draft.owner[2:])
        return names.get(user_id, f"user #{user_id} (deleted)")
    return f"anonymous ({draft.metadata.get('ip_address') or 'no IP'})"


def progress(draft):
    names = steps.STEP_NAMES
    number = steps.step_number(draft.current_step) if draft.current_step in names else 1
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
        query = {"sort": params["o"], "step": params["step"], "kind": params["kind"], "query": params["q"]}
        total, drafts = drafts_page(**query, number=params["p"], per_page=PER_PAGE)
        pages = max(1, math.ceil(total / PER_PAGE))
        if params["p"] > pages:
            # Past the end (a stale link, or a made-up number): the last page.
            params["p"] = pages
            total, drafts = drafts_page(**query, number=pages, per_page=PER_PAGE)
        now = clock.now()
        names = usernames(drafts)
        rows = []
        for draft in drafts:
            number, count, percent = progress(draft)
            rows.append(
                {
                    "draft": draft,
                    "name": steps.draft_title(draft) or "(untitled)",
                    "owner": owner_label(draft, names),
                    "progress": f"Step {number} of {count}",
                    "percent": percent,
                    "completed": ", ".join(
                        title for name, title in steps.TITLES.items() if draft.validation.get(name)
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
            + [(name, title, self.query(params, step=name, p=1)) for name, title in steps.TITLES.items()],
            "kind_links": [(None, "All", self.query(params, kind="", p=1))]
            + [(key, label, self.query(params, kind=key, p=1)) for key, label in KINDS.items()],
            "can_delete": self.has_delete_permission(request),
            "can_extend": self.has_change_expiry_permission(request),
            "ttl_label": timeuntil(now + timedelta(seconds=settings.SESSION_TTL), now),
        }
        return TemplateResponse(request, "admin/sessions_store/draft/change_list.html", context)

    @staticmethod
    def list_params(request):
        try:
            number = max(1, int(request.GET.get("p", "1")))
        except ValueError:
            number = 1
        # Bounded before it reaches Redis, whose range offsets are 64-bit (a huge number is
        # an error there, not an empty page); past the end shows the last page anyway.
        number = min(number, PAGE_MAX)
        sort = request.GET.get("o", "-last_activity")
        step = request.GET.get("step") or None
        kind = request.GET.get("kind") or None
        return {
            "o": sort if sort in SORTS else "-last_activity",
            "step": step if step in steps.TITLES else None,
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
        drafts = drafts_for_staff(draft_ids=ids[:500])
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
                        "titled_drafts": [(draft, steps.draft_title(draft)) for draft in drafts],
                        "back": back,
                    },
                )
            for draft in drafts:  # for good: staff delete is not restorable (see the README)
                draft_delete(draft=draft)
            self.message_user(request, f"Deleted {len(drafts)} draft(s) and their uploaded files.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:sessions_store_draftrecord_changelist"))
        if action == "extend":
            if not self.has_change_expiry_permission(request):
                raise PermissionDenied
            # A draft changed or expired meanwhile is skipped, and reported as such.
            extended = sum(draft_extend(draft=draft, seconds=settings.SESSION_TTL) for draft in drafts)
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
        draft = draft_for_staff(draft_id=draft_id)
        if draft is None:
            self.message_user(request, "That draft no longer exists (it expired, was committed or deleted).", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:sessions_store_draftrecord_changelist"))
        sections = []
        for step in steps.AUTOSAVE_STEPS:  # the review step holds no answers
            values = draft.step_values(step)
            rows = [
                (field.label or name.replace("_", " ").capitalize(), ", ".join(shown(field, values.get(name))) or "—")
                for name, field in steps.value_fields(step)
            ]
            if step == "sources":
                rows.extend(connector_rows(values))
            sections.append(
                {
                    "step": step,
                    "title": steps.TITLES[step],
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
            "title": f"Draft: {steps.draft_title(draft) or '(untitled)'}",
            "draft_title": steps.draft_title(draft),
            "schema_version": draft.stored_schema,
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
        return draft_file_response(draft_for_staff(draft_id=draft_id), file_id)


def shown(field, values):
    """A field's stored values as the form shows them: a choice's label ("Healthcare"), not its value."""
    labels = {str(value): label for value, label in getattr(field, "choices", ()) if not isinstance(label, (list, tuple))}
    return [str(labels.get(value, value)) for value in values or []]


def connector_rows(values):
    """The typed connector rows of a sources step's (unprefixed) values, for the detail page."""
    return [
        (
            f"Connector {row['number']}",
            f"{ConnectorType(row['connector_type']).label if row['connector_type'] in ConnectorType else row['connector_type'] or '?'}: "
            f"{row['target'] or '—'}" + (" (marked for removal)" if row["deleted"] else ""),
        )
        for row in steps.connector_rows(values, prefix="connectors", every_stored=True)
    ]
