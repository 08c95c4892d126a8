"""Who owns a draft: the logged-in user, or the anonymous browser (its Django session + user agent)."""

import secrets

from .drafts import Owner, user_agent_hash

SESSION_KEY = "draft_owner_token"


def request_owner(request, *, create=False):
    """The owner a request speaks for, or None for an anonymous visitor who has no draft yet.

    With ``create`` an anonymous visitor gets a random token in its Django session. The token,
    not the session key, names the owner: ``login()`` cycles the session key but keeps the data,
    so the token is still there to hand the drafts over to the user.
    """
    ua_hash = user_agent_hash(request.META.get("HTTP_USER_AGENT", ""))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Owner(key=f"u:{user.pk}", user_agent_hash=ua_hash)
    token = request.session.get(SESSION_KEY)
    if token is None:
        if not create:
            return None
        token = secrets.token_urlsafe(18)
        request.session[SESSION_KEY] = token
    return Owner(key=f"a:{token}", user_agent_hash=ua_hash)


def anonymous_owner_from_session(request):
    token = request.session.get(SESSION_KEY)
    if token is None:
        return None
    return Owner(key=f"a:{token}", user_agent_hash=user_agent_hash(request.META.get("HTTP_USER_AGENT", "")))
