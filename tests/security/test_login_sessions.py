"""Issue 12 M4: signing out ends the session on the server, so a copied cookie stops working;
"Sign out of all other devices"; a password change signs every other browser out."""

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Project

from ..conftest import PASSWORD
from ..wizard_helpers import browser, complete_until_review, confirm, step_url

pytestmark = pytest.mark.django_db


def signed_in_browser(user, password=PASSWORD):
    client = browser()
    assert client.post(reverse("login"), {"username": user.username, "password": password}).status_code == 302
    return client


def copy_of(client):
    """Another browser holding a copy of ``client``'s cookies (stolen, or left on a shared computer)."""
    thief = browser()
    thief.cookies = client.cookies.__class__(client.cookies)  # a copy, not the same jar
    return thief


def is_signed_in(client):
    return client.get(reverse("projects:list")).status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(owner, pdf):
    client = signed_in_browser(owner)
    draft_id = complete_until_review(client, [pdf()])
    thief = copy_of(client)
    assert is_signed_in(thief)  # the copy works while the session lives

    client.post(reverse("logout"))

    assert not is_signed_in(thief)
    assert thief.get(step_url(draft_id, "review")).status_code == 404
    assert thief.get(f"/api/sessions/{draft_id}").status_code == 404
    confirm(thief, draft_id)
    assert not Project.objects.exists()


def test_sign_out_of_all_other_devices_ends_the_others_and_keeps_this_one(owner):
    laptop, phone = signed_in_browser(owner), signed_in_browser(owner)
    assert "signed in on 1 other device" in laptop.get(reverse("account")).content.decode()

    response = laptop.post(reverse("sign_out_other_devices"), follow=True)

    assert "You are signed out on 1 other device." in response.content.decode()
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_sign_out_of_other_devices_is_a_post_with_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    other = signed_in_browser(owner)

    assert client.get(reverse("sign_out_other_devices")).status_code == 405
    assert client.post(reverse("sign_out_other_devices")).status_code == 403
    assert is_signed_in(other)


def test_a_password_change_signs_out_every_other_browser(owner):
    laptop, phone = signed_in_browser(owner), signed_in_browser(owner)
    new_password = "a new and longer passphrase"

    response = laptop.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password}
    )

    assert response["Location"] == reverse("password_change_done")
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert signed_in_browser(owner, new_password)
