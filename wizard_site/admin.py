"""Staff's view of who is signed in (issue 12's login sessions): a user's page lists their
signed-in browsers, and deleting one signs that browser out at its next request; an action signs
the chosen users out of every browser (a lost laptop, a shared password, someone leaving).
Both need the permission to change users; nobody adds a login session by hand."""

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename, get_user_model
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin
from django.forms.models import BaseInlineFormSet
from django.utils import formats, timezone
from django.utils.text import format_lazy

from .accounts import SID_KEY, login_sessions_end_others
from .models import LoginSession

User = get_user_model()


def _may(request, action):
    """Whether the staff member holds ``action`` ("change", "view") on users."""
    return request.user.has_perm(f"{User._meta.app_label}.{get_permission_codename(action, User._meta)}")


def _local_datetime(moment):
    """As the admin shows a date and time: in the site's time zone, in the locale's format."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


class LoginSessionFormSet(BaseInlineFormSet):
    """Each row's Delete box named for screen readers by its browser (the column header is only seen)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields and form.instance.pk:
            when = _local_datetime(form.instance.created_at)
            device = form.instance.device or "an unknown browser"
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Sign out {device}, signed in {when}"


class LoginSessionInline(admin.TabularInline):
    model = LoginSession
    formset = LoginSessionFormSet
    fields = ("device", "signed_in")
    readonly_fields = fields
    extra = 0
    verbose_name = "signed-in browser"
    verbose_name_plural = "Signed-in browsers (tick Delete and save to sign one out)"

    @admin.display(description="Signed in")
    def signed_in(self, login_session):
        return _local_datetime(login_session.created_at)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return _may(request, "change")

    def has_view_permission(self, request, obj=None):
        return _may(request, "change") or _may(request, "view")


class FilterWithNamedIcons(FilteredSelectMultiple):
    """Stock's picker (groups, permissions), its filter icons given the role their names need."""

    class Media:
        # Named again so that Django's media merge puts ours after it: ours wraps SelectFilter.init.
        js = ["admin/js/SelectFilter2.js", "js/admin-filter-icons.js"]


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, LoginSessionInline]
    actions = ["sign_out_everywhere"]

    def get_inlines(self, request, obj):
        return super().get_inlines(request, obj) if obj else []  # a user being added has no browsers

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.filter_horizontal:
            kwargs.setdefault("widget", FilterWithNamedIcons(db_field.verbose_name, is_stacked=False))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        """Stock's date and time boxes (last login, date joined) named for screen readers."""
        form = super().get_form(request, obj, **kwargs)
        for field in form.base_fields.values():
            for part, widget in zip(("date", "time"), getattr(field.widget, "widgets", ())):
                widget.attrs.setdefault("aria-label", f"{field.label}: {part}")
        return form

    def user_change_password(self, request, id, form_url=""):
        """Stock's; a password set here also ends the user's login sessions, as the account's own
        password change and reset do (the staff member's own browser stays signed in)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            if user is not None:
                keep = request.session.get(SID_KEY) if user.pk == request.user.pk else None
                login_sessions_end_others(user=user, keep_sid=keep)
        return response

    @admin.action(description="Sign the selected users out of every browser", permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        ended, _ = LoginSession.objects.filter(user__in=queryset).delete()
        browsers = "browser" if ended == 1 else "browsers"
        self.message_user(request, format_lazy("{} signed-in {} signed out.", ended, browsers), messages.SUCCESS)
