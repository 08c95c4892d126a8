"""Per-IP limits against an IPv6 client that rotates addresses: every address of its /48 (by
default; SESSION_IPV6_PREFIX) shares one budget, so a /48's 65,536 /64s gain it nothing (M1)."""

import uuid

import pytest

from ..api_helpers import read
from ..wizard_helpers import browser, json_error

pytestmark = pytest.mark.django_db

SAME_48 = ("2001:db8:1:2::1", "2001:db8:1:ffff::9")  # two /64s of one /48


def test_it_counts_lookups_from_the_whole_ipv6_48_together(settings):
    settings.SESSION_MAX_ATTEMPTS = 2
    first, second = (browser(REMOTE_ADDR=address) for address in SAME_48)
    for client in (first, second):
        json_error(read(client, str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
    json_error(read(browser(REMOTE_ADDR="2001:db8:1:8000::5"), str(uuid.uuid4())), 429, "TOO_MANY_ATTEMPTS")
    json_error(read(browser(REMOTE_ADDR="2001:db8:2::1"), str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")


def test_it_counts_per_the_configured_prefix(settings):
    settings.SESSION_MAX_ATTEMPTS = 1
    settings.SESSION_IPV6_PREFIX = 64
    first, second = (browser(REMOTE_ADDR=address) for address in SAME_48)
    json_error(read(first, str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
    json_error(read(second, str(uuid.uuid4())), 404, "SESSION_NOT_FOUND")
    json_error(read(first, str(uuid.uuid4())), 429, "TOO_MANY_ATTEMPTS")
