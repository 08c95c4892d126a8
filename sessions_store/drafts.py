"""The draft record (the seed's ProjectSession) and who owns it."""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from . import clock

# Bump when step or field names change, so stored drafts can be recognised (and migrated or
# sent back to the step that no longer validates) instead of failing obscurely.
SCHEMA_VERSION = 1

USER_AGENT_MAX = 512


def empty_wizard_state():
    # The same shape as formtools' BaseStorage.init_data().
    return {"step": None, "step_data": {}, "step_files": {}, "extra_data": {}}


@dataclass
class Owner:
    """A logged-in user (``u:<pk>``) or an anonymous browser (``a:<token in its Django session>``)."""

    key: str
    user_agent_hash: str = ""

    @property
    def is_anonymous(self):
        return self.key.startswith("a:")

    @property
    def user_id(self):
        return int(self.key[2:]) if self.key.startswith("u:") else None

    def owns(self, draft):
        if draft.owner != self.key:
            return False
        # An anonymous draft is bound to its browser: the session cookie and the user agent.
        return not self.is_anonymous or draft.user_agent_hash == self.user_agent_hash


def user_agent_hash(user_agent):
    return hashlib.sha256((user_agent or "").encode()).hexdigest()[:16]


_PLATFORMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def request_metadata(request):
    """The seed's metadata: user agent, IP address and platform (deviceInfo)."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    platform = request.META.get("HTTP_SEC_CH_UA_PLATFORM", "").strip('"')
    if not platform:
        platform = next((name for marker, name in _PLATFORMS if marker in user_agent), "Unknown")
    return {
        "user_agent": user_agent,
        # REMOTE_ADDR only: behind a proxy, set it from X-Forwarded-For in the proxy layer
        # (trusting the header here would let anyone forge it).
        "ip_address": request.META.get("REMOTE_ADDR", ""),
        "platform": platform[:64],
    }


_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def is_draft_id(value):
    return bool(_UUID4.match(str(value)))


def _unprefixed(step, data):
    prefix = f"{step}-"
    return {key[len(prefix):]: value for key, value in data.items() if key.startswith(prefix)}


def _iso(moment):
    return moment.isoformat()


def _parse(moment):
    return datetime.fromisoformat(moment)


@dataclass
class Draft:
    id: str
    owner: str
    user_agent_hash: str
    wizard: dict = field(default_factory=empty_wizard_state)
    # Attached documents: [{id, name, tmp_name, size, content_type, uploaded_at}], in upload order.
    files: list = field(default_factory=list)
    validation: dict = field(default_factory=dict)  # step name -> bool
    # Autosaved, not yet submitted values: step -> {"data": {prefixed field: [values]}, "saved_at"}.
    # Kept apart from the wizard's step data, so a step is complete only when it is submitted.
    pending: dict = field(default_factory=dict)
    created_at: datetime = None
    last_activity: datetime = None
    expires_at: datetime = None
    metadata: dict = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    version: int = 0  # write counter: every successful save increments it
    # What pages and API clients hold ("draft_version"): it changes only when the user's data
    # does, so a tab that only moved between steps does not make another tab's write stale.
    revision: int = 0

    @classmethod
    def new(cls, *, owner, metadata):
        moment = clock.now()
        return cls(
            id=str(uuid.uuid4()),
            owner=owner.key,
            user_agent_hash=owner.user_agent_hash,
            created_at=moment,
            last_activity=moment,
            expires_at=moment + timedelta(seconds=settings.SESSION_TTL),
            metadata=metadata,
        )

    @property
    def current_step(self):
        return self.wizard.get("step")

    @property
    def completed_steps(self):
        return [step for step, valid in self.validation.items() if valid]

    @property
    def files_size(self):
        return sum(item["size"] for item in self.files)

    def pending_data(self, step):
        """The autosaved, unsubmitted values of ``step`` (prefixed keys), or None."""
        entry = self.pending.get(step)
        return entry["data"] if entry else None

    def step_values(self, step):
        """The raw values submitted for ``step`` (field -> list of strings), without the prefix."""
        return _unprefixed(step, self.wizard["step_data"].get(step) or {})

    def shown_values(self, step):
        """Like step_values, but what the user last typed: autosaved values over submitted ones."""
        pending = self.pending_data(step)
        return self.step_values(step) if pending is None else _unprefixed(step, pending)

    @property
    def project_name(self):
        values = self.shown_values("details").get("project_name") or [""]
        return values[0].strip()

    def data_state(self):
        """The user's data as one string: when it changes, the draft's revision must change."""
        wizard = self.wizard
        return json.dumps(
            [wizard["step_data"], wizard["step_files"], wizard["extra_data"], self.files,
             self.validation, self.pending],
            cls=DjangoJSONEncoder,
            sort_keys=True,
        )

    def to_dict(self):
        return {
            "id": self.id,
            "owner": self.owner,
            "ua": self.user_agent_hash,
            "wizard": self.wizard,
            "files": self.files,
            "validation": self.validation,
            "pending": self.pending,
            "created_at": _iso(self.created_at),
            "last_activity": _iso(self.last_activity),
            "expires_at": _iso(self.expires_at),
            "metadata": self.metadata,
            "schema": self.schema_version,
            "version": self.version,
            "revision": self.revision,
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            id=data["id"],
            owner=data["owner"],
            user_agent_hash=data.get("ua", ""),
            wizard=data.get("wizard") or empty_wizard_state(),
            files=data.get("files") or [],
            validation=data.get("validation") or {},
            pending=data.get("pending") or {},
            created_at=_parse(data["created_at"]),
            last_activity=_parse(data["last_activity"]),
            expires_at=_parse(data["expires_at"]),
            metadata=data.get("metadata") or {},
            schema_version=data.get("schema", SCHEMA_VERSION),
            version=data.get("version", 0),
            revision=data.get("revision", 0),
        )
