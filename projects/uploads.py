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

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename

from sessions_store.drafts import owner_kind

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
                expands_to = sum(item.file_size for item in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            file.seek(0)
        if "[Content_Types].xml" not in names or required_part not in names:
            return False
        _check_expansion(expands_to, getattr(file, "size", 0))
        return True

    return check


def _check_expansion(expands_to, size):
    """A zip bomb: a small DOCX/XLSX whose parts expand to far more (read from the central
    directory, nothing is extracted). Whoever opens the document later would unpack it all."""
    if expands_to > settings.UPLOAD_ZIP_MAX_EXPANDED:
        raise RejectedFile(
            f"expands to {filesizeformat(expands_to)} when opened; documents may expand to at most "
            f"{filesizeformat(settings.UPLOAD_ZIP_MAX_EXPANDED)}."
        )
    if size and expands_to > size * settings.UPLOAD_ZIP_MAX_RATIO:
        raise RejectedFile(
            f"expands {expands_to // size} times when opened ({filesizeformat(size)} to "
            f"{filesizeformat(expands_to)}); a real document expands at most "
            f"{settings.UPLOAD_ZIP_MAX_RATIO} times."
        )


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


@dataclass(frozen=True)
class OwnerQuota:
    """Room for one draft's documents within its owner's total (UPLOAD_MAX_OWNER_*)."""

    limit: int  # bytes all the owner's live drafts' documents may take
    others: int  # bytes the owner's other live drafts take


def owner_quota(draft):
    """The OwnerQuota of ``draft`` as its load counted it, or None (not counted, no draft)."""
    if draft is None or draft.owner_upload_bytes is None:
        return None
    limit = settings.UPLOAD_MAX_OWNER_USER if owner_kind(draft.owner) == "user" else settings.UPLOAD_MAX_OWNER_ANONYMOUS
    return OwnerQuota(limit=limit, others=max(0, draft.owner_upload_bytes - draft.upload_bytes))


def display_name(name):
    """A safe name to show and to offer on download: no path, no control characters, <= 150 chars.
    static/js/uploads.js (shownName) writes names the same way for its "too big" message: change
    both together (tests/test_browser_uploads.py holds them to the same words)."""
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
    if UNREADABLE in name:
        raise RejectedFile(UNREADABLE_NAME)
    kind, check = KINDS[kind_name]
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    try:
        matches = check(uploaded, head)
    except RejectedFile as exc:
        raise RejectedFile(f"“{name}” was not added: it {exc}") from None
    if not matches:
        raise RejectedFile(
            f"“{name}” does not contain what its name says: it is not a valid {kind.label} file."
        )
    return kind


# --- file names that can't be read ---------------------------------------------------------------

UNREADABLE = "\ufffd"  # what Django puts for bytes of a name it could not decode
UNREADABLE_NAME = (
    "A file whose name could not be read (it is not UTF-8 text) was not added. Rename it with "
    "ordinary letters and numbers, then choose it again."
)


class UnreadableNames(FileUploadHandler):
    """Counts the file parts of a multipart body whose headers are not UTF-8, as
    ``request.unreadable_file_names``. Django skips such a part whole (its Content-Disposition
    header can't be decoded), so without this the file would vanish while the step succeeds.

    First in FILE_UPLOAD_HANDLERS: it only watches the body go by (handle_raw_input wraps the
    request's stream; the parse itself is Django's) and handles no file."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        input_data.unreadable_file_names = 0
        input_data._stream = _NameWatcher(input_data._stream, boundary, input_data)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


class _NameWatcher:
    """A read-through view of a multipart body that inspects each part's headers."""

    HEADERS_MAX = 16 * 1024

    def __init__(self, stream, boundary, request):
        self._stream, self._request = stream, request
        self._marker = b"--" + boundary + b"\r\n"
        self._tail = b""

    def __getattr__(self, name):
        return getattr(self._stream, name)  # readline, close...: only read() is watched

    def read(self, *args, **kwargs):
        chunk = self._stream.read(*args, **kwargs)
        self._scan(self._tail + chunk)
        return chunk

    def _scan(self, data):
        position = 0
        while True:
            start = data.find(self._marker, position)
            if start < 0:
                # Keep what could be the start of a marker cut by the chunk's end.
                self._tail = data[-(len(self._marker) - 1):] if data else b""
                return
            end = data.find(b"\r\n\r\n", start)
            if end < 0:
                self._tail = data[start:][: self.HEADERS_MAX]
                return
            self._check_headers(data[start + len(self._marker) : end])
            position = end

    def _check_headers(self, headers):
        for line in headers.split(b"\r\n"):
            if line[:20].lower() == b"content-disposition:" and b"filename" in line.lower():
                try:
                    line.decode()
                except UnicodeDecodeError:
                    self._request.unreadable_file_names += 1
