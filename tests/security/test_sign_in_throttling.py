"""Issue 12 M3: password guessing on the sign-in, sign-up and admin sign-in pages is throttled,
and nobody can lock a real user out from another address."""

import pytest
from django.urls import reverse

from ..conftest import PASSWORD
from ..wizard_helpers import browser

pytestmark = pytest.mark.django_db

ATTACKER, BOTNET, HOME = "203.0.113.66", "198.51.100.{}", "192.0.2.10"


@pytest.fixture
def limits(settings):
    settings.SIGN_IN_MAX_FAILURES = 3
    settings.SIGN_IN_MAX_FAILURES_PER_IP = 6
    settings.SIGN_IN_MAX_FAILURES_PER_USERNAME = 5
    return settings


def sign_in(client, username, password, url=None, ip=ATTACKER):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def guess(username, times, ip=ATTACKER, url=None):
    client = browser()
    return [sign_in(client, username, "wrong guess", url=url, ip=ip).status_code for _ in range(times)]


def test_it_refuses_the_right_password_after_too_many_wrong_ones_from_one_address(limits, owner):
    assert guess("owner", 3) == [200, 200, 200]

    client = browser()
    response = sign_in(client, "owner", PASSWORD)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    text = response.content.decode()
    assert "too many sign-in attempts" in text and "Reset it by email" in text
    assert client.get(reverse("projects:list")).status_code == 302  # not signed in


def test_it_counts_usernames_whatever_their_case(limits, owner):
    guess("OWNER", 2)
    guess("owner ", 1)

    assert sign_in(browser(), "owner", PASSWORD).status_code == 429


def test_it_does_not_lock_the_real_user_out_from_another_address(limits, owner):
    assert sign_in(browser(), "owner", PASSWORD, ip=HOME).status_code == 302  # the owner's address, known
    guess("owner", 3)  # the attacker locks only themselves out

    assert sign_in(browser(), "owner", PASSWORD, ip=HOME).status_code == 302


def test_it_stops_a_botnet_at_one_account_but_lets_its_owner_in_from_home(limits, owner):
    sign_in(browser(), "owner", PASSWORD, ip=HOME)
    for number in range(5):  # five addresses, each well under the per-address limit
        guess("owner", 1, ip=BOTNET.format(number))

    assert sign_in(browser(), "owner", PASSWORD, ip=BOTNET.format(99)).status_code == 429
    assert sign_in(browser(), "owner", PASSWORD, ip=HOME).status_code == 302


def test_it_stops_one_address_trying_many_usernames(limits, owner):
    for number in range(6):
        guess(f"someone{number}", 1)

    assert sign_in(browser(), "owner", PASSWORD).status_code == 429
    assert sign_in(browser(), "owner", PASSWORD, ip=HOME).status_code == 302


def test_it_forgives_the_failures_of_an_address_once_it_signs_in(limits, owner):
    guess("owner", 2)
    assert sign_in(browser(), "owner", PASSWORD).status_code == 302

    assert guess("owner", 3) == [200, 200, 200]  # counting starts again


def test_it_opens_again_when_the_window_ends(limits, owner, drafts_redis):
    guess("owner", 3)
    for key in drafts_redis.keys("*limit:login-*"):
        drafts_redis.expire(key, 0)  # the window ended (Redis' own expiry, not the app clock)

    assert sign_in(browser(), "owner", PASSWORD).status_code == 302


def test_it_throttles_the_admin_sign_in_with_the_same_counters(limits, owner):
    owner.is_staff = True
    owner.save()
    assert guess("owner", 3, url="/admin/login/") == [200, 200, 200]

    assert sign_in(browser(), "owner", PASSWORD, url="/admin/login/").status_code == 429
    assert sign_in(browser(), "owner", PASSWORD).status_code == 429  # the site's page too


def test_it_throttles_sign_up_attempts(limits):
    client = browser()
    for _ in range(3):
        response = client.post(reverse("signup"), {"username": "newcomer", "password1": "x", "password2": "y"}, REMOTE_ADDR=ATTACKER)
        assert response.status_code == 200

    response = client.post(
        reverse("signup"), {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429 and response["Retry-After"]
    assert "too many attempts to create an account" in response.content.decode()


def test_it_limits_password_reset_emails_to_one_address(limits, owner, mailoutbox):
    for _ in range(3):
        assert browser().post(reverse("password_reset"), {"email": owner.email}, REMOTE_ADDR=ATTACKER).status_code == 302

    response = browser().post(reverse("password_reset"), {"email": owner.email}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429 and response["Retry-After"]
    assert len(mailoutbox) == 3


def test_it_counts_a_username_the_way_the_sign_in_form_reads_it(limits, owner):
    # The sign-in form reads the username in NFKC ("ｏｗｎｅｒ", full-width, signs in as "owner"),
    # so each such spelling must not get fresh counters: a botnet would guess without limit.
    guess("owner", 2)
    guess("ｏｗｎｅｒ", 1)

    assert sign_in(browser(), "ｏwner", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    "url, field, extra",
    [
        ("/accounts/delete/", "password", {}),
        ("/accounts/password_change/", "old_password", {"new_password1": "An0ther-long-pass", "new_password2": "An0ther-long-pass"}),
    ],
)
def test_pages_that_check_the_password_again_count_on_the_same_limits(limits, owner, url, field, extra):
    # A copied session cookie must not turn these pages into an unthrottled password oracle.
    from django.contrib.auth import get_user_model

    client = browser(owner)
    statuses = [client.post(url, {field: "wrong guess", **extra}, REMOTE_ADDR=ATTACKER).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]

    response = client.post(url, {field: PASSWORD, **extra}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
    assert get_user_model().objects.get(pk=owner.pk).check_password(PASSWORD)
    assert sign_in(browser(), "owner", PASSWORD).status_code == 429  # and the sign-in counted them
