"""formtools storage over the draft store (the CookieStorage pattern: load once, write in
``update_response``).

Unlike formtools' SessionStorage it never touches ``request.session``: the state is the draft
record, named by the draft UUID in the URL, which the view opens with ``open()``. formtools calls
``update_response()`` once per request, after the handler, and that is where the draft is
written, if anything changed: a request costs one read and at most one write. A store error
raised there propagates to the view (a 503 or 409 page, never a silent loss).
"""

import json

from formtools.wizard.storage.base import BaseStorage

from .store import get_draft_store


class DraftStorage(BaseStorage):
    def __init__(self, prefix, request=None, file_storage=None):
        super().__init__(prefix, request, file_storage)
        self.store = get_draft_store()
        self.commit_lock = None
        self.logged_step = None  # the step this request is about, for the store's log line
        self.forget()

    def open(self, draft_id, *, lock_owner=None, count_uploads=False):
        """Load the draft (sliding its expiry). A missing draft leaves an empty, unsaved state.

        With ``lock_owner`` (an owner key) the load also takes the draft's commit lock in the
        same round trip, if that owner owns the draft: ``commit_lock`` then holds it until it is
        released or the draft is deleted. ``count_uploads``: the store's load() flag."""
        if lock_owner is not None:
            self.draft, self.tombstone_owner, self.commit_lock = self.store.load_for_commit(
                str(draft_id), owner_key=lock_owner
            )
        else:
            self.draft, self.tombstone_owner = self.store.load(str(draft_id), count_uploads=count_uploads)
        if self.draft is not None:
            self.data = self.draft.wizard
            self._snapshot = self._navigation()

    def start(self, draft):
        """Adopt a new draft (Draft.new); it is written by this request's update_response()."""
        draft.wizard = self.data
        self.draft = draft

    def release_commit_lock(self):
        if self.commit_lock is not None:
            self.commit_lock.release()
            self.commit_lock = None

    def forget(self):
        """Drop the draft from this request (after a commit, or when it could not be read)."""
        self.release_commit_lock()
        self.draft = None
        self.tombstone_owner = None
        self._snapshot = None
        self.init_data()

    def reset(self):
        """formtools resets the storage after done(). A completed commit has deleted and
        forgotten the draft already; a failed one keeps it, with what it changed (written by
        update_response), so there is nothing to reset."""

    def _navigation(self):
        return json.dumps([self.draft.wizard.get("step"), self.draft.owner])

    @property
    def changed(self):
        draft = self.draft
        return draft is not None and (draft.is_new or draft.data_changed() or self._navigation() != self._snapshot)

    def persist(self):
        """Write the draft if anything changed (the store moves its revision if its data did)."""
        if not self.changed:
            return False
        if self.draft.is_new:
            self.store.create(self.draft, step=self.logged_step)
        else:
            self.store.save(self.draft, step=self.logged_step)
        self._snapshot = self._navigation()
        return True

    def update_response(self, response):
        self.persist()
        super().update_response(response)

    def discard_files_after_response(self, tmp_names):
        """Queue temporary files for deletion once the response is complete (formtools' hook)."""
        self._tmp_files.extend(tmp_names)
