"""A person's account, erased with everything of theirs.

``account_erase`` deletes the user in one transaction; the user's ``pre_delete`` signal runs
``account_erase_data`` (projects.signals), so a deletion in the admin erases the same things:

- their drafts in the store, live, set aside or ended: records (with their history), tombstones,
  index entries, their owner's indexes (``DraftStore.erase_owner``), and each draft's uploads;
- their projects, documents and connectors (the database cascade), and the documents' files on
  disk once the transaction has committed (a rollback keeps them with their rows).

The store goes first: when Redis is down the deletion fails with a 503 and nothing is deleted.
"""

import logging
import shutil

from django.db import transaction

from sessions_store.files import delete_draft_files
from sessions_store.owners import user_owner_key
from sessions_store.store import get_draft_store

from ..models import Project, ProjectDocument

logger = logging.getLogger("projects")


def account_erase(*, user):
    """Delete ``user`` and everything of theirs (see the module docstring)."""
    with transaction.atomic():
        user.delete()


def account_erase_data(*, user):
    """Erase what is the user's outside their rows: drafts, draft uploads, documents' files."""
    draft_ids = get_draft_store().erase_owner(user_owner_key(user))
    draft_files = sum(delete_draft_files(draft_id)[0] for draft_id in draft_ids)
    project_ids = list(Project.objects.filter(owner=user).values_list("pk", flat=True))
    documents = list(ProjectDocument.objects.filter(project__owner=user).values_list("file", flat=True))
    transaction.on_commit(lambda: _delete_project_files(project_ids, documents))
    logger.info(
        "account erased: user %s; projects=%d documents=%d drafts=%d draft_files=%d",
        user.pk, len(project_ids), len(documents), len(draft_ids), draft_files,
        extra={"event": "account_erased", "user_id": user.pk, "projects": len(project_ids), "documents": len(documents), "drafts": len(draft_ids)},
    )


def _delete_project_files(project_ids, names):
    storage = ProjectDocument._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
    for project_id in project_ids:
        shutil.rmtree(storage.path(f"projects/{project_id}"), ignore_errors=True)
