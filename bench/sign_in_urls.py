"""The site's URLs plus the sign-in view without its throttle, for bench/sign_in.py only."""

from django.urls import path

from wizard_site import accounts
from wizard_site.urls import urlpatterns as site

urlpatterns = [path("bench/login-unthrottled/", accounts.SignInView.as_view()), *site]
