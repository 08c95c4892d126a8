from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from projects import views as project_views

from . import account_data
from .metrics import metrics_view

urlpatterns = [
    path("", project_views.home, name="home"),
    path("projects/", include("projects.urls")),
    path("api/", include("projects.api_urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", project_views.signup, name="signup"),
    path("accounts/data/", account_data.account_data, name="account_data"),
    path("accounts/delete/", account_data.account_delete, name="account_delete"),
    path("accounts/deleted/", account_data.account_deleted, name="account_deleted"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
]

handler400 = "wizard_site.errors.bad_request"
handler404 = "wizard_site.errors.not_found"
handler500 = "wizard_site.errors.server_error"
