"""Briefing pack uploads: check a document by its content, keep it private, hand it out as an attachment.

Only PDF, DOCX and ODT are taken, at most settings.UPLOAD_MAX_BYTES. The extension and the content
must agree: a PDF starts with "%PDF-"; a DOCX and an ODT are zip packages whose parts are looked at
without extracting anything to disk, and zips that would unpack to more than 100 MB, or hold more
than 2,000 members, are refused before any member is read. Programs, web pages and other zips
renamed to an allowed extension are refused with a message saying what they are.

Files go into the private storage (settings.STORAGES["private"]: outside every served folder, no
URL) under a random name; the uploaded name is only ever a display name. The view decides who may
download; document_response sends the file as an attachment that browsers must not sniff or cache.
"""

import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}
_NAMES = {"pdf": "a PDF", "docx": "a DOCX", "odt": "an ODT"}

ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
ZIP_MAX_MEMBERS = 2_000
FILENAME_MAX_LENGTH = 120

_HEAD_BYTES = 1024
# The parts that are read into memory are small in any real document; a bigger one is refused.
_PART_MAX_BYTES = 2 * 1024 * 1024
_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows
    b"\x7fELF",  # Linux
    b"#!",  # scripts
    b"\xfe\xed\xfa\xce",  # macOS, 32 and 64 bit, both byte orders, and universal binaries
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
# What a browser would sniff as HTML (WHATWG MIME Sniffing), after leading white space.
_HTML_STARTS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<title",
    b"<style",
    b"<table",
    b"<div",
    b"<a ",
    b"<b>",
    b"<br",
    b"<p>",
    b"<p ",
    b"<font",
    b"<h1",
    b"<!--",
    b"<svg",
)
_WORD_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_OPC_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_FOLDER = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")
_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^\w \-.,()&+']")


@dataclass(frozen=True)
class DocumentInfo:
    kind: str  # "pdf" | "docx" | "odt"
    content_type: str  # the real MIME type
    filename: str  # a safe display name, extension kept


def document_check(uploaded: UploadedFile) -> DocumentInfo:
    """What the uploaded document is, or ValidationError (GOV.UK wording, with a code) if it is not allowed.

    The checks run cheapest first: the name, then the declared size (so an oversized file is refused
    before it is read), then the content. Leaves the file positioned at its start.
    """
    kind = _kind_from_name(uploaded.name or "")
    if kind is None:
        raise ValidationError(_("The selected file must be a PDF, DOCX or ODT"), code="file_type")
    if not uploaded.size:
        raise ValidationError(_("The selected file is empty"), code="empty")
    if uploaded.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The selected file must be smaller than %(size)s"),
            code="too_large",
            params={"size": _megabytes(settings.UPLOAD_MAX_BYTES)},
        )
    try:
        actual = _content_kind(uploaded, expected=kind)
    finally:
        uploaded.seek(0)
    if actual != kind:
        if actual is None:
            raise ValidationError(
                _(
                    "The selected file does not look like %(kind)s: it may be damaged, or be another kind of file renamed"
                ),
                code="content",
                params={"kind": _NAMES[kind]},
            )
        raise ValidationError(
            _(
                "The selected file does not look like %(kind)s: it is %(actual)s, so its name should end in .%(ext)s"
            ),
            code="extension_mismatch",
            params={"kind": _NAMES[kind], "actual": _NAMES[actual], "ext": actual},
        )
    return DocumentInfo(
        kind=kind, content_type=CONTENT_TYPES[kind], filename=_safe_filename(uploaded.name, kind)
    )


class DocumentField(forms.FileField):
    """A FileField whose clean() runs document_check; the cleaned value is the UploadedFile with `.document_info` set."""

    default_error_messages = {
        "required": _("Select a file"),
        "invalid": _("The selected file could not be uploaded – try again"),
        "missing": _("The selected file could not be uploaded – try again"),
        "empty": _("The selected file is empty"),
    }

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            value.document_info = document_check(value)
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "accept" not in widget.attrs:
            attrs["accept"] = ",".join([".pdf", ".docx", ".odt", *CONTENT_TYPES.values()])
        return attrs


def document_store(uploaded: UploadedFile, *, info: DocumentInfo, folder: str) -> str:
    """Save the document into the private storage as folder/<random uuid>.<ext>; return the stored name.

    The uploaded name never reaches the path, so it can't collide, traverse or reveal anything.
    `folder` is chosen by the code ("briefing-packs/42"), never by the person uploading.
    """
    if not _FOLDER.fullmatch(folder):
        raise ValueError(f"Not a storage folder: {folder!r}")
    if info.kind not in CONTENT_TYPES:
        raise ValueError(f"Not a document kind: {info.kind!r}")
    uploaded.seek(0)
    return storages["private"].save(f"{folder}/{uuid.uuid4().hex}.{info.kind}", uploaded)


def document_delete(name: str) -> None:
    """Remove a stored document; a name that is already gone is not an error."""
    storages["private"].delete(name)


def document_response(name: str, *, filename: str, content_type: str) -> FileResponse:
    """The stored document as a download. Raises Http404 if it is missing.

    Only call this after the view has checked that the person asking may see the document.
    """
    if content_type not in CONTENT_TYPES.values():
        raise ValueError(f"Not a document content type: {content_type!r}")
    try:
        file = storages["private"].open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise Http404("No such document") from error
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Checks ---------------------------------------------------------------------------------------


def _kind_from_name(name: str) -> str | None:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")
    return suffix if suffix in CONTENT_TYPES else None


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"


def _content_kind(uploaded: UploadedFile, *, expected: str) -> str | None:
    """Which allowed kind the content is, None if none; ValidationError for content refused outright."""
    uploaded.seek(0)
    head = uploaded.read(_HEAD_BYTES)
    if head.startswith(_EXECUTABLE_MAGIC):
        raise ValidationError(
            _("The selected file does not look like %(kind)s: it is a program"),
            code="executable",
            params={"kind": _NAMES[expected]},
        )
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\x0c").lower().startswith(_HTML_STARTS):
        raise ValidationError(
            _("The selected file does not look like %(kind)s: it is a web page"),
            code="html",
            params={"kind": _NAMES[expected]},
        )
    if head.startswith(b"%PDF-"):
        return "pdf"
    if not head.startswith(b"PK"):
        return None
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as package:
            return _package_kind(package)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        # Damaged, truncated, encrypted or in a compression this Python can't read.
        return None


def _package_kind(package: zipfile.ZipFile) -> str | None:
    members = package.infolist()
    if not members:
        return None
    # Sizes are read from the zip's directory and nothing is unpacked: a zip bomb is refused on its
    # declared sizes, and reading a member stops at its declared size.
    if len(members) > ZIP_MAX_MEMBERS:
        raise ValidationError(
            _("The selected file contains too many files: a document must contain no more than %(count)s"),
            code="too_many_members",
            params={"count": f"{ZIP_MAX_MEMBERS:,}"},
        )
    if sum(member.file_size for member in members) > ZIP_MAX_UNCOMPRESSED_BYTES:
        raise ValidationError(
            _("The selected file is too big when unzipped: it must be smaller than %(size)s"),
            code="uncompressed_too_large",
            params={"size": _megabytes(ZIP_MAX_UNCOMPRESSED_BYTES)},
        )
    names = {member.filename for member in members}
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return _docx_kind(package, names)
    if members[0].filename == "mimetype":
        return _odt_kind(package, members[0])
    return None


def _docx_kind(package: zipfile.ZipFile, names: set[str]) -> str | None:
    content_types = _read_part(package, package.getinfo("[Content_Types].xml"))
    if content_types is None:
        return None
    declared = _declared_content_types(content_types)
    if declared is None:
        return None
    macros = any(PurePosixPath(name).name.lower() == "vbaproject.bin" for name in names) or any(
        "macroenabled" in content_type.lower() or "vbaproject" in content_type.lower()
        for content_type in declared.values()
    )
    if macros:
        raise ValidationError(
            _("The selected file contains macros: save it as a Word Document (.docx) and try again"),
            code="macros",
        )
    # Part names are case-insensitive in OPC packages.
    document_type = {part.lower(): content_type for part, content_type in declared.items()}.get(
        "/word/document.xml"
    )
    return "docx" if document_type == _WORD_DOCUMENT else None


def _declared_content_types(xml: bytes) -> dict[str, str] | None:
    """PartName -> ContentType of the package's overrides; None if [Content_Types].xml isn't usable."""
    # OOXML never has a DTD; refusing one keeps entity expansion (billion laughs) out of the parser.
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        return None
    try:
        root = ElementTree.fromstring(xml)  # noqa: S314 - no DTD, so no entities to expand
    except ElementTree.ParseError:
        return None
    declared = {}
    for element in root.iter():
        content_type = element.get("ContentType", "")
        if element.tag == f"{_OPC_CONTENT_TYPES}Override":
            declared[element.get("PartName", "")] = content_type
        elif element.tag == f"{_OPC_CONTENT_TYPES}Default":
            declared["*." + element.get("Extension", "")] = content_type
    return declared


def _odt_kind(package: zipfile.ZipFile, mimetype: zipfile.ZipInfo) -> str | None:
    # OpenDocument's own signature: the first member is "mimetype", stored, and says exactly this.
    if mimetype.compress_type != zipfile.ZIP_STORED:
        return None
    content = _read_part(package, mimetype)
    return "odt" if content == _ODT_MIMETYPE else None


def _read_part(package: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes | None:
    if member.file_size > _PART_MAX_BYTES:
        return None
    try:
        with package.open(member) as part:
            return part.read(_PART_MAX_BYTES + 1)[:_PART_MAX_BYTES]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
        return None  # damaged, a bad CRC, or encrypted


def _safe_filename(name: str, kind: str) -> str:
    """The base name, cleaned for showing and for Content-Disposition, with its extension kept."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    stem = base[: -(len(kind) + 1)] if base.lower().endswith(f".{kind}") else base
    stem = unicodedata.normalize("NFC", stem)
    # Control and format characters (including right-to-left overrides that disguise an extension).
    stem = "".join(" " if unicodedata.category(char).startswith("C") else char for char in stem)
    stem = _UNSAFE_FILENAME_CHARACTERS.sub("", stem)
    stem = " ".join(stem.split())
    extension = f".{kind}"
    stem = stem[: FILENAME_MAX_LENGTH - len(extension)].strip(" .")
    return f"{stem or 'document'}{extension}"


class SizeCappedUploadHandler(TemporaryFileUploadHandler):
    """Writes at most `UPLOAD_MAX_BYTES` + 1 bytes of any uploaded file to disk, while counting all
    of it, so a huge upload cannot fill the server's temporary folder. The file keeps its true
    size, and `document_check` refuses it by that size before reading it ("must be smaller than
    10 MB"), rather than the form acting as if no file had been chosen.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        room = settings.UPLOAD_MAX_BYTES + 1 - self.received
        self.received += len(raw_data)
        if room > 0:
            self.file.write(raw_data[:room])

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        uploaded.size = self.received
        return uploaded
