"""A sign-in that is still valid: the session cookie names it, and logout ends it on the server."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class LoginSession(models.Model):
    """One signed-in browser. The Django session stays in a signed cookie (no store read per
    request); the cookie also carries ``sid``, and a request is signed in only while this row
    exists, checked in the same query that loads the user (wizard_site.accounts.session_user)."""

    sid = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    device = models.CharField(max_length=100, blank=True)  # "Firefox on Linux", for the account page

    def __str__(self):
        return f"{self.user} on {self.device or 'an unknown device'}"
