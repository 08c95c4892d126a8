from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from projects import views as project_views

from . import account_data, accounts
from .metrics import metrics_view

urlpatterns = [
    path("", project_views.home, name="home"),
    path("projects/", include("projects.urls")),
    path("api/", include("projects.api_urls")),
    path("accounts/", accounts.account, name="account"),
    path("accounts/login/", accounts.throttled(accounts.SignInView.as_view(), kind="login"), name="login"),
    path("accounts/logout/", accounts.SignOutView.as_view(), name="logout"),
    path("accounts/signup/", accounts.throttled(project_views.signup, kind="signup"), name="signup"),
    path("accounts/sign-out-other-devices/", accounts.sign_out_other_devices, name="sign_out_other_devices"),
    path("accounts/password_change/", accounts.password_change, name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # The admin's sign-in counts against the same limits as the site's (the same accounts).
    path("admin/login/", accounts.throttled(admin.site.login, kind="login")),
    path("accounts/data/", account_data.account_data, name="account_data"),
    # Its password check counts on the sign-in limits, as the password change's does.
    path("accounts/delete/", accounts.throttled(account_data.account_delete, kind="login", name_of=accounts.signed_in_username), name="account_delete"),
    path("accounts/deleted/", account_data.account_deleted, name="account_deleted"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
]

handler400 = "wizard_site.errors.bad_request"
handler404 = "wizard_site.errors.not_found"
handler500 = "wizard_site.errors.server_error"
