"""Every write on a draft or a project, one keyword-only function each (``<entity>_<action>``).

Views call one of these and translate its outcome into HTTP; they never write to the store.
One exception to "the service writes": on the wizard's pages formtools' storage is the unit of
work. ``draft_start``, ``draft_submit_step`` and ``draft_keep_documents`` change the draft that
storage holds, and ``DraftStorage.update_response`` writes it once per request (two Redis round trips at most).
"""

from .accounts import account_erase, account_erase_data
from .commit import DocumentMissing, project_create, project_create_from_draft
from .drafts import (
    DocumentChange,
    DocumentRefused,
    DraftConflicts,
    DraftStale,
    RateLimited,
    StepChanges,
    StepsInvalid,
    StoreFull,
    VersionNotKept,
    draft_attach_document,
    draft_autosave,
    draft_claim,
    draft_count_failure,
    draft_count_refused,
    draft_count_visit,
    draft_create,
    draft_delete,
    draft_discard,
    draft_discard_to_make_room,
    draft_extend,
    draft_keep,
    draft_keep_documents,
    draft_merge_step,
    draft_remove_document,
    draft_reopen_step,
    draft_restore,
    draft_restore_version,
    draft_start,
    draft_start_from,
    draft_submit_step,
    draft_update,
)
from .links import LinkNeedsSignIn, LinkNotSent, LinkRateLimited, draft_open_link, draft_send_link

__all__ = [
    "account_erase", "account_erase_data",
    "DocumentChange", "DocumentMissing", "DocumentRefused", "DraftConflicts", "DraftStale", "RateLimited", "StepChanges",
    "StepsInvalid", "StoreFull", "VersionNotKept",
    "draft_attach_document", "draft_autosave", "draft_claim", "draft_count_failure", "draft_count_refused", "draft_count_visit",
    "draft_create", "draft_delete", "draft_discard", "draft_discard_to_make_room", "draft_extend", "draft_keep", "draft_keep_documents", "draft_merge_step",
    "draft_remove_document", "draft_reopen_step", "draft_restore", "draft_restore_version", "draft_start",
    "draft_start_from", "draft_submit_step", "draft_update",
    "LinkNeedsSignIn", "LinkNotSent", "LinkRateLimited", "draft_open_link", "draft_send_link",
    "project_create", "project_create_from_draft",
]
