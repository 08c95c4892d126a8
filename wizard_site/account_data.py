"""A person's own data: "Download my data" (/accounts/data/) and "Delete my account"
(/accounts/delete/). Reads through projects.selectors, the erasure through projects.services;
these views only translate to HTTP. Nothing here is cached by a browser or a proxy (no-store)."""

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from projects import steps
from projects.account_export import account_export
from projects.selectors import drafts_of_user, projects_of_user
from projects.services import account_erase


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        help_text="To be sure it is you.",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password. Nothing has been deleted.")
        return password


def _what_you_have(user):
    projects = list(projects_of_user(user=user))
    return {
        "projects": len(projects),
        "documents": sum(len(project.documents.all()) for project in projects),
        "drafts": len(drafts_of_user(user=user)),
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_data(request):
    """GET: the page and its button. POST: the JSON attachment."""
    if request.method == "GET":
        return render(request, "account/data.html", _what_you_have(request.user))
    projects = list(projects_of_user(user=request.user))
    document = account_export(user=request.user, projects=projects, drafts=drafts_of_user(user=request.user))
    response = HttpResponse(json.dumps(document, indent=2, cls=DjangoJSONEncoder), content_type="application/json")
    stamp = document["exportMetadata"]["exportedAt"][:10]
    response["Content-Disposition"] = f'attachment; filename="project-wizard-data-{stamp}.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = ConfirmPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        account_erase(user=request.user)
        logout(request)
        return redirect("account_deleted")
    context = {"form": form, "form_errors": steps.error_summary(form), **_what_you_have(request.user)}
    return render(request, "account/delete.html", context)


@never_cache
def account_deleted(request):
    return render(request, "account/deleted.html")
