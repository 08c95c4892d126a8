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


# --- Issue 14: the user and the login session come from one query compiled once per connection;
# the query still runs on every request, so whatever changed in the database counts at once. ---

def test_changes_made_behind_the_apps_back_sign_out_at_once(owner, other_user):
    """Changes that send no signal (queryset updates and deletes, as a script or the shell makes
    them): the next request sees each one."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from wizard_site.models import LoginSession

    users = get_user_model().objects
    client = signed_in_browser(owner)
    assert is_signed_in(client)
    users.filter(pk=owner.pk).update(is_active=False)
    assert not is_signed_in(client)

    users.filter(pk=owner.pk).update(is_active=True)
    client = signed_in_browser(owner)
    users.filter(pk=owner.pk).update(password=make_password("changed elsewhere, by a script"))
    assert not is_signed_in(client)

    users.filter(pk=owner.pk).update(password=make_password(PASSWORD))
    client, theirs = signed_in_browser(owner), signed_in_browser(other_user)
    LoginSession.objects.filter(user=owner).delete()
    assert not is_signed_in(client)
    assert is_signed_in(theirs)  # another user's session, checked by the same compiled query


def test_the_signed_in_user_is_the_one_the_orm_loads(owner, django_assert_num_queries):
    """The compiled query builds the same user as the ORM would (every field, converted as the
    database backend converts it), in one query."""
    from django.contrib.auth import get_user_model

    from wizard_site.accounts import SID_KEY, user_with_login_session
    from wizard_site.models import LoginSession

    client = signed_in_browser(owner)
    sid = client.session[SID_KEY]
    expected = get_user_model().objects.get(pk=owner.pk)
    assert expected.last_login is not None
    for _ in range(2):  # compiled on the first call, reused on the second
        with django_assert_num_queries(1):
            user = user_with_login_session(owner.pk, sid)
        assert type(user) is type(expected) and user._state.adding is False
        assert {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields} == {
            f.attname: getattr(expected, f.attname) for f in expected._meta.concrete_fields
        }
    assert user_with_login_session(owner.pk, sid + "x") is None
    assert user_with_login_session(owner.pk + 1000, sid) is None
    LoginSession.objects.filter(sid=sid).delete()
    assert user_with_login_session(owner.pk, sid) is None
