"""The draft record (the seed's ProjectSession) and who owns it.

A draft has two counters that must not be confused:

- ``writes`` counts every successful save; the store's compare-and-set is on it, so two
  requests that read the same draft cannot both write it.
- ``revision`` counts changes to the user's data only (what pages and API clients hold as
  ``draft_version`` / ``version``): moving between steps or a staff extension leaves it alone,
  so a tab that only navigated does not make another tab's write stale. The store moves it on
  save when ``data_changed()``.
"""

import hashlib
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from . import clock

# The record's layout. A record of an older schema is upgraded by ``upgrade()`` when it is read;
# it is written back in the current layout by its next save.
SCHEMA_VERSION = 3


def _rename_version_to_writes(data):
    data["writes"] = data.get("version", 0)


def _bind_to_user_agent_family(data):
    # Schema 2 bound a draft to a hash of the whole user-agent string, so a browser update lost
    # it. The user agent that made the draft is in its metadata: when it is the one hashed (not
    # cut at USER_AGENT_MAX), bind the draft to its family instead. Otherwise the old hash stays,
    # and Owner.owns still accepts it from that very browser.
    user_agent = (data.get("metadata") or {}).get("user_agent", "")
    if data.get("ua") and data["ua"] == exact_user_agent_hash(user_agent):
        data["ua"] = user_agent_hash(user_agent)


# schema N -> N + 1
UPGRADES = {1: _rename_version_to_writes, 2: _bind_to_user_agent_family}


def upgrade(data):
    """Bring a stored record (a dict) up to SCHEMA_VERSION, in place; returns it."""
    schema = data.get("schema", 1)
    while schema < SCHEMA_VERSION:
        UPGRADES[schema](data)
        schema += 1
    data["schema"] = schema
    return data


def empty_wizard_state():
    # The same shape as formtools' BaseStorage.init_data().
    return {"step": None, "step_data": {}, "step_files": {}, "extra_data": {}}


@dataclass
class Owner:
    """A logged-in user (``u:<pk>``) or an anonymous browser (``a:<token in its Django session>``).

    ``user_agent_hash`` names the browser's family (user_agent_family); ``exact_agent_hash`` its
    whole user-agent string, which only drafts of schema 2 that could not be upgraded hold."""

    key: str
    user_agent_hash: str = ""
    exact_agent_hash: str = ""

    @property
    def is_anonymous(self):
        return self.key.startswith("a:")

    def owns(self, draft):
        return draft.owner == self.key and (not self.is_anonymous or self._same_browser(draft))

    def in_other_browser(self, draft):
        """The token that made this anonymous draft, sent by a browser of another family."""
        return draft.owner == self.key and self.is_anonymous and not self._same_browser(draft)

    def _same_browser(self, draft):
        # An anonymous draft is bound to its browser: the session cookie and the browser's family
        # (name and OS, not the version, so that an update keeps it).
        return bool(draft.user_agent_hash) and draft.user_agent_hash in (self.user_agent_hash, self.exact_agent_hash)


def owner_kind(owner_key):
    return "user" if owner_key.startswith("u:") else "anonymous"


# (marker in the user agent, name), first match wins: Edge, Opera and Samsung Internet also say
# "Chrome", Chrome also says "Safari", and iOS says "like Mac OS X".
BROWSERS = (
    (("Edg/", "EdgA/", "EdgiOS/"), "Edge"),
    (("OPR/", "OPiOS/"), "Opera"),
    (("SamsungBrowser/",), "Samsung Internet"),
    (("Firefox/", "FxiOS/"), "Firefox"),
    (("Chrome/", "CriOS/", "Chromium/"), "Chrome"),
    (("Safari/",), "Safari"),
)
PLATFORMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def platform_of(user_agent):
    return next((name for marker, name in PLATFORMS if marker in user_agent), None)


def _browser_of(user_agent):
    return next((name for markers, name in BROWSERS if any(m in user_agent for m in markers)), None)


def user_agent_family(user_agent):
    """The browser's name and OS, e.g. "Chrome on Windows": what a version update leaves alone."""
    user_agent = user_agent or ""
    return f"{_browser_of(user_agent) or 'Other browser'} on {platform_of(user_agent) or 'another system'}"


def user_agent_hash(user_agent):
    """What an anonymous draft is bound to: its browser's family. An unknown browser is bound to
    its whole user agent: there is no telling which part of it is a version, and two unknown
    browsers must not be taken for one."""
    user_agent = user_agent or ""
    return exact_user_agent_hash(user_agent_family(user_agent) if _browser_of(user_agent) else user_agent)


def exact_user_agent_hash(user_agent):
    return hashlib.sha256((user_agent or "").encode()).hexdigest()[:16]


_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def is_draft_id(value):
    return bool(_UUID4.match(str(value)))


def _shown(step_data, pending):
    steps = set(step_data) | set(pending)
    return {step: (pending[step]["data"] if step in pending else step_data.get(step) or {}) for step in steps}


def _undo(values, earlier):
    """``values`` (prefixed keys) with a history entry's ``earlier`` values put back, in place."""
    for key, value in earlier.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def _json_bytes(value):
    """Its size as the record stores it: compact JSON, UTF-8 (a character may take 4 bytes)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _unprefixed(step, data):
    prefix = f"{step}-"
    return {key[len(prefix):]: value for key, value in data.items() if key.startswith(prefix)}


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
    writes: int = 0  # successful saves; 0 = never saved
    revision: int = 0  # changes to the user's data (see the module docstring)
    # Earlier values, newest last: {"r": revision, "at": iso time, "p": {step: {input name:
    # value before revision r, or None}}}; bounded by DRAFT_HISTORY_REVISIONS and
    # DRAFT_HISTORY_BYTES. Values at any revision from ``history_base`` on can be rebuilt.
    history: list = field(default_factory=list)
    history_base: int = 0
    # Signs the links emailed for this draft (sessions_store.links); "" until the first is sent.
    # It goes with the draft, so a discarded or expired draft's links stop working.
    link_secret: str = field(default="", repr=False)
    # The user's data as last read or written (None: never saved).
    saved_data: str = field(default=None, repr=False, compare=False)
    # The record's JSON as read, until saved_data is needed: lists of drafts (and pages that
    # save nothing) never pay for it.
    saved_source: str = field(default=None, repr=False, compare=False)
    # The schema of the record as it was read (it is written back as SCHEMA_VERSION).
    stored_schema: int = field(default=SCHEMA_VERSION, repr=False, compare=False)
    # Bytes of the files of every live draft of this draft's owner (this one's as last saved),
    # as the load that read it found them; None when that read did not count them. Not stored.
    owner_upload_bytes: int = field(default=None, repr=False, compare=False)

    @property
    def upload_bytes(self):
        """Bytes of this draft's own files."""
        return sum(item.get("size") or 0 for item in self.files)
    # Counter names counted once in the draft's life (count_once), kept in the record ("co").
    counted: list = field(default_factory=list, repr=False, compare=False)
    # Counter names to count with the next write (sessions_store.counters); not stored.
    counts: Counter = field(default_factory=Counter, repr=False, compare=False)
    # Seconds the draft lay unread and unwritten before the read that loaded it (None: unknown).
    idle_seconds: float = field(default=None, repr=False, compare=False)

    @classmethod
    def new(cls, *, owner, metadata):
        """A draft in memory (its first save creates it); ``owner`` None: given one later."""
        moment = clock.now()
        return cls(
            id=str(uuid.uuid4()),
            owner=owner.key if owner else "",
            user_agent_hash=owner.user_agent_hash if owner else "",
            created_at=moment,
            last_activity=moment,
            expires_at=moment + timedelta(seconds=settings.SESSION_TTL),
            metadata=metadata,
        )

    def count(self, *names):
        """Count ``names`` with this draft's next write, if it happens (sessions_store.counters)."""
        self.counts.update(names)

    def count_once(self, *names):
        """Like count(), but each name at most once in the draft's life."""
        for name in names:
            if name not in self.counted:
                self.counted.append(name)
                self.counts[name] += 1

    @property
    def current_step(self):
        return self.wizard.get("step")

    @property
    def is_new(self):
        return self.writes == 0

    def shown_data(self, step):
        """What the user last saw in ``step`` (prefixed keys): autosaved values over submitted ones."""
        entry = self.pending.get(step)
        return entry["data"] if entry else (self.wizard["step_data"].get(step) or {})

    def shown(self):
        """shown_data() of every step that has values."""
        return _shown(self.wizard["step_data"], self.pending)

    def note_revision(self, moment):
        """The data changed: move the revision, and keep what the changed values were before."""
        self.revision += 1
        before = {}
        if self.saved_state() is not None:
            state = json.loads(self.saved_data)
            before = _shown(state[0], state[5])
        now = self.shown()
        changed = {}
        for step in set(before) | set(now):
            old, new = before.get(step, {}), now.get(step, {})
            keys = {key: old.get(key) for key in set(old) | set(new) if old.get(key) != new.get(key)}
            if keys:
                changed[step] = keys
        if changed:
            self.history.append({"r": self.revision, "at": moment.isoformat(), "p": changed})
        self.trim_history(settings.DRAFT_HISTORY_REVISIONS, settings.DRAFT_HISTORY_BYTES)

    def trim_history(self, revisions, max_bytes):
        """Drop the oldest earlier values until at most ``revisions`` entries of ``max_bytes``."""
        while self.history and (len(self.history) > revisions or _json_bytes(self.history) > max_bytes):
            self.history_base = self.history.pop(0)["r"]

    def values_at(self, revision):
        """{step: values} as they were at ``revision``, or None if that is older than the history."""
        try:
            revision = int(revision)
        except (TypeError, ValueError):
            return None
        if revision > self.revision or revision < self.history_base:
            return None
        values = {step: dict(data) for step, data in self.shown().items()}
        for entry in reversed(self.history):
            if entry["r"] <= revision:
                break
            for step, keys in entry["p"].items():
                _undo(values.setdefault(step, {}), keys)
        return values

    def step_changes(self, step):
        """[(revision, at, before, after)] of each kept change to ``step``'s shown values, newest
        first: ``before`` and ``after`` are the step's whole values (prefixed keys) around it.
        The newest ``after`` is what the step shows now; the oldest ``before`` is the step at
        that change's revision - 1 (never older than ``history_base``)."""
        values = dict(self.shown_data(step))
        changes = []
        for entry in reversed(self.history):
            keys = entry["p"].get(step)
            if not keys:
                continue
            before = _undo(dict(values), keys)
            changes.append((entry["r"], datetime.fromisoformat(entry["at"]), before, values))
            values = before
        return changes

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

    def data_state(self):
        """The user's data as one string: when it changes, the draft's revision must change."""
        wizard = self.wizard
        return json.dumps(
            [wizard["step_data"], wizard["step_files"], wizard["extra_data"], self.files,
             self.validation, self.pending],
            cls=DjangoJSONEncoder,
            sort_keys=True,
        )

    def saved_state(self):
        """data_state() as last read or written (None: never saved)."""
        if self.saved_data is None and self.saved_source is not None:
            self.saved_data = Draft.from_dict(json.loads(self.saved_source), snapshot=False).data_state()
            self.saved_source = None
        return self.saved_data

    def data_changed(self):
        saved = self.saved_state()
        return saved is None or self.data_state() != saved

    def mark_saved(self):
        self.saved_data, self.saved_source = self.data_state(), None

    def to_dict(self):
        return {
            "id": self.id,
            "owner": self.owner,
            "ua": self.user_agent_hash,
            "wizard": self.wizard,
            "files": self.files,
            "validation": self.validation,
            "pending": self.pending,
            "created_at": self.created_at.isoformat(),
            "last_activity": self.last_activity.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "metadata": self.metadata,
            "schema": SCHEMA_VERSION,
            "writes": self.writes,
            # Schema 1's name of the write counter, kept for one release so that processes still
            # running schema-1 code during a rolling deploy keep their compare-and-set working.
            "version": self.writes,
            "revision": self.revision,
            "history": self.history,
            "hb": self.history_base,
            "link_secret": self.link_secret,
            **({"co": self.counted} if self.counted else {}),
        }

    def to_json(self):
        """Compact JSON, UTF-8 as is (not \\u escapes): smaller, and Lua's cjson never meets a
        surrogate escape."""
        return json.dumps(self.to_dict(), cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data, *, snapshot=True):
        stored_schema = data.get("schema", 1)
        data = upgrade(dict(data))
        draft = cls(
            id=data["id"],
            owner=data["owner"],
            user_agent_hash=data.get("ua", ""),
            wizard=data.get("wizard") or empty_wizard_state(),
            files=data.get("files") or [],
            validation=data.get("validation") or {},
            pending=data.get("pending") or {},
            created_at=datetime.fromisoformat(data["created_at"]),
            last_activity=datetime.fromisoformat(data["last_activity"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            metadata=data.get("metadata") or {},
            writes=data.get("writes", 0),
            revision=data.get("revision", 0),
            history=data.get("history") or [],
            # A record written without history (by an older release) knows no earlier values:
            # no page of an older revision may be merged as if nothing had changed since.
            history_base=data.get("hb", 0) if "history" in data else data.get("revision", 0),
            link_secret=data.get("link_secret", ""),
            counted=list(data.get("co") or []),
        )
        draft.stored_schema = stored_schema
        if snapshot:
            draft.mark_saved()
        return draft

    @classmethod
    def from_json(cls, raw):
        draft = cls.from_dict(json.loads(raw), snapshot=False)
        draft.saved_source = raw
        return draft
