"""Staff's view of who is signed in (issue 12's login sessions): a user's page lists their
signed-in browsers, and deleting one signs that browser out at its next request; an action signs
the chosen users out of every browser (a lost laptop, a shared password, someone leaving).
Both need the permission to change users; nobody adds a login session by hand."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.forms.models import BaseInlineFormSet
from django.utils import formats, timezone
from django.utils.text import format_lazy

from .accounts import SID_KEY, login_sessions_end_others
from .models import LoginSession

User = get_user_model()


def _may_change_users(request):
    return request.user.has_perm(f"{User._meta.app_label}.change_{User._meta.model_name}")


class LoginSessionFormSet(BaseInlineFormSet):
    """Each row's Delete box named for screen readers by its browser (the column header is only seen)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields and form.instance.pk:
            when = formats.date_format(timezone.localtime(form.instance.created_at), "DATETIME_FORMAT")
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
        return formats.date_format(timezone.localtime(login_session.created_at), "DATETIME_FORMAT")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return _may_change_users(request)

    def has_view_permission(self, request, obj=None):
        return _may_change_users(request) or request.user.has_perm(
            f"{User._meta.app_label}.view_{User._meta.model_name}"
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, LoginSessionInline]
    actions = ["sign_out_everywhere"]

    def get_inlines(self, request, obj):
        return super().get_inlines(request, obj) if obj else []  # a user being added has no browsers

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
