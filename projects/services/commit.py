"""The commit: a finished draft becomes a Project, exactly once, in one transaction."""

import logging

from django.core.files import File
from django.db import DatabaseError, IntegrityError, transaction

from sessions_store.files import delete_draft_files, draft_file_storage
from sessions_store.log import logged
from sessions_store.store import DraftStoreUnavailable, get_draft_store

from .. import analytics
from ..models import DataConnector, Project, ProjectDocument
from .drafts import draft_delete

COMMIT_LOCK_SECONDS = 60
COMMIT_WAIT_SECONDS = 30

logger = logging.getLogger("projects")


class DocumentMissing(Exception):
    """A temporary upload of the draft is no longer on disk."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


def project_create(*, draft, owner, details, requirements, sources, temp_storage):
    """Create the project, its documents (copied to permanent storage) and its connectors.

    All or nothing: if anything fails, the transaction rolls back and every file already copied
    to permanent storage is deleted again; the draft and its temporary files are not touched, so
    the user can simply retry. The unique ``draft_id`` makes a second commit of the same draft
    raise IntegrityError instead of creating a duplicate.
    """
    copied = []
    try:
        with logged("commit", draft.id, step="review"), transaction.atomic():
            project = Project(
                owner=owner,
                draft_id=draft.id,
                requirements_notes=requirements.get("requirements_notes", ""),
                ai_sourcing_enabled=sources.get("ai_sourcing_enabled", False),
                **details,
            )
            # Field checks only: the unique draft_id and the range checks are the database's
            # constraints, which refuse a bad row at the INSERT (IntegrityError, nothing written).
            # Asking first costs a query per constraint on every commit, for rows the step forms
            # have already refused with a clear message.
            project.full_clean(validate_unique=False, validate_constraints=False)
            project.save()
            for item in draft.files:
                document = ProjectDocument(
                    project=project,
                    original_name=item["name"],
                    content_type=item["content_type"],
                    size=item["size"],
                    uploaded_at=item["uploaded_at"],
                )
                try:
                    source = temp_storage.open(item["tmp_name"], "rb")
                except FileNotFoundError:
                    raise DocumentMissing(item["name"]) from None
                with source:
                    document.file.save(item["name"], File(source), save=False)
                copied.append(document.file.name)
                document.save()
            DataConnector.objects.bulk_create(
                DataConnector(project=project, position=index, **connector)
                for index, connector in enumerate(sources.get("connectors", []))
            )
    except BaseException:
        for name in copied:
            try:
                ProjectDocument._meta.get_field("file").storage.delete(name)
            except OSError:
                logger.exception("could not remove %s after a failed commit", name)
        raise
    return project


def project_create_from_draft(*, draft, user, cleaned, lock=None):
    """The draft's project, created now or by an earlier request; the draft is deleted.

    ``cleaned``: {step: cleaned data} of every step, revalidated. The draft's commit lock
    serialises the commits of one draft (a double click, two tabs): ``lock`` is one the draft's
    load already took; otherwise this waits for it. The unique ``Project.draft_id`` makes the
    commit happen once even without the lock.

    Raises DocumentMissing after dropping the missing file from the draft and reopening the
    requirements step (the caller persists the draft), DatabaseError (nothing was written; the
    draft and its files are intact) and DraftStoreUnavailable.
    """
    store = get_draft_store()
    if lock is None:
        lock = store.lock(f"commit:{draft.id}", timeout=COMMIT_LOCK_SECONDS)
        if not lock.acquire(wait=COMMIT_WAIT_SECONDS):
            raise DraftStoreUnavailable("timed out waiting for another commit of this draft")
    try:
        project = _create_once(draft, user, cleaned)  # an earlier commit: its IntegrityError
    except BaseException:
        lock.release()
        raise
    # Committed. The draft goes, and its commit lock with it; if Redis fails here the project
    # still stands, and a late request for this draft id is sent to it.
    try:
        draft_delete(draft=draft)
        lock.held = False
    except DraftStoreUnavailable:
        logger.exception("draft %s committed but not deleted", draft.id)
        delete_draft_files(draft.id)  # the project has its own copies
    return project


def _create_once(draft, user, cleaned):
    try:
        project = project_create(
            draft=draft,
            owner=user,
            details=cleaned["details"],
            requirements=cleaned["requirements"],
            sources=cleaned["sources"],
            temp_storage=draft_file_storage(),
        )
    except IntegrityError:
        project = Project.objects.filter(draft_id=draft.id).first()
        if project is None:  # a range check refused the row: the forms should have
            logger.exception("commit of draft %s refused by the database", draft.id)
            raise
        return project
    except DocumentMissing as exc:
        draft.files = [item for item in draft.files if item["name"] != exc.name]
        draft.validation["requirements"] = False
        raise
    except DatabaseError:
        logger.exception("commit of draft %s failed", draft.id)
        raise
    analytics.note_committed(draft)  # created here, not found made by another request
    return project
