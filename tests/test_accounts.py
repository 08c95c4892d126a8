"""Issue 12 item 6: the account page, and changing or resetting a password by email."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from .conftest import PASSWORD
from .wizard_helpers import browser

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_it_shows_the_account_with_its_actions(owner_client, owner):
    page = text(owner_client.get(reverse("account")))

    assert "Your account" in page and owner.username in page and owner.email in page
    assert reverse("password_change") in page
    assert "You are signed in only here." in page
    assert "Sign out of all other devices" not in page  # nothing to sign out of
    assert reverse("account") in text(owner_client.get("/"))  # linked from the header

    browser(owner)  # and now on another device too
    page = text(owner_client.get(reverse("account")))
    assert "You are signed in on 1 other device or browser as well as this one." in page
    assert "Sign out of all other devices" in page


def test_it_sends_anonymous_visitors_to_sign_in_for_the_account_pages(client):
    for url in (reverse("account"), reverse("password_change")):
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_it_explains_a_wrong_current_password_and_changes_nothing(owner_client, owner):
    response = owner_client.post(
        reverse("password_change"), {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 200
    assert "There is a problem" in text(response) and "Error: Change your password" in text(response)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def reset_link():
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your Project Wizard password"
    return re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body).group(1)


def test_a_reset_email_arrives_and_its_link_sets_a_new_password_once(owner):
    client = browser()
    response = client.post(reverse("password_reset"), {"email": owner.email})
    assert response["Location"] == reverse("password_reset_done")
    link = reset_link()
    assert owner.username in mail.outbox[0].body

    form = client.get(link, follow=True)
    assert "Choose a new password" in text(form)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")

    assert browser().post(reverse("login"), {"username": owner.username, "password": NEW_PASSWORD}).status_code == 302
    assert browser().post(reverse("login"), {"username": owner.username, "password": PASSWORD}).status_code == 200
    again = browser().get(link, follow=True)
    assert "This link does not work" in text(again)


def test_a_reset_signs_out_every_browser(owner):
    signed_in = browser()
    signed_in.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    client = browser()
    client.post(reverse("password_reset"), {"email": owner.email})
    form = client.get(reset_link(), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert signed_in.get(reverse("projects:list")).status_code == 302


def test_it_says_the_same_for_an_unknown_address_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
