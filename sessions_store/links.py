"""Links that open a draft from anywhere (emailed to its owner): the draft id, signed with a
secret kept in the draft itself.

A link is good for as long as its draft lives (Redis expires the draft, and the secret with
it): there is no clock in the token. Deleting the draft (a
discard, a commit, expiry) deletes the secret, which revokes every link sent for it. The salt
makes the signature good for this purpose only, and SECRET_KEY signs it, so nobody can make one.
"""

import secrets

from django.core.signing import BadSignature, Signer

from .drafts import is_draft_id

SALT = "sessions_store.links.draft"


def new_link_secret():
    return secrets.token_urlsafe(18)


def _signer(secret):
    return Signer(salt=f"{SALT}:{secret}")


def link_token(draft):
    """The token of a link to ``draft``, which must have its ``link_secret``."""
    assert draft.link_secret, "give the draft a link_secret (and save it) first"
    return _signer(draft.link_secret).sign(draft.id)


def draft_id_of(token):
    """The draft a token names, unverified (None when it names none)."""
    draft_id = str(token).split(":", 1)[0]  # Signer: "<value>:<signature>"
    return draft_id if is_draft_id(draft_id) else None


def link_opens(draft, token):
    """Whether ``token`` is a link to ``draft`` as it is now (live, its secret unchanged)."""
    if draft is None or not draft.link_secret:
        return False
    try:
        return _signer(draft.link_secret).unsign(token) == draft.id
    except BadSignature:
        return False
