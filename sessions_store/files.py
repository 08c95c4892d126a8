"""The temporary upload area: one folder per draft under DRAFT_UPLOAD_ROOT until the commit."""

import shutil
from functools import lru_cache

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def draft_file_storage():
    return _storage_at(settings.DRAFT_UPLOAD_ROOT)


@lru_cache(maxsize=4)
def _storage_at(location):
    # One per upload root and process: building it costs more than a wizard step's other file
    # work, and a wizard request asks for it three times. Keyed by the setting, so a changed
    # DRAFT_UPLOAD_ROOT (tests) gets its own.
    return FileSystemStorage(location=location)


def folder_usage(draft_id):
    """(files, bytes) in a draft's temporary folder."""
    folder = settings.DRAFT_UPLOAD_ROOT / str(draft_id)
    files = size = 0
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file():
                files += 1
                size += path.stat().st_size
    return files, size


def delete_draft_files(draft_id):
    """Remove a draft's temporary folder and everything in it; returns (files, bytes) removed."""
    usage = folder_usage(draft_id)
    shutil.rmtree(settings.DRAFT_UPLOAD_ROOT / str(draft_id), ignore_errors=True)
    return usage
