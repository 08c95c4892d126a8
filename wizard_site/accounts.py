"""Accounts: sign-ins that sign-out really ends, throttled sign-in and sign-up, password pages and
the account page (issue 12 items 4-6).

**Login sessions.** The Django session stays in a signed cookie (no store read per request), and
a sign-in also writes a ``LoginSession`` row whose random ``sid`` goes into that cookie. A request
is signed in only while its row exists, and the row is checked in the very query that loads the
user (``session_user``: a join, so no extra query and no Redis round trip: the wizard keeps its
budget of two). Signing out deletes the row, so a copied cookie stops working; "Sign out of all
other devices" and a password change or reset delete the others.

**Throttling** (``sessions_store.limits``, counters in the drafts Redis): a POST to the sign-in,
sign-up or admin sign-in page is refused with 429 and ``Retry-After`` while its (username, IP)
pair, its IP or, from an address new to that username, the username has too many recent failures.
"""

import logging
import secrets
from functools import partial, wraps

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.exceptions import ValidationError
from django.db import connections
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from projects import steps
from projects.selectors import anonymous_drafts_of_request
from projects.views import sign_in_destination
from sessions_store import limits
from sessions_store.owners import SESSION_KEY as ANONYMOUS_TOKEN_KEY
from sessions_store.owners import request_user_agent_family

from .models import LoginSession

SID_KEY = "_login_sid"
logger = logging.getLogger("django.security")


# --- login sessions ----------------------------------------------------------------------------------

def login_session_start(*, request, user):
    """A sign-in: a new row, its sid in the session; this user's rows older than any cookie go."""
    LoginSession.objects.filter(
        user=user, created_at__lt=timezone.now() - timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    ).delete()
    sid = secrets.token_urlsafe(32)
    LoginSession.objects.create(sid=sid, user=user, device=request_user_agent_family(request)[:100])
    request.session[SID_KEY] = sid


def login_session_end(*, request):
    sid = request.session.get(SID_KEY)
    if sid:
        LoginSession.objects.filter(sid=sid).delete()


def login_sessions_end_others(*, user, keep_sid):
    """Every other browser signed in as ``user`` is signed out; returns how many."""
    deleted, _ = LoginSession.objects.filter(user=user).exclude(sid=keep_sid or "").delete()
    return deleted


def session_user(request):
    """``django.contrib.auth.get_user`` with the login session checked in the same query."""
    session = request.session
    try:
        user_id = auth._get_user_session_key(request)
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValidationError, ValueError):
        return AnonymousUser()
    user = None
    if backend_path in settings.AUTHENTICATION_BACKENDS:
        backend = auth.load_backend(backend_path)
        user = user_with_login_session(user_id, session.get(SID_KEY) or "")
        if user is not None and not backend.user_can_authenticate(user):
            user = None
    if user is None or not _hash_verified(session, user):
        session.flush()  # signed out elsewhere (or a copied cookie): the cookie is cleared too
        return AnonymousUser()
    return user


def user_with_login_session(user_id, sid):
    """The user ``user_id`` if the login session ``sid`` is theirs, else None: one query, as
    ``User._default_manager.filter(pk=user_id, login_sessions__sid=sid).first()`` makes it, but
    compiled once per database connection. The ORM builds and compiles the same query on every
    request, and that was most of the lookup's CPU (issue 14); the query itself, and so every
    check it makes (the row exists, the user's current password hash and ``is_active``), still
    runs on every request. A user manager that adds conditions of its own, so the query has other
    parameters, takes the ORM path every time."""
    User = auth.get_user_model()
    manager = User._default_manager
    connection = connections[manager.db]
    compiled = getattr(connection, "_session_user_query", None)
    if compiled is None or compiled.model is not User:
        compiled = connection._session_user_query = _CompiledUserQuery(manager, connection, user_id)
    if not compiled.sql:
        return manager.filter(pk=user_id, login_sessions__sid=sid).first()
    return compiled.run(user_id, sid)


class _CompiledUserQuery:
    _MARK = "\x00sid"  # stands for the sid while compiling: no real sid has a NUL

    def __init__(self, manager, connection, user_id):
        self.model, self.connection, self.alias = manager.model, connection, connection.alias
        query = manager.db_manager(self.alias).filter(pk=user_id, login_sessions__sid=self._MARK)[:1].query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        self.sql = None
        if len(params) == 2 and self._MARK in params and list(params).count(self._MARK) == 1:
            self.sql, self.sid_first = sql, params[0] == self._MARK
            self.compiler = compiler
            self.names = [column.target.attname for column, _, _ in compiler.select]
            self.converters = compiler.get_converters([column for column, _, _ in compiler.select])

    def run(self, user_id, sid):
        pk = self.model._meta.pk.get_db_prep_value(user_id, self.connection)
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, [sid, pk] if self.sid_first else [pk, sid])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        return self.model.from_db(self.alias, self.names, row)


def _hash_verified(session, user):
    """Django's check that the password has not changed since this sign-in (with its fallbacks)."""
    session_hash = session.get(auth.HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    if any(constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
        return True
    return False


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with ``session_user`` in place of ``get_user``."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: session_user(request))
        request.auser = partial(sync_to_async(session_user), request)


@receiver(user_logged_in, dispatch_uid="wizard_site.login_session_start")
def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        login_session_start(request=request, user=user)
        request.signed_in_now = True


@receiver(user_logged_out, dispatch_uid="wizard_site.login_session_end")
def _signed_out(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        login_session_end(request=request)


# --- throttling ----------------------------------------------------------------------------------------

def _posted_username(request):
    return request.POST.get("username", "")


def signed_in_username(request):
    return request.user.get_username() if request.user.is_authenticated else ""


def throttled(view, *, kind, name_of=_posted_username):
    """Refuse a sign-in (or sign-up) POST over the limits; count its failure or its success.
    ``name_of``: the name the attempt is for (the posted username; the signed-in person's on the
    pages that ask for the password again, so that a copied cookie gives no unthrottled guesses)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        name = name_of(request)
        verdict = limits.allow_sign_in(request, kind=kind, name=name)
        if not verdict.allowed:
            logger.warning("%s throttled for %r from %s", kind, name[:150], limits.client_ip(request))
            return too_many_attempts(request, verdict, kind=kind)
        response = view(request, *args, **kwargs)
        if getattr(request, "signed_in_now", False):
            limits.sign_in_succeeded(request, kind=kind, name=name)
        elif response.status_code == 200:  # the form again: wrong password, or refused details
            limits.sign_in_failed(request, kind=kind, name=name)
        return response

    return wrapper


def too_many_attempts(request, verdict, *, kind):
    minutes = max(1, -(-verdict.retry_after // 60))
    what = {"login": "sign-in attempts", "signup": "attempts to create an account"}.get(kind, "password reset emails asked for")
    response = render(
        request,
        "429.html",
        {"why": f"There were too many {what} with these details.", "retry_minutes": minutes, "password_reset": kind == "login"},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


# --- pages ----------------------------------------------------------------------------------------------

def _worded(form, fields):
    """Our labels and "what to do" errors on Django's auth forms: {name: (label, required message)}."""
    for name, (label, required) in fields.items():
        form.fields[name].label = label
        form.fields[name].error_messages["required"] = required
    if "new_password2" in form.fields:  # Django's "Enter the same password as before, for verification."
        form.fields["new_password2"].help_text = "Type the new password again, to check it."
    return form


NEW_PASSWORD_FIELDS = {
    "new_password1": ("New password", "Enter a new password"),
    "new_password2": ("New password again", "Enter the new password again, to check it"),
}


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _worded(self, {"old_password": ("Current password", "Enter your current password"), **NEW_PASSWORD_FIELDS})


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _worded(self, NEW_PASSWORD_FIELDS)


class PasswordResetForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _worded(self, {"email": ("Email address", "Enter the email address of your account")})
        self.fields["email"].error_messages["invalid"] = "Enter an email address like name@example.com"


class ErrorSummaryMixin:
    """Our error summary at the top of a form page (the pages' own wording and pattern)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context.get("form") is not None and context["form"].is_bound:
            context["form_errors"] = steps.error_summary(context["form"])
        return context


class SignInView(auth_views.LoginView):
    """Django's sign-in; when this browser has drafts from before, it then asks whether to move
    them into the account (projects' drafts_move page) instead of moving them unasked."""

    def form_valid(self, form):
        # Looked up before signing in: it needs Redis, and while Redis is down the sign-in is
        # refused (503) rather than made without asking.
        has_drafts = bool(anonymous_drafts_of_request(request=self.request))
        auth.login(self.request, form.get_user())
        return redirect(sign_in_destination(self.get_success_url(), has_drafts=has_drafts))


class SignOutView(auth_views.LogoutView):
    """Signing out ends this login session on the server. Drafts this browser made before it
    signed in, and left out of the account, stay with the browser."""

    def post(self, request, *args, **kwargs):
        token = request.session.get(ANONYMOUS_TOKEN_KEY)
        response = super().post(request, *args, **kwargs)
        if token:
            request.session[ANONYMOUS_TOKEN_KEY] = token
        return response


@login_required
def account(request):
    others = LoginSession.objects.filter(user=request.user).exclude(sid=request.session.get(SID_KEY, "")).count()
    return render(request, "registration/account.html", {"other_sessions": others})


@login_required
@require_POST
def sign_out_other_devices(request):
    ended = login_sessions_end_others(user=request.user, keep_sid=request.session.get(SID_KEY))
    if ended:
        messages.success(request, f"You are signed out on {ended} other device{'s' if ended != 1 else ''}.")
    else:
        messages.info(request, "You were not signed in anywhere else.")
    return redirect("account")


class PasswordChangeView(ErrorSummaryMixin, auth_views.PasswordChangeView):
    form_class = PasswordChangeForm

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this browser signed in (update_session_auth_hash)
        login_sessions_end_others(user=form.user, keep_sid=self.request.session.get(SID_KEY))
        return response


class PasswordResetView(ErrorSummaryMixin, auth_views.PasswordResetView):
    """Django's, with every request counted on the sign-in limits (kind ``reset``, the address as
    the name), so nobody can mail-bomb an address through us. A mail server that fails is logged
    (ERROR, django.contrib.auth) and the page says the same as for an unknown address: saying
    otherwise would tell who has an account."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        verdict = limits.allow_sign_in(self.request, kind="reset", name=email)
        if not verdict.allowed:
            return too_many_attempts(self.request, verdict, kind="reset")
        limits.sign_in_failed(self.request, kind="reset", name=email)
        return super().form_valid(form)


class PasswordResetConfirmView(ErrorSummaryMixin, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        login_sessions_end_others(user=form.user, keep_sid=None)  # a new password: every browser signs in again
        return response


password_change = throttled(
    PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")), kind="login", name_of=signed_in_username
)
password_reset = PasswordResetView.as_view(success_url=reverse_lazy("password_reset_done"))
password_reset_confirm = PasswordResetConfirmView.as_view(success_url=reverse_lazy("password_reset_complete"))
