"""Briefing pack uploads: checked by content, stored privately under random names, served as attachments."""

import io
import re
import zipfile

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile, UploadedFile
from django.http import Http404

from connecting.uploads import (
    CONTENT_TYPES,
    DocumentField,
    DocumentInfo,
    document_check,
    document_delete,
    document_response,
    document_store,
)

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
TEMPLATE_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"

PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def content_types_xml(main: str = WORD_MAIN, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/>'
        f"{extra}</Types>"
    ).encode()


RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="word/document.xml"/></Relationships>'
)
WORD_DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Briefing pack</w:t></w:r></w:p></w:body></w:document>"
)


def zip_bytes(members: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data, compression in members:
            package.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def docx_members(content_types: bytes | None = None) -> list[tuple[str, bytes, int]]:
    return [
        ("[Content_Types].xml", content_types or content_types_xml(), zipfile.ZIP_DEFLATED),
        ("_rels/.rels", RELS, zipfile.ZIP_DEFLATED),
        ("word/document.xml", WORD_DOCUMENT, zipfile.ZIP_DEFLATED),
    ]


def docx(content_types: bytes | None = None, extra: list[tuple[str, bytes, int]] = ()) -> bytes:
    return zip_bytes([*docx_members(content_types), *extra])


ODT_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    b'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
    b'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)
ODT_CONTENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    b"<office:body><office:text><text:p>Briefing pack</text:p></office:text></office:body>"
    b"</office:document-content>"
)


def odt(
    mimetype: bytes = ODT_TYPE.encode(), compression: int = zipfile.ZIP_STORED, first: bool = True
) -> bytes:
    rest = [
        ("META-INF/manifest.xml", ODT_MANIFEST, zipfile.ZIP_DEFLATED),
        ("content.xml", ODT_CONTENT, zipfile.ZIP_DEFLATED),
    ]
    entry = ("mimetype", mimetype, compression)
    return zip_bytes([entry, *rest] if first else [*rest, entry])


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refusal(uploaded) -> tuple[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        document_check(uploaded)
    return caught.value.code, caught.value.messages


# --- What is accepted --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "Briefing pack.pdf",
            PDF,
            DocumentInfo(kind="pdf", content_type=PDF_TYPE, filename="Briefing pack.pdf"),
        ),
        ("PACK.PDF", PDF, DocumentInfo(kind="pdf", content_type=PDF_TYPE, filename="PACK.pdf")),
        (
            "Briefing pack.docx",
            docx(),
            DocumentInfo(kind="docx", content_type=DOCX_TYPE, filename="Briefing pack.docx"),
        ),
        ("Pack.DocX", docx(), DocumentInfo(kind="docx", content_type=DOCX_TYPE, filename="Pack.docx")),
        (
            "Briefing pack.odt",
            odt(),
            DocumentInfo(kind="odt", content_type=ODT_TYPE, filename="Briefing pack.odt"),
        ),
        ("Pack.ODT", odt(), DocumentInfo(kind="odt", content_type=ODT_TYPE, filename="Pack.odt")),
    ],
)
def test_document_check_allowed_document_returns_its_info(name, content, expected):
    uploaded = upload(name, content)
    assert document_check(uploaded) == expected
    assert uploaded.tell() == 0


def test_document_check_docx_part_names_in_any_case_is_accepted():
    types = content_types_xml().replace(b'PartName="/word/document.xml"', b'PartName="/WORD/Document.xml"')
    assert document_check(upload("pack.docx", docx(types))).kind == "docx"


def test_document_check_file_on_disk_is_checked_the_same(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    content = docx()
    uploaded = TemporaryUploadedFile("pack.docx", DOCX_TYPE, len(content), None)
    uploaded.write(content)
    uploaded.seek(0)
    try:
        assert document_check(uploaded) == DocumentInfo(
            kind="docx", content_type=DOCX_TYPE, filename="pack.docx"
        )
    finally:
        uploaded.close()


def test_document_check_exactly_the_size_cap_is_accepted(settings):
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    content = PDF + b"0" * (settings.UPLOAD_MAX_BYTES - len(PDF))
    assert document_check(upload("pack.pdf", content)).kind == "pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Desktop\\Report.pdf", "Report.pdf"),
        ("/home/me/Report.pdf", "Report.pdf"),
        ("bad\x00name\x1f.pdf", "bad name.pdf"),
        ("line\r\nbreak.pdf", "line break.pdf"),
        ("invoice\u202efdp.exe.pdf", "invoice fdp.exe.pdf"),  # a right-to-left override
        ('my "best" <pack>|?*:.pdf', "my best pack.pdf"),
        ("<script>alert(1)</script>.pdf", "script.pdf"),  # "/" starts a path part
        ("  spaced   out  .pdf", "spaced out.pdf"),
        ("Café résumé (v2), Ward 7 & team's notes.pdf", "Café résumé (v2), Ward 7 & team's notes.pdf"),
        ("....pdf", "document.pdf"),
        ("😀.pdf", "document.pdf"),
        ("a" * 200 + ".pdf", "a" * 116 + ".pdf"),
        ("a" * 115 + " .b" + "c" * 50 + ".pdf", "a" * 115 + ".pdf"),
    ],
)
def test_document_check_filename_is_a_safe_display_name(name, expected):
    info = document_check(upload(name, PDF))
    assert info.filename == expected
    assert len(info.filename) <= 120


# --- What is refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["pack.txt", "pack.exe", "pack", "pack.pdf.exe", "pack.docm", "pack.doc", "pack.html", "pdf", ".pdf"],
)
def test_document_check_other_extension_is_refused(name):
    assert refusal(upload(name, PDF)) == ("file_type", ["The selected file must be a PDF, DOCX or ODT"])


@pytest.mark.parametrize("name", ["pack.pdf", "pack.docx", "pack.odt"])
def test_document_check_empty_file_is_refused(name):
    assert refusal(upload(name, b"")) == ("empty", ["The selected file is empty"])


def test_document_check_over_the_size_cap_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    content = PDF + b"0" * (settings.UPLOAD_MAX_BYTES + 1 - len(PDF))
    assert refusal(upload("pack.pdf", content)) == (
        "too_large",
        ["The selected file must be smaller than 10 MB"],
    )


class _Unreadable(UploadedFile):
    """An upload that says how big it is and fails the test if anything reads it."""

    def __init__(self, name: str, size: int):
        super().__init__(file=io.BytesIO(), name=name, content_type=PDF_TYPE, size=size)

    def read(self, *args):
        raise AssertionError("the upload was read")

    def chunks(self, chunk_size=None):
        raise AssertionError("the upload was read")


def test_document_check_over_the_size_cap_is_refused_without_reading_it(settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    assert refusal(_Unreadable("pack.pdf", 2 * 1024 * 1024 + 1)) == (
        "too_large",
        ["The selected file must be smaller than 2 MB"],
    )


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("pack.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "a PDF"),
        ("pack.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "a PDF"),
        ("pack.pdf", b"#!/bin/sh\nrm -rf /\n", "a PDF"),
        ("pack.pdf", b"\xcf\xfa\xed\xfe" + b"\x00" * 64, "a PDF"),
        ("pack.docx", b"MZ" + b"\x00" * 64, "a DOCX"),
        ("pack.odt", b"#!/usr/bin/env python\nprint(1)\n", "an ODT"),
    ],
)
def test_document_check_renamed_program_is_refused(name, content, kind):
    assert refusal(upload(name, content)) == (
        "executable",
        [f"The selected file does not look like {kind}: it is a program"],
    )


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<html><head></head></html>",
        b"\xef\xbb\xbf\r\n  <HTML><BODY>hello</BODY></HTML>",
        b"<script>fetch('/')</script>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"<!-- comment --><p>hi</p>",
    ],
)
def test_document_check_web_page_renamed_pdf_is_refused(content):
    assert refusal(upload("pack.pdf", content)) == (
        "html",
        ["The selected file does not look like a PDF: it is a web page"],
    )


def _not_like(kind: str) -> tuple[str, list[str]]:
    return (
        "content",
        [
            f"The selected file does not look like {kind}: it may be damaged, or be another kind of file renamed"
        ],
    )


@pytest.mark.parametrize(
    "content",
    [
        b"Just some text",
        b" %PDF-1.4\n",  # not at the very start
        b"%PDF",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32,  # an old .doc
        zip_bytes([("a.txt", b"hello", zipfile.ZIP_DEFLATED)]),
    ],
)
def test_document_check_pdf_with_other_content_is_refused(content):
    assert refusal(upload("pack.pdf", content)) == _not_like("a PDF")


@pytest.mark.parametrize(
    "content",
    [
        zip_bytes([("a.txt", b"hello", zipfile.ZIP_DEFLATED)]),  # a renamed zip of anything else
        zip_bytes([]),  # an empty zip
        zip_bytes(docx_members()[1:]),  # no [Content_Types].xml
        zip_bytes([docx_members()[0], docx_members()[1]]),  # no word/document.xml
        zip_bytes(  # a spreadsheet
            [
                ("[Content_Types].xml", content_types_xml(), zipfile.ZIP_DEFLATED),
                ("xl/workbook.xml", b"<workbook/>", zipfile.ZIP_DEFLATED),
            ]
        ),
        docx(content_types_xml(main=TEMPLATE_MAIN)),  # a .dotx
        docx(content_types_xml(main="application/xml")),
        docx(content_types_xml().replace(b"/word/document.xml", b"/word/other.xml")),
        docx(b"<Types"),  # broken XML
        docx(b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><Types>&lol;</Types>'),
        docx()[:-30],  # truncated
        b"PK\x03\x04 not really a zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32,  # an old .doc, or an encrypted .docx
    ],
)
def test_document_check_docx_with_other_content_is_refused(content):
    assert refusal(upload("pack.docx", content)) == _not_like("a DOCX")


@pytest.mark.parametrize(
    "content",
    [
        docx(content_types_xml(main=MACRO_MAIN)),  # a .docm renamed
        docx(extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0", zipfile.ZIP_DEFLATED)]),
        docx(extra=[("word/VBAPROJECT.BIN", b"\xd0\xcf\x11\xe0", zipfile.ZIP_DEFLATED)]),
        docx(
            content_types_xml(
                extra='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
            )
        ),
    ],
)
def test_document_check_docx_with_macros_is_refused(content):
    assert refusal(upload("pack.docx", content)) == (
        "macros",
        ["The selected file contains macros: save it as a Word Document (.docx) and try again"],
    )


@pytest.mark.parametrize(
    "content",
    [
        odt(first=False),  # mimetype not first
        odt(compression=zipfile.ZIP_DEFLATED),  # mimetype compressed
        odt(mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
        odt(mimetype=b"application/vnd.oasis.opendocument.text\n"),
        odt(mimetype=b"application/vnd.oasis.opendocument.text-template"),
        odt(mimetype=b""),
        zip_bytes([("a.txt", b"hello", zipfile.ZIP_DEFLATED)]),
        odt()[:40],
    ],
)
def test_document_check_odt_with_other_content_is_refused(content):
    assert refusal(upload("pack.odt", content)) == _not_like("an ODT")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "pack.docx",
            PDF,
            "The selected file does not look like a DOCX: it is a PDF, so its name should end in .pdf",
        ),
        (
            "pack.odt",
            PDF,
            "The selected file does not look like an ODT: it is a PDF, so its name should end in .pdf",
        ),
        (
            "pack.pdf",
            docx(),
            "The selected file does not look like a PDF: it is a DOCX, so its name should end in .docx",
        ),
        (
            "pack.odt",
            docx(),
            "The selected file does not look like an ODT: it is a DOCX, so its name should end in .docx",
        ),
        (
            "pack.docx",
            odt(),
            "The selected file does not look like a DOCX: it is an ODT, so its name should end in .odt",
        ),
    ],
)
def test_document_check_extension_and_content_disagree_is_refused(name, content, message):
    assert refusal(upload(name, content)) == ("extension_mismatch", [message])


def _bomb() -> bytes:
    """A real DOCX whose one extra member unpacks to just over 100 MB (about 100 KB zipped)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, data, _compression in docx_members():
            package.writestr(name, data)
        with package.open("word/media/zeros.bin", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _megabyte in range(100):
                member.write(chunk)
            member.write(b"\x00")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["pack.docx", "pack.odt", "pack.pdf"])
def test_document_check_zip_that_unpacks_to_over_100_mb_is_refused(name):
    content = _bomb()
    assert len(content) < 1024 * 1024
    assert refusal(upload(name, content)) == (
        "uncompressed_too_large",
        ["The selected file is too big when unzipped: it must be smaller than 100 MB"],
    )


def test_document_check_zip_with_over_2000_members_is_refused():
    members = [*docx_members(), *((f"word/media/{i}.txt", b"", zipfile.ZIP_STORED) for i in range(1998))]
    assert len(members) == 2001
    assert refusal(upload("pack.docx", zip_bytes(members))) == (
        "too_many_members",
        ["The selected file contains too many files: a document must contain no more than 2,000"],
    )


def test_document_check_zip_with_2000_members_is_accepted():
    members = [*docx_members(), *((f"word/media/{i}.txt", b"", zipfile.ZIP_STORED) for i in range(1997))]
    assert len(members) == 2000
    assert document_check(upload("pack.docx", zip_bytes(members))).kind == "docx"


# --- The form field -----------------------------------------------------------------------------------


class PackForm(forms.Form):
    pack = DocumentField()


class OptionalPackForm(forms.Form):
    pack = DocumentField(required=False)


def test_document_field_allowed_document_sets_document_info():
    form = PackForm(data={}, files={"pack": upload("Pack.odt", odt())})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["pack"].name == "Pack.odt"
    assert form.cleaned_data["pack"].document_info == DocumentInfo(
        kind="odt", content_type=ODT_TYPE, filename="Pack.odt"
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"pack": upload("pack.exe", PDF)}, "The selected file must be a PDF, DOCX or ODT"),
        ({"pack": upload("pack.pdf", b"MZ")}, "The selected file does not look like a PDF: it is a program"),
        ({"pack": upload("pack.pdf", b"")}, "The selected file is empty"),
        ({}, "Select a file"),
    ],
)
def test_document_field_refused_upload_is_a_field_error(files, message):
    form = PackForm(data={}, files=files)
    assert not form.is_valid()
    assert form.errors == {"pack": [message]}


def test_document_field_optional_without_a_file_is_none():
    form = OptionalPackForm(data={}, files={})
    assert form.is_valid()
    assert form.cleaned_data == {"pack": None}


def test_document_field_widget_accepts_only_documents():
    assert PackForm()["pack"].field.widget.attrs == {
        "accept": ".pdf,.docx,.odt," + ",".join(CONTENT_TYPES.values())
    }


# --- Storing, deleting and serving ---------------------------------------------------------------------


@pytest.fixture
def private_storage(settings, tmp_path):
    """The private storage, pointed at a fresh folder (changing STORAGES resets Django's storages)."""
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    storage = storages["private"]
    assert storage.location == str(location)
    return storage


def test_document_store_saves_under_a_random_name_in_the_folder(private_storage, tmp_path):
    uploaded = upload("../../etc/passwd.pdf", PDF)
    info = document_check(uploaded)
    uploaded.read(3)  # the store must not depend on where the file was left

    name = document_store(uploaded, info=info, folder="briefing-packs/42")

    assert re.fullmatch(r"briefing-packs/42/[0-9a-f]{32}\.pdf", name)
    assert (tmp_path / "private" / name).read_bytes() == PDF
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()) == [
        f"private/{name}"
    ]


def test_document_store_twice_gives_two_names(private_storage):
    info = DocumentInfo(kind="docx", content_type=DOCX_TYPE, filename="pack.docx")
    first = document_store(upload("pack.docx", docx()), info=info, folder="packs")
    second = document_store(upload("pack.docx", docx()), info=info, folder="packs")
    assert first != second
    assert sorted(private_storage.listdir("packs")[1]) == sorted(
        [first[len("packs/") :], second[len("packs/") :]]
    )


@pytest.mark.parametrize("folder", ["../outside", "/etc", "packs/../..", "", "packs/", "a b"])
def test_document_store_folder_that_is_not_a_plain_path_is_refused(private_storage, folder):
    info = DocumentInfo(kind="pdf", content_type=PDF_TYPE, filename="pack.pdf")
    with pytest.raises(ValueError, match="Not a storage folder"):
        document_store(upload("pack.pdf", PDF), info=info, folder=folder)


def test_document_delete_removes_the_file(private_storage):
    info = DocumentInfo(kind="pdf", content_type=PDF_TYPE, filename="pack.pdf")
    name = document_store(upload("pack.pdf", PDF), info=info, folder="packs")
    document_delete(name)
    assert private_storage.exists(name) is False


def test_document_delete_missing_file_is_quiet(private_storage):
    assert document_delete("packs/0123456789abcdef0123456789abcdef.pdf") is None


def test_document_response_is_a_private_attachment(private_storage):
    info = DocumentInfo(kind="pdf", content_type=PDF_TYPE, filename="Briefing pack.pdf")
    name = document_store(upload("x.pdf", PDF), info=info, folder="packs")

    response = document_response(name, filename=info.filename, content_type=info.content_type)
    try:
        assert response.status_code == 200
        assert {
            header: response.headers[header]
            for header in ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Cache-Control")
        } == {
            "Content-Type": "application/pdf",
            "Content-Disposition": 'attachment; filename="Briefing pack.pdf"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
        assert response.headers["Content-Length"] == str(len(PDF))
        assert b"".join(response.streaming_content) == PDF
    finally:
        _close_file(response)


def _close_file(response) -> None:
    # Not response.close(): that signals the end of a request, which touches the database
    # connection an earlier test may have left open, and these tests have no database.
    response.file_to_stream.close()


def test_document_response_non_ascii_filename_is_encoded(private_storage):
    info = DocumentInfo(kind="odt", content_type=ODT_TYPE, filename="Café notes.odt")
    name = document_store(upload("x.odt", odt()), info=info, folder="packs")
    response = document_response(name, filename=info.filename, content_type=info.content_type)
    _close_file(response)
    assert response.headers["Content-Disposition"] == "attachment; filename*=utf-8''Caf%C3%A9%20notes.odt"
    assert response.headers["Content-Type"] == ODT_TYPE


def test_document_response_missing_file_is_404(private_storage):
    with pytest.raises(Http404):
        document_response(
            "packs/0123456789abcdef0123456789abcdef.pdf", filename="pack.pdf", content_type=PDF_TYPE
        )


def test_document_response_other_content_type_is_refused(private_storage):
    with pytest.raises(ValueError, match="Not a document content type"):
        document_response("packs/x.pdf", filename="pack.html", content_type="text/html")
