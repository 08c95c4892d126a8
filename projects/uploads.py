"""Accepted requirement documents, checked by name and by content.

A file is accepted only when its extension is on the list below AND its bytes are that kind of
file: a renamed executable called ``spec.pdf`` is refused. The checks are exact for our short
list (magic numbers, and the part names inside the Office Open XML zip), which a general-purpose
sniffer cannot promise for DOCX/XLSX or for plain text.
"""

import os
import unicodedata
import zipfile
from dataclasses import dataclass

from django.utils.text import get_valid_filename

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    extensions: tuple


def _starts_with(*signatures):
    def check(file, head):
        return any(head.startswith(signature) for signature in signatures)

    return check


def _office_zip(required_part):
    def check(file, head):
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            file.seek(0)
        return "[Content_Types].xml" in names and required_part in names

    return check


# Control characters other than tab, newline, form feed and carriage return mean "binary".
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"


def _text(file, head):
    if not head:
        return False
    if any(byte in _BINARY_BYTES for byte in head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniffed window may cut a multi-byte character at its end; anything else is not UTF-8.
        if exc.start < len(head) - 4:
            try:
                head.decode("cp1252")  # spreadsheets exported on Windows
            except UnicodeDecodeError:
                return False
    return True


KINDS = {
    "pdf": (Kind("PDF", "application/pdf", (".pdf",)), _starts_with(b"%PDF-")),
    "docx": (
        Kind(
            "Word document (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        _office_zip("word/document.xml"),
    ),
    "xlsx": (
        Kind(
            "Excel workbook (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
        _office_zip("xl/workbook.xml"),
    ),
    "csv": (Kind("CSV", "text/csv", (".csv",)), _text),
    "txt": (Kind("Plain text", "text/plain", (".txt",)), _text),
    "png": (Kind("PNG image", "image/png", (".png",)), _starts_with(b"\x89PNG\r\n\x1a\n")),
    "jpeg": (Kind("JPEG image", "image/jpeg", (".jpg", ".jpeg")), _starts_with(b"\xff\xd8\xff")),
}

EXTENSIONS = {ext: name for name, (kind, _) in KINDS.items() for ext in kind.extensions}
ACCEPT_ATTRIBUTE = ",".join(sorted(EXTENSIONS))
ACCEPTED_LABELS = "PDF, DOCX, XLSX, CSV, TXT, PNG or JPEG"


class RejectedFile(ValueError):
    pass


def display_name(name):
    """A safe name to show and to offer on download: no path, no control characters, <= 150 chars."""
    name = unicodedata.normalize("NFC", os.path.basename(str(name).replace("\\", "/")))
    stem, ext = os.path.splitext(printable(name).strip())
    if not ext and stem.startswith(".") and "." not in stem[1:]:
        # Only an extension: ".pdf" (what came before it may have been unprintable, and
        # removed on the way here). The content check still decides whether it is a PDF.
        stem, ext = "", stem
    stem = stem.strip().strip(".") or "document"
    return stem[: 150 - len(ext)] + ext.strip().lower()


def printable(text):
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def storage_suffix(name):
    """The ASCII extension used in stored file names (the stored name never comes from the user)."""
    return get_valid_filename(os.path.splitext(name)[1].lower()) or ""


def identify(uploaded):
    """Return the Kind of an uploaded file, or raise RejectedFile with a message for the user."""
    name = display_name(uploaded.name)
    ext = os.path.splitext(name)[1].lower()
    kind_name = EXTENSIONS.get(ext)
    if kind_name is None:
        raise RejectedFile(
            f"“{name}” is not an accepted type. Upload {ACCEPTED_LABELS} files."
        )
    if uploaded.size == 0:
        raise RejectedFile(f"“{name}” is empty (0 bytes).")
    kind, check = KINDS[kind_name]
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    if not check(uploaded, head):
        raise RejectedFile(
            f"“{name}” does not contain what its name says: it is not a valid {kind.label} file."
        )
    return kind
