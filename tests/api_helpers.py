"""The JSON session API's shared helpers (tests/test_api_*.py): requests as an API client sends
them, and step 1 as an API client sends it (camelCase, numbers as JSON numbers).

The ``anonymous`` and ``signed_in`` browsers are fixtures in conftest.py.
"""

import json

from .wizard_helpers import VALID_DETAILS


SESSIONS = "/api/sessions"


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# Step 1 as an API client sends it: numbers as JSON numbers.
DETAILS = {
    **{camel(key): value for key, value in VALID_DETAILS.items()},
    "squareFootage": 45000,
    "numberOfFloors": 6,
    "numberOfZones": 24,
    "budget": 1250000,
}
# ... and as the API gives it back.
DETAILS_READ = dict(DETAILS)


# --- helpers --------------------------------------------------------------------------------------

def session_url(session_id):
    return f"{SESSIONS}/{session_id}"


def validate_url(session_id):
    return f"{SESSIONS}/{session_id}/validate"


def send(client, method, url, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json", **extra)


def create(client, body=None, **extra):
    return send(client, "post", SESSIONS, {} if body is None else body, **extra)


def created(client, body=None, **extra):
    response = create(client, body, **extra)
    assert response.status_code == 201, response.content.decode()[:2000]
    return response.json()


def update(client, body, **extra):
    return send(client, "put", SESSIONS, body, **extra)


def read(client, session_id, **extra):
    return client.get(session_url(session_id), **extra)


def current(client, session_id):
    response = read(client, session_id)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.json()
