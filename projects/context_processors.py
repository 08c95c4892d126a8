from datetime import timedelta

from django.conf import settings
from django.utils.timesince import timeuntil

from sessions_store import clock


def draft_lifetime(request):
    """How long a draft is kept after the last activity, for the footer ("1 day")."""
    now = clock.now()
    return {"draft_lifetime": timeuntil(now + timedelta(seconds=settings.SESSION_TTL), now)}
