"""“Email me a link to this draft”: on every step once there is a draft, with or without
JavaScript (a button in the step form that saves what was typed, then a page with the address
field). The link is signed with a secret kept in the draft, works until the draft expires or is
discarded, opens the draft in any browser and moves it there (or to the signed-in account)."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import formats, timezone

from sessions_store.store import get_draft_store

from .lifecycle_helpers import NAME, text
from .wizard_helpers import (
    attach_on_page,
    browser,
    complete_until_review,
    details_post,
    expire_for_real,
    sources_post,
    start_draft,
    step_url,
)

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
LINK = re.compile(r"http://testserver(/projects/drafts/link/[^/\s]+/)")
ADDRESS = "sam@example.com"


def email_page(draft_id, step="details"):
    return f"{reverse('projects:draft_email_link', args=[draft_id])}?step={step}"


def send_link(client, draft_id, email=ADDRESS, step="details"):
    return client.post(reverse("projects:draft_email_link", args=[draft_id]), {"email": email, "step": step})


def link_in(message):
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def emailed_link(client, draft_id, mailoutbox):
    response = send_link(client, draft_id)
    assert response.status_code == 302, response.content.decode()[:2000]
    return link_in(mailoutbox[-1])


def stored(draft_id):
    return get_draft_store().load(draft_id, slide=False)[0]


# --- the form ------------------------------------------------------------------------------------

def test_it_offers_the_link_on_every_step_once_there_is_a_draft(anonymous, pdf):
    new = anonymous.get(reverse("projects:wizard_new"))
    assert "Email me a link to this draft" not in text(new)

    draft_id = complete_until_review(anonymous, [pdf()])
    for step in ("details", "requirements", "sources", "review"):
        page = text(anonymous.get(step_url(draft_id, step)))
        assert 'name="email_link"' in page, step
        assert "Email me a link to this draft" in page, step


@pytest.mark.parametrize("step", ["details", "sources"])
def test_it_saves_what_was_typed_before_asking_for_the_address(anonymous, step):
    draft_id = start_draft(anonymous)
    if step == "sources":
        attach_on_page(anonymous, draft_id)
        data = sources_post(connectors=[("sharepoint", "https://typed.example/unsaved")])
    else:
        data = details_post(project_name="Typed but not submitted", square_footage="not a number")
    data["email_link"] = "1"

    response = anonymous.post(step_url(draft_id, step), data)

    assert response.status_code == 302
    assert response["Location"] == email_page(draft_id, step)
    page = text(anonymous.get(step_url(draft_id, step)))
    typed = "Typed but not submitted" if step == "details" else "https://typed.example/unsaved"
    assert typed in page
    form = text(anonymous.get(response["Location"]))
    assert 'type="email"' in form and f'href="{step_url(draft_id, step)}"' in form


def test_it_emails_a_link_that_says_when_the_draft_expires(anonymous, mailoutbox):
    draft_id = start_draft(anonymous)

    response = send_link(anonymous, draft_id, step="details")

    assert response.status_code == 302
    assert response["Location"] == step_url(draft_id, "details")
    assert f"We sent a link to {ADDRESS}" in text(anonymous.get(response["Location"]))
    [message] = mailoutbox
    assert message.to == [ADDRESS]
    assert message.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert NAME in message.subject
    expires = timezone.localtime(stored(draft_id).expires_at)
    assert formats.date_format(expires, "j F Y, H:i") in message.body
    assert "http://testserver/projects/drafts/link/" in message.body
    assert "ignore" in message.body


@pytest.mark.parametrize(
    "address, error",
    [
        ("", "Enter your email address"),
        ("sam at example", "Enter an email address in the correct format, like name@example.com"),
        ("sam@" + "x" * 300 + ".com", "Enter an email address of 254 characters or fewer"),
    ],
)
def test_it_refuses_an_address_it_cannot_use_with_a_clear_error(anonymous, mailoutbox, address, error):
    draft_id = start_draft(anonymous)

    response = send_link(anonymous, draft_id, address)

    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and error in page
    assert "<title>Error:" in page
    assert f'value="{address}"' in page or not address
    assert mailoutbox == []


def test_it_says_so_when_the_mail_cannot_be_sent(anonymous, mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    draft_id = start_draft(anonymous)

    response = send_link(anonymous, draft_id)

    assert response.status_code == 503
    assert "could not send the email" in text(response)
    assert f'value="{ADDRESS}"' in text(response)


# --- opening the link ----------------------------------------------------------------------------

def test_it_opens_the_draft_in_another_browser_and_moves_it_there(anonymous, mailoutbox):
    draft_id = start_draft(anonymous)
    link = emailed_link(anonymous, draft_id, mailoutbox)
    other = browser(ua=FIREFOX)

    landing = other.get(link)
    assert landing.status_code == 200
    assert NAME in text(landing) and "Continue in this browser" in text(landing)
    assert anonymous.get(step_url(draft_id, "details")).status_code == 200  # a GET moves nothing

    response = other.post(link)

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:wizard_resume", args=[draft_id])
    assert NAME in text(other.get(step_url(draft_id, "details")))
    assert NAME in text(other.get(reverse("projects:drafts")))
    assert anonymous.get(step_url(draft_id, "details")).status_code == 404
    # A link that moved the draft is used up (a forwarded copy can't move it again); a new
    # link, sent from where the draft is now, brings it back.
    assert anonymous.post(link).status_code == 404
    again = emailed_link(other, draft_id, mailoutbox)
    assert anonymous.post(again).status_code == 302
    assert anonymous.get(step_url(draft_id, "details")).status_code == 200


def test_it_moves_the_draft_to_the_signed_in_account(anonymous, signed_in, owner, mailoutbox):
    draft_id = start_draft(anonymous)
    link = emailed_link(anonymous, draft_id, mailoutbox)

    assert signed_in.post(link).status_code == 302

    assert stored(draft_id).owner == f"u:{owner.pk}"
    phone = browser(owner, ua=FIREFOX)
    assert NAME in text(phone.get(reverse("projects:drafts")))


def test_it_refuses_a_tampered_link_as_not_found_and_counts_the_miss(anonymous, mailoutbox, settings):
    settings.SESSION_MAX_ATTEMPTS = 3
    draft_id = start_draft(anonymous)
    other_id = start_draft(anonymous, project_name="Another one")
    link = emailed_link(anonymous, draft_id, mailoutbox)
    token = link.rstrip("/").rsplit("/", 1)[1]
    stranger = browser(ua=FIREFOX)

    tampered = [
        link.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB")),
        link.replace(draft_id, other_id),
        link.replace(token, "not-a-token"),
    ]
    for url in tampered:
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert "This link does not work" in text(response)
        assert NAME not in text(response)
    assert stranger.post(tampered[0]).status_code == 429
    assert stored(draft_id).owner == stored(other_id).owner != ""
    assert stranger.get(reverse("projects:drafts")).content.decode().count("Another one") == 0


def test_it_stops_the_link_when_the_draft_expires(anonymous, mailoutbox, drafts_redis, frozen_clock):
    draft_id = start_draft(anonymous)
    link = emailed_link(anonymous, draft_id, mailoutbox)
    other = browser(ua=FIREFOX)
    assert other.get(link).status_code == 200

    # A day later nobody has used the draft: Redis expires it (its tombstone stays).
    frozen_clock.travel(timedelta(seconds=django_settings.SESSION_TTL + 60))
    expire_for_real(drafts_redis, draft_id)

    assert other.get(link).status_code == 404
    assert other.post(link).status_code == 404
    assert "This link does not work" in text(other.get(link))
    assert anonymous.get(step_url(draft_id, "details")).status_code == 410  # its owner is told it expired


def test_it_revokes_the_link_when_the_draft_is_discarded(anonymous, mailoutbox):
    draft_id = start_draft(anonymous)
    link = emailed_link(anonymous, draft_id, mailoutbox)
    assert anonymous.post(reverse("projects:draft_discard", args=[draft_id])).status_code == 302

    response = browser(ua=FIREFOX).post(link)

    assert response.status_code == 404
    assert "This link does not work" in text(response)


# --- limits ----------------------------------------------------------------------------------------

def test_it_limits_the_emails_per_draft(anonymous, mailoutbox, settings):
    settings.DRAFT_LINK_MAX_PER_DRAFT = 2
    draft_id = start_draft(anonymous)
    assert [send_link(anonymous, draft_id).status_code for _ in range(2)] == [302, 302]

    response = send_link(anonymous, draft_id)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many links were sent for this draft" in text(response)
    assert f'value="{ADDRESS}"' in text(response)
    assert len(mailoutbox) == 2
    other_draft = start_draft(anonymous, project_name="Another one")
    assert send_link(anonymous, other_draft).status_code == 302


def test_it_limits_the_emails_per_address(anonymous, mailoutbox, settings):
    settings.DRAFT_LINK_MAX_PER_IP = 2
    drafts = [start_draft(anonymous, project_name=f"Draft {n}") for n in range(3)]
    assert [send_link(anonymous, draft_id).status_code for draft_id in drafts[:2]] == [302, 302]

    assert send_link(anonymous, drafts[2]).status_code == 429
    assert len(mailoutbox) == 2
    elsewhere = browser(REMOTE_ADDR="203.0.113.9")
    assert send_link(elsewhere, start_draft(elsewhere)).status_code == 302
    assert len(mailoutbox) == 3


def test_it_emails_a_link_only_for_a_draft_the_request_owns(anonymous, mailoutbox):
    draft_id = start_draft(anonymous)

    assert send_link(browser(ua=FIREFOX), draft_id).status_code == 404
    assert browser().get(email_page(draft_id)).status_code == 404
    assert mailoutbox == []


# --- configuration ---------------------------------------------------------------------------------

def _mail_settings(**env):
    code = (
        "import wizard_site.settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_FILE_PATH, s.DEFAULT_FROM_EMAIL, sep='|')"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_") and k not in ("DEBUG", "DEFAULT_FROM_EMAIL")}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**base, "SECRET_KEY": "x", **env}, capture_output=True, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return result


def test_it_reads_mail_settings_from_the_environment():
    debug = _mail_settings(DEBUG="1").stdout.strip().split("|")
    assert debug[0] == "django.core.mail.backends.console.EmailBackend"
    production = _mail_settings(DEBUG="0").stdout.strip().split("|")
    assert production[0] == "django.core.mail.backends.smtp.EmailBackend"
    custom = _mail_settings(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587", EMAIL_USE_TLS="true", EMAIL_FILE_PATH="/tmp/mail", DEFAULT_FROM_EMAIL="Wizard <w@example.com>",
    ).stdout.strip().split("|")
    assert custom == [
        "django.core.mail.backends.filebased.EmailBackend", "smtp.example.com", "587", "True", "/tmp/mail",
        "Wizard <w@example.com>",
    ]
    bad = _mail_settings(EMAIL_PORT="twenty-five")
    assert bad.returncode != 0 and "EMAIL_PORT" in bad.stderr
