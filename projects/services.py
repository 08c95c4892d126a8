"""The commit: a finished draft becomes a Project, exactly once, in one transaction."""

import logging

from django.core.files import File
from django.db import transaction

from sessions_store.log import logged

from .models import DataConnector, Project, ProjectDocument

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
            project.full_clean(validate_unique=False)
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
