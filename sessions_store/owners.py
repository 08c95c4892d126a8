"""Who owns a draft (the logged-in user, or the anonymous browser: its Django session + browser family),
and what a request tells about where a draft was made."""

import secrets

from .drafts import Owner, exact_user_agent_hash, platform_of, user_agent_family, user_agent_hash

SESSION_KEY = "draft_owner_token"
USER_AGENT_MAX = 512


def request_owner(request, *, create=False):
    """The owner a request speaks for, or None for an anonymous visitor who has no draft yet.

    With ``create`` an anonymous visitor gets a random token in its Django session. The token,
    not the session key, names the owner: ``login()`` cycles the session key but keeps the data,
    so the token is still there to hand the drafts over to the user.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user_owner(request, user)
    token = request.session.get(SESSION_KEY)
    if token is None:
        if not create:
            return None
        token = secrets.token_urlsafe(18)
        request.session[SESSION_KEY] = token
    return _owner(request, f"a:{token}")


def user_owner(request, user):
    """``user`` as a draft owner, in the browser of ``request``."""
    return _owner(request, user_owner_key(user))


def user_owner_key(user):
    """The owner key of a user's drafts, in any browser."""
    return f"u:{user.pk}"


def anonymous_owner_from_session(request):
    """The anonymous owner whose token this request's session holds, whoever is logged in."""
    token = request.session.get(SESSION_KEY)
    if token is None:
        return None
    return _owner(request, f"a:{token}")


def forget_anonymous_owner(request):
    request.session.pop(SESSION_KEY, None)


def _owner(request, key):
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    return Owner(key=key, user_agent_hash=user_agent_hash(user_agent), exact_agent_hash=exact_user_agent_hash(user_agent))


def request_user_agent_family(request):
    return user_agent_family(request.META.get("HTTP_USER_AGENT", ""))


def request_metadata(request):
    """The seed's metadata: user agent, IP address and platform (deviceInfo)."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    platform = request.META.get("HTTP_SEC_CH_UA_PLATFORM", "").strip('"')
    if not platform:
        platform = platform_of(user_agent) or "Unknown"
    return {
        "user_agent": user_agent,
        # REMOTE_ADDR only: behind a proxy, set it from X-Forwarded-For in the proxy layer
        # (trusting the header here would let anyone forge it).
        "ip_address": request.META.get("REMOTE_ADDR", ""),
        "platform": platform[:64],
    }
