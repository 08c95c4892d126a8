"""formtools storage over the draft store (the CookieStorage pattern: load in __init__, write once).

Unlike formtools' SessionStorage it never touches ``request.session``: the state is the draft
record in Redis, named by the draft UUID in the URL. The wizard view calls ``persist()`` once per
request, after the handler, so a request costs one read and at most one write.
"""

import json
import secrets

from formtools.wizard.storage.base import BaseStorage

from .drafts import Draft
from .store import get_draft_store


class DraftStorage(BaseStorage):
    def __init__(self, prefix, request=None, file_storage=None, draft_id=None):
        super().__init__(prefix, request, file_storage)
        self.store = get_draft_store()
        self.commit_token = None
        self.forget()
        if draft_id is not None:
            self.open(draft_id)

    def open(self, draft_id, *, for_commit=None):
        """Load the draft (sliding its expiry). A missing draft leaves an empty, unsaved state.

        ``for_commit`` (an owner) also takes the draft's commit lock in the same round trip if that
        owner owns the draft; ``commit_token`` is then set until the lock is given back
        (release_commit_lock) or the draft is deleted."""
        if for_commit is not None:
            token = secrets.token_hex(16)
            self.draft, self.tombstone_owner, locked = self.store.load_for_commit(
                str(draft_id), token, for_commit.key
            )
            self.commit_token = token if locked else None
        else:
            self.draft, self.tombstone_owner = self.store.load(str(draft_id))
        if self.draft is not None:
            self.data = self.draft.wizard
            self._snapshot = self._state()

    def release_commit_lock(self):
        if self.commit_token and self.draft is not None:
            self.store.release_commit_lock(self.draft.id, self.commit_token)
        self.commit_token = None

    def forget(self):
        """Drop the draft from this request (after a commit, or when it could not be read)."""
        self.release_commit_lock()
        self.draft = None
        self.tombstone_owner = None
        self.is_new = False
        self._snapshot = None
        self.init_data()

    def start(self, *, owner, metadata):
        """Begin a new draft in memory; it is written only by the first persist()."""
        self.draft = Draft.new(owner=owner, metadata=metadata)
        self.draft.wizard = self.data
        self.is_new = True

    def _state(self):
        """(the user's data, everything else): a change to the first bumps the draft's revision."""
        draft = self.draft
        return draft.data_state(), json.dumps([draft.wizard.get("step"), draft.owner])

    @property
    def changed(self):
        return self.draft is not None and (self.is_new or self._state() != self._snapshot)

    def persist(self, step=None):
        """Write the draft if anything changed. Redis errors propagate (a 503, never a silent loss)."""
        if not self.changed:
            return False
        if self.is_new or self._state()[0] != self._snapshot[0]:
            self.draft.revision += 1
        if self.is_new:
            self.store.create(self.draft, step=step)
            self.is_new = False
        else:
            self.store.save(self.draft, step=step)
        self._snapshot = self._state()
        return True

    def discard_files_after_response(self, tmp_names):
        """Queue temporary files for deletion once the response is complete (formtools' hook)."""
        self._tmp_files.extend(tmp_names)
