"""Issue 12 M4: signing out ends the session on the server, so a copied cookie stops working;
"Sign out of all other devices"; a password change signs every other browser out."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from projects.models import Project

from ..admin_helpers import logged_in, staff, superuser  # noqa: F401 (fixture)
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


# --- staff: a user's signed-in browsers in the admin -------------------------------------------------


def user_admin_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


def test_staff_see_a_users_signed_in_browsers_and_sign_one_out(owner, superuser):
    laptop, phone = signed_in_browser(owner), signed_in_browser(owner)
    staff_client = logged_in(superuser)
    page = staff_client.get(user_admin_url(owner))
    assert page.status_code == 200
    assert "Signed-in browsers" in page.content.decode()
    assert page.content.decode().count('aria-label="Sign out ') == 2  # each row's box, for screen readers
    assert 'aria-label="Date joined: time"' in page.content.decode()
    formset = page.context["inline_admin_formsets"][-1].formset
    assert len(formset.forms) == 2

    data = post_data_of(page)
    phone_sid = phone.session["_login_sid"]
    index = next(i for i, form in enumerate(formset.forms) if form.instance.sid == phone_sid)
    data[f"{formset.prefix}-{index}-DELETE"] = "on"
    response = staff_client.post(user_admin_url(owner), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_staff_sign_users_out_of_every_browser_with_an_action(owner, other_user, superuser):
    owners, others = [signed_in_browser(owner), signed_in_browser(owner)], [signed_in_browser(other_user)]
    staff_client = logged_in(superuser)

    response = staff_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [owner.pk]},
        follow=True,
    )

    assert "2 signed-in browsers signed out." in response.content.decode()
    assert not any(is_signed_in(client) for client in owners)
    assert all(is_signed_in(client) for client in others)


def test_only_staff_who_may_change_users_sign_anyone_out(owner):
    viewer = staff("viewer", "view_user")
    phone = signed_in_browser(owner)
    staff_client = logged_in(viewer)
    page = staff_client.get(user_admin_url(owner))
    assert page.status_code == 200 and "Signed-in browsers" in page.content.decode()

    staff_client.post(reverse("admin:auth_user_changelist"), {"action": "sign_out_everywhere", "_selected_action": [owner.pk]})

    assert is_signed_in(phone)


def post_data_of(page):
    """What the user's change page would post back as it is: every field's current value, and the
    inlines' management and row fields."""
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if hasattr(field.widget, "widgets"):  # one input per part (a date and a time)
            data.update({f"{name}_{i}": part for i, part in enumerate(field.widget.decompress(value)) if part is not None})
        elif isinstance(value, (list, tuple)) or hasattr(value, "all"):
            data[name] = [getattr(item, "pk", item) for item in (value.all() if hasattr(value, "all") else value)]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for index, row in enumerate(formset.forms):
            data[f"{formset.prefix}-{index}-id"] = row.instance.pk
            data[f"{formset.prefix}-{index}-user"] = row.instance.user_id
    return data


def test_a_password_set_by_staff_in_the_admin_ends_the_users_signed_in_browsers(owner, superuser):
    # As the account's own password change and reset do: the browsers are signed out, and the
    # user's page no longer lists them as signed in.
    laptop, phone = signed_in_browser(owner), signed_in_browser(owner)
    staff_client = logged_in(superuser)
    new_password = "Another-long-pass-phrase-42"

    response = staff_client.post(
        reverse("admin:auth_user_password_change", args=[owner.pk]),
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )

    assert response.status_code == 302, response.context and response.context["form"].errors
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert owner.login_sessions.count() == 0
    page = staff_client.get(user_admin_url(owner))
    assert len(page.context["inline_admin_formsets"][-1].formset.forms) == 0
    assert is_signed_in(staff_client)


def test_staff_add_a_user_as_before(superuser):
    staff_client = logged_in(superuser)
    assert "Signed-in browsers" not in staff_client.get(reverse("admin:auth_user_add")).content.decode()

    response = staff_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "usable_password": "true", "password1": "pw-Newcomer-123", "password2": "pw-Newcomer-123"},
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert get_user_model().objects.filter(username="newcomer").exists()


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
