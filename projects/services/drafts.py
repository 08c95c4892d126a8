"""Services that write drafts: start, submit a step, autosave, restore an earlier version, update
(API), discard, restore, delete, claim, extend. The rules live here once: the creation limit,
the owner, the stale-revision check, what a submitted or autosaved step keeps."""

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.conf import settings
from django.utils.datastructures import MultiValueDict

from sessions_store import clock
from sessions_store.drafts import Draft
from sessions_store.files import delete_draft_files, draft_file_storage
from sessions_store.limits import allow_creation
from sessions_store.memory import memory_reading
from sessions_store.merge import merge
from sessions_store.owners import anonymous_owner_from_session, forget_anonymous_owner, request_metadata, request_owner, user_owner
from sessions_store.store import DraftConflict, DraftGone, OwnerAtCap, OwnerUploadsFull, get_draft_store

from .. import access, analytics, steps
from ..selectors import draft_for_request, drafts_of_owner
from ..uploads import display_name, storage_suffix


class RateLimited(Exception):
    """Too many drafts started from this address (SESSION_RATE_LIMIT)."""

    def __init__(self, retry_after):
        super().__init__(f"too many drafts started; retry after {retry_after}s")
        self.retry_after = retry_after


class StoreFull(Exception):
    """New drafts are refused while the draft store's Redis is nearly full
    (REDIS_MEMORY_GUARD_PERCENT of maxmemory): the drafts people are filling in keep saving."""


class DraftStale(Exception):
    """The request was made from an older revision of the draft (another tab wrote since)."""


class DraftConflicts(Exception):
    """The same answers were changed differently here and elsewhere since the page was loaded:
    ``conflicts`` is {input name: (this page's value, the stored value)}; ``merged`` the step's
    values merged from both sides (the stored value where they conflict). Nothing was saved."""

    def __init__(self, conflicts, *, draft, merged=None):
        super().__init__(f"{len(conflicts)} answers were changed elsewhere")
        self.conflicts, self.draft, self.merged = conflicts, draft, merged or {}

    def shown(self, values):
        """What a page should now show: the merged values, and its own where they conflict."""
        return {**self.merged, **{key: values.get(key) for key in self.conflicts if values.get(key) is not None}}


class VersionNotKept(Exception):
    """The revision asked for is not one the draft's history can rebuild (older than it kept)."""


class StepsInvalid(Exception):
    """Values that don't validate (``errors``: {input name: [messages]}), or a step that can't
    be reached or submitted yet (no errors)."""

    def __init__(self, message, *, errors=None):
        super().__init__(message)
        self.message, self.errors = message, errors or {}


@dataclass
class StepChanges:
    """What an API write asks for, already parsed: values per step (merged over what the draft
    shows), steps to submit, and where the wizard resumes."""

    values: dict = field(default_factory=dict)
    submit: list = field(default_factory=list)  # step names, in order
    current: str = None


# --- the rules, once ---------------------------------------------------------------------------

def parse_revision(raw):
    """A revision as a page or client sends it: None when absent, else an int; DraftStale for
    anything that is no revision number (so never a 500 on odd input)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{1,18}", raw):
        return int(raw)
    raise DraftStale("not a revision number")


def draft_merge_step(*, draft, step, values, revision):
    """``values`` of ``step`` sent by a page that showed ``revision``, merged with what was
    saved since (another tab, device, or the page's own save on leaving): answers changed only
    there are kept, answers changed only here win. The connector list's management numbers are
    not answers: the larger count wins, so no row of either side is cut off. Raises
    DraftConflicts (with the merged values) when an answer was changed on both sides
    differently, DraftStale when ``revision`` is too old to merge with."""
    revision = parse_revision(revision)
    if revision is None or revision == draft.revision:
        return values
    base = draft.values_at(revision)
    if base is None:
        raise DraftStale("the page's revision is older than the draft's history")
    stored = steps.with_connectors(step, draft.shown_data(step))
    merged, conflicts = merge(steps.with_connectors(step, base.get(step, {})), stored, values)
    for key in steps.management_keys(step):
        conflicts.pop(key, None)
        counts = [int(v[0]) for v in (stored.get(key), values.get(key)) if v and str(v[0]).isdigit()]
        if counts:
            merged[key] = [str(max(counts))]
    if conflicts:
        analytics.note_conflict_shown()
        raise DraftConflicts(conflicts, draft=draft, merged=merged)
    if stored != steps.with_connectors(step, base.get(step, {})):
        analytics.note_merged(draft)  # answers saved elsewhere meanwhile are kept
    return merged


def _new_draft(request, step):
    draft = Draft.new(owner=None, metadata=request_metadata(request))
    draft.wizard["step"] = step
    return draft


def draft_start(*, request, step=steps.FIRST_STEP, draft=None):
    """Start a draft for the request's owner (creating an anonymous owner if needed): the
    creation limit, the owner, then the draft in memory, which its first save creates.
    ``draft``: one built with ``Draft.new(owner=None)`` and checked already. Raises StoreFull,
    RateLimited; its first save raises OwnerAtCap when the owner has as many drafts as allowed."""
    if memory_reading().full:
        raise StoreFull("the draft store is nearly full")
    verdict = allow_creation(request)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)
    owner = request_owner(request, create=True)
    draft = draft or _new_draft(request, step)
    draft.owner, draft.user_agent_hash = owner.key, owner.user_agent_hash
    analytics.note_created(draft)
    return draft


def _submit(draft, step, values, valid, shown_at=None):
    """A step is submitted: its values are the step's now, not unsubmitted changes. An invalid
    step keeps what was typed, but the steps after it can't be reached until it is fixed.
    ``shown_at``: when the page was shown (epoch seconds, as the page sent it), for analytics."""
    draft.wizard["step_data"][step] = values
    draft.pending.pop(step, None)
    draft.validation[step] = valid
    if valid:
        analytics.note_submitted(draft, step, shown_at=shown_at)


def _within_limits(draft, step, values):
    """``(values, refused)``: ``values`` with each one over its field's limits (steps.over_limits)
    left as the step held it before, and the refused inputs' messages."""
    refused = steps.over_limits(step, values)
    if not refused:
        return values, {}
    before = steps.current_values(draft, step)
    kept = {key: items for key, items in values.items() if key not in refused}
    kept.update({key: before[key] for key in refused if key in before})
    return kept, refused


def _set_pending(draft, step, values):
    """Keep ``values`` as the step's unsubmitted values; values equal to what was submitted are
    no unsubmitted change. Returns whether the draft changed."""
    if values == steps.submitted_values(draft, step) and draft.validation.get(step) is not None:
        return draft.pending.pop(step, None) is not None
    if draft.pending_data(step) == values:
        return False
    draft.pending[step] = {"data": values, "saved_at": clock.now().isoformat()}
    return True


def once_more_after_a_navigation(attempt):
    """Run a read-check-write ``attempt`` again if the store refused its write because the draft
    was written in between. The second read decides: if only another tab's navigation wrote (the
    revision is the same) the write goes through; if the user's data changed, it is stale."""
    try:
        return attempt()
    except DraftConflict:
        return attempt()


# --- the wizard's pages (the storage writes; see the package docstring) --------------------------

def draft_submit_step(*, draft, step, form, valid, file_storage, shown_at=None):
    """Submit ``form`` as ``step``'s values. A requirements step also changes the draft's
    documents, valid or not (see draft_keep_documents): returns the temporary names of the files
    it stored and of those it removes. ``shown_at``: when the page was shown (analytics)."""
    values, _ = _within_limits(draft, step, steps.step_values(step, form.data))  # the form says why
    _submit(draft, step, values, valid, shown_at)
    if step != "requirements":
        return [], []
    return draft_keep_documents(draft=draft, form=form, file_storage=file_storage)


def draft_keep_documents(*, draft, form, file_storage):
    """A requirements submit's document changes, kept even when the step is refused (a bad file
    or another answer that needs fixing): each accepted new file is stored and attached, the
    ticked ones are removed. The form decided what that may be (``form.document_changes``: never
    over the limits, never no document at all). Returns (temporary names stored, to remove).

    The draft is written by the request's storage; if that write fails, the view deletes the
    files stored here again."""
    changes = form.document_changes
    removed = [item for item in draft.files if item["id"] in changes.remove]
    kept = [item for item in draft.files if item["id"] not in changes.remove]
    added = []
    for uploaded, kind in changes.add:
        name = display_name(uploaded.name)
        file_id = uuid.uuid4().hex[:12]
        tmp_name = file_storage.save(f"{draft.id}/{file_id}{storage_suffix(name)}", uploaded)
        added.append(tmp_name)
        kept.append(
            {
                "id": file_id,
                "name": name,
                "tmp_name": tmp_name,
                "size": uploaded.size,
                "content_type": kind.content_type,
                "uploaded_at": clock.now().isoformat(),
            }
        )
    draft.files = kept
    return added, [item["tmp_name"] for item in removed]


# --- documents, one at a time (the page's upload script) -----------------------------------------

@dataclass
class DocumentChange:
    """What an upload or a removal did: the draft as saved, the document concerned (None when
    it was gone already), and the revision a page that sent ``revision`` holds now."""

    draft: Draft
    document: dict
    revision: int


class DocumentRefused(Exception):
    """A file the step's own checks refuse (type, content, size, count, total size): nothing
    was stored. ``message`` names the file and says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _page_revision(draft, revision, before):
    """The revision the page holds after its change: the new one when nothing else changed the
    draft since the page's (``before``); else the page's own, so that its next save or submit is
    still merged with what was saved elsewhere (as autosave does)."""
    return draft.revision if parse_revision(revision) == before else parse_revision(revision)


def _document_draft(request, draft_id, revision, *, count_uploads=False):
    """The owner's draft, open at step 2, and not older than its history can merge (DraftStale).
    ``count_uploads``: a file is being added, so the owner's upload total comes with the load."""
    draft = draft_for_request(request=request, draft_id=draft_id, count_uploads=count_uploads)
    if not steps.may_open(draft, "requirements"):
        raise StepsInvalid("Complete the earlier steps first.")
    seen = parse_revision(revision)
    if seen is None:
        raise StepsInvalid("Send the page's draft_version.", errors={"draft_version": ["Required."]})
    if seen != draft.revision and draft.values_at(seen) is None:
        raise DraftStale("the page's revision is older than the draft's history")
    return draft


def draft_attach_document(*, request, draft_id, uploaded, revision):
    """Attach one file chosen on step 2, checked as a step-2 submit checks it (the form's rules:
    type and content, size, count and total size with the documents attached now). Raises
    DocumentRefused (nothing stored), else the store's errors (the stored file is deleted again).
    The step's answers are untouched: "Continue" submits the step."""

    file_storage = draft_file_storage()

    def attempt():
        draft = _document_draft(request, draft_id, revision, count_uploads=True)
        form = steps.bind("requirements", {}, draft, files=MultiValueDict({"requirements-documents": [uploaded]}))
        form.is_valid()
        if not form.document_changes.add:
            refused = form.errors.get("documents") or ["This file could not be attached."]
            raise DocumentRefused(" ".join(refused))
        before = draft.revision
        added, _ = draft_keep_documents(draft=draft, form=form, file_storage=file_storage)
        try:
            get_draft_store().save(draft, step="requirements")
        except Exception:
            for name in added:
                file_storage.delete(name)
            raise
        return DocumentChange(draft, draft.files[-1], _page_revision(draft, revision, before))

    return once_more_after_a_navigation(attempt)


def draft_remove_document(*, request, draft_id, file_id, revision):
    """Remove one attached document at once (its file is deleted once the draft is saved). A
    document gone already is no error (a second click, another tab). Removing the last one
    reopens step 2: it needs a document again before the steps after it."""

    def attempt():
        draft = _document_draft(request, draft_id, revision)
        document = next((item for item in draft.files if item["id"] == file_id), None)
        if document is None:
            return DocumentChange(draft, None, parse_revision(revision))
        before = draft.revision
        draft.files = [item for item in draft.files if item["id"] != file_id]
        if not draft.files and draft.validation.get("requirements"):
            draft_reopen_step(draft=draft, step="requirements")
        get_draft_store().save(draft, step="requirements")
        draft_file_storage().delete(document["tmp_name"])
        return DocumentChange(draft, document, _page_revision(draft, revision, before))

    return once_more_after_a_navigation(attempt)


# --- autosave ----------------------------------------------------------------------------------------

def draft_autosave(*, request, draft_id, step, values, revision):
    """Keep a step's typed, unsubmitted values: ``(draft, errors)``, or ``(None, {})`` when a
    page without a draft sent nothing typed yet. Without ``draft_id`` (step 1 of a new project)
    the first value typed starts the draft. Values from a page of an older revision are merged
    (draft_merge_step): the step's values as saved are then ``draft.shown_data(step)``."""
    store = get_draft_store()
    if draft_id is None:
        if not steps.has_content(step, values):
            return None, {}
        draft = draft_start(request=request, step=step)
        errors = steps.check_step(step, values, draft, ignore_documents=True)
        values, refused = _within_limits(draft, step, values)
        _set_pending(draft, step, values)
        analytics.note_autosave(draft)
        store.create(draft, step=step)
        return draft, {**errors, **refused}

    def attempt():
        draft = draft_for_request(request=request, draft_id=draft_id)
        if not steps.may_open(draft, step):
            raise StepsInvalid("Complete the earlier steps first.")
        if revision is None:
            raise StepsInvalid("Send the page's draft_version.", errors={"draft_version": ["Required."]})
        merged = draft_merge_step(draft=draft, step=step, values=values, revision=revision)
        errors = steps.check_step(step, merged, draft, ignore_documents=True)
        merged, refused = _within_limits(draft, step, merged)
        if _set_pending(draft, step, merged):
            analytics.note_autosave(draft)
            store.save(draft, step=step)
        return draft, {**errors, **refused}

    return once_more_after_a_navigation(attempt)


# --- earlier versions -------------------------------------------------------------------------------

def draft_restore_version(*, request, draft_id, step, revision, seen_revision):
    """Put ``step``'s values as they were at ``revision`` back as its unsubmitted values (as
    autosave keeps them): the revision moves, so the restore is an earlier version in its turn
    and can be undone the same way. A submitted step keeps its submitted values until it is
    submitted again. Raises DraftStale when the draft changed since the versions page showed
    ``seen_revision`` (nothing restored), VersionNotKept when ``revision`` is older than the
    history, StepsInvalid when the step can't be opened yet. Returns the draft."""

    def attempt():
        draft = draft_for_request(request=request, draft_id=draft_id)
        if not steps.may_open(draft, step):
            raise StepsInvalid("Complete the earlier steps first.")
        if str(seen_revision) != str(draft.revision):
            raise DraftStale("the draft changed since its versions were listed")
        values = draft.values_at(revision) if str(revision).isdigit() else None
        if values is None:
            raise VersionNotKept(f"revision {str(revision)[:20]} is not kept")
        if _set_pending(draft, step, steps.with_connectors(step, values.get(step, {}))):
            get_draft_store().save(draft, step=step)
        return draft

    return once_more_after_a_navigation(attempt)


# --- the JSON API ---------------------------------------------------------------------------------------

def _apply(draft, changes):
    """Apply ``changes`` to ``draft`` or raise StepsInvalid, changing nothing.

    - Steps to submit are validated strictly; each needs the steps before it (complete, or
      submitted in the same request). Step 4 is completed only by creating the project.
    - A step changed but not submitted keeps its values as unsubmitted, as autosave does.
    - The current step cannot be past the first incomplete step.
    """
    refused = {key: messages for step, values in changes.values.items() for key, messages in steps.over_limits(step, values).items()}
    if refused:
        raise StepsInvalid("Some values are longer than their fields allow; nothing was saved.", errors=refused)
    complete = {step for step in steps.STEP_NAMES if draft.validation.get(step)}
    errors = {}
    for step in changes.submit:
        number = steps.step_number(step)
        if step == steps.LAST_STEP:
            raise StepsInvalid(f"Step {number} is completed by creating the project on the review page.")
        missing = [s for s in steps.STEP_NAMES[: number - 1] if s not in complete and s not in changes.submit]
        if missing:
            raise StepsInvalid(f"Step {number} needs step {steps.step_number(missing[0])} to be completed first.")
        step_errors = steps.check_step(step, changes.values.get(step, steps.current_values(draft, step)), draft)
        if step_errors:
            analytics.note_refused(step, step_errors)
            errors.update(step_errors)
        else:
            complete.add(step)
    if errors:
        raise StepsInvalid("Some steps did not validate; nothing was saved.", errors=errors)
    touched = dict(changes.values)
    for step in changes.submit:
        _submit(draft, step, touched.pop(step, steps.current_values(draft, step)), True)
    for step, values in touched.items():
        _set_pending(draft, step, values)
    if changes.current is not None:
        if not steps.may_open(draft, changes.current):
            raise StepsInvalid(f"Complete step {steps.step_number(steps.first_incomplete_step(draft))} first.")
        draft.wizard["step"] = changes.current


def draft_create(*, request, changes):
    """``POST /api/sessions``: changes that don't validate start nothing and count for nothing.
    ``changes``: as for draft_update."""
    draft = _new_draft(request, steps.FIRST_STEP)
    _apply(draft, changes(draft, lambda step: steps.current_values(draft, step)))
    draft_start(request=request, draft=draft)
    return get_draft_store().create(draft, step=draft.current_step)


def draft_update(*, request, draft_id, revision, changes):
    """``PUT /api/sessions``: the owner's draft, changed and saved. ``changes``: (the draft as
    read, the values each step started from) -> StepChanges. A ``revision`` older than the
    draft's is merged: the caller's changes are made over the values it read, and merged with
    what was saved since (draft_merge_step); a field changed on both sides is a conflict."""

    def attempt():
        draft = draft_for_request(request=request, draft_id=draft_id)
        if parse_revision(revision) == draft.revision:
            _apply(draft, changes(draft, lambda step: steps.current_values(draft, step)))
        else:
            base = draft.values_at(parse_revision(revision))
            if base is None:
                raise DraftStale("the caller's version is older than the draft's history")
            wanted = changes(draft, lambda step: steps.with_connectors(step, base.get(step, {})))
            conflicts, merged = {}, {}
            for step, values in list(wanted.values.items()):
                try:
                    wanted.values[step] = draft_merge_step(draft=draft, step=step, values=values, revision=revision)
                except DraftConflicts as exc:
                    conflicts.update(exc.conflicts)
                    merged.update(exc.merged)
            if conflicts:
                raise DraftConflicts(conflicts, draft=draft, merged=merged)
            _apply(draft, wanted)
        return get_draft_store().save(draft, step=draft.current_step)

    return once_more_after_a_navigation(attempt)


# --- discard, restore, delete, claim, extend ----------------------------------------------------------

def draft_discard(*, draft):
    """The owner discards a draft (the page or the API): it is set aside with its files, and
    can be restored for DRAFT_RESTORE_SECONDS (cleanup_drafts removes the files after that).
    Returns until when it can be restored."""
    analytics.note_discarded(draft)
    get_draft_store().discard(draft, seconds=settings.DRAFT_RESTORE_SECONDS)
    return clock.now() + timedelta(seconds=settings.DRAFT_RESTORE_SECONDS)


def draft_discard_to_make_room(*, request, draft_id):
    """From the page that refused a new draft at the owner's cap: discard ``draft_id`` (as the
    Discard page does, restorable for a while) so that the new one fits. False, with nothing
    discarded, when it is not a live draft of this request's owner."""
    try:
        draft = draft_for_request(request=request, draft_id=draft_id, slide=False, reveal=False)
    except access.DraftRefused:
        return False
    draft_discard(draft=draft)
    return True


def draft_restore(*, request, draft_id):
    """The owner takes a discarded draft back while its window lasts: as it was (answers, files,
    step), its lifetime restarted. A second click finds it restored already. Raises DraftRefused:
    DISCARDED (with ``ended.restorable`` false) once the window has passed, else as any read."""
    try:
        return draft_for_request(request=request, draft_id=draft_id, slide=False)  # restored already
    except access.DraftRefused as refused:
        if refused.kind != access.DISCARDED or not refused.ended.restorable:
            raise
        ended = refused.ended
    try:
        return get_draft_store().restore(str(draft_id))
    except DraftGone:  # the window closed meanwhile
        raise access.DraftRefused(access.DISCARDED, draft_id=str(draft_id), ended=replace(ended, restorable_until=None)) from None


def draft_delete(*, draft):
    """Delete a draft for good, then its uploaded files (a store error leaves both in place):
    after its commit, and by staff."""
    get_draft_store().delete(draft, action="delete")
    delete_draft_files(draft.id)


@dataclass
class Claimed:
    """What moving a browser's drafts into an account did: the drafts ``moved`` and those that
    ``stayed`` with the browser (most recent first), and why some stayed: ``at_cap`` (the account
    had ``cap`` live drafts), ``uploads_full`` (their documents would take the account past
    ``upload_limit`` bytes), ``changed`` (written elsewhere meanwhile: try again)."""

    moved: list = field(default_factory=list)
    stayed: list = field(default_factory=list)
    cap: int = 0
    upload_limit: int = 0
    at_cap: bool = False
    uploads_full: bool = False
    changed: bool = False


def draft_claim(*, request, user):
    """An anonymous visitor signs in and moves this browser's drafts into the account: as many
    as fit within the account's drafts cap (DRAFT_MAX_USER) and upload total
    (UPLOAD_MAX_OWNER_USER), most recently active first. The others stay with the browser's
    anonymous owner (its token kept, so they can be moved later); a draft gone meanwhile is left
    out. One read of the account's live drafts; the store checks both limits again on each move
    (another tab may start a draft meanwhile). Returns a Claimed."""
    claimed = Claimed(cap=settings.DRAFT_MAX_USER, upload_limit=settings.UPLOAD_MAX_OWNER_USER)
    anonymous = anonymous_owner_from_session(request)
    if anonymous is None:
        return claimed
    new_owner = user_owner(request, user)
    store = get_draft_store()
    drafts = drafts_of_owner(owner=anonymous)
    if not drafts:
        forget_anonymous_owner(request)
        return claimed
    account = store.list_for_owner(new_owner.key)
    count, used = len(account), sum(draft.upload_bytes for draft in account)
    for draft in drafts:
        if claimed.cap and count >= claimed.cap:
            claimed.at_cap = True
        elif draft.upload_bytes and used + draft.upload_bytes > claimed.upload_limit:
            claimed.uploads_full = True
        else:
            owner, agent = draft.owner, draft.user_agent_hash
            draft.owner, draft.user_agent_hash = new_owner.key, new_owner.user_agent_hash
            try:
                store.save(draft, action="claim")
            except DraftGone:
                continue
            except (DraftConflict, OwnerAtCap, OwnerUploadsFull) as refused:
                draft.owner, draft.user_agent_hash = owner, agent
                claimed.at_cap |= isinstance(refused, OwnerAtCap)
                claimed.uploads_full |= isinstance(refused, OwnerUploadsFull)
                claimed.changed |= isinstance(refused, DraftConflict)
            else:
                claimed.moved.append(draft)
                count, used = count + 1, used + draft.upload_bytes
                continue
        claimed.stayed.append(draft)
    if not claimed.stayed:
        forget_anonymous_owner(request)
    return claimed


def draft_extend(*, draft, seconds):
    """Staff keep a draft ``seconds`` from now; False if it changed or went meanwhile."""
    try:
        get_draft_store().extend(draft, seconds)
    except (DraftConflict, DraftGone):
        return False
    return True


def draft_count_refused(*, step, errors):
    """A page's submit of ``step`` was refused with ``errors`` ({input name: [messages]}): counted
    (for the analytics) with this thread's next draft read or write, not a write of its own."""
    analytics.note_refused(step, errors)


def draft_count_visit(*, draft, via=None):
    """A page opened ``draft`` (``via``: "list" from "Your drafts"): counted as a resume when it
    lay untouched long, or came from the list; no write of its own."""
    analytics.note_opened(draft, via=via)


def draft_count_failure(*, step, store=False):
    """A request on ``step`` failed: a 5xx, or (``store``) the draft store was unavailable."""
    analytics.note_error(step, store=store)


def draft_reopen_step(*, draft, step):
    """A stored step no longer validates (found when the project is created): it must be
    submitted again before the steps after it (the wizard's storage writes the draft)."""
    draft.validation[step] = False


# --- expiry --------------------------------------------------------------------------------------------

def draft_keep(*, request, draft_id):
    """Keep a draft that is about to expire: its lifetime starts again now. The read that finds
    it slides its expiry (one round trip, the record is not rewritten)."""
    return draft_for_request(request=request, draft_id=draft_id)


def draft_start_from(*, request, step, values):
    """A new draft holding ``values``, typed on ``step`` of a draft that expired meanwhile, as
    unsubmitted values (the person goes through the steps again). None if nothing was typed."""
    if step not in steps.AUTOSAVE_STEPS or not steps.has_content(step, values):
        return None
    draft = draft_start(request=request)
    _set_pending(draft, step, _within_limits(draft, step, values)[0])
    return get_draft_store().create(draft, step=step)
