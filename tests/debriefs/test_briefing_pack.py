"""The briefing pack: uploaded with the joining instructions into private storage, checked by its
content, and handed out only to the people entitled to the booking."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from debriefs.models import JoiningInstructions
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
)

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
INSTRUCTIONS = {
    "where_to_go": "Main reception, Northbridge Hospital",
    "who_to_ask_for": "Sam Host, discharge lead",
    "timings": "09:00 to 17:00",
    "other_information": "",
}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def booking():
    return BookingFactory(status=BookingStatus.CONFIRMED)


@pytest.fixture
def host(booking):
    return PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user


def _instructions_url(booking) -> str:
    return reverse("preparation:joining_instructions", args=[booking.pk])


def _download_url(booking) -> str:
    return reverse("preparation:briefing_pack", args=[booking.pk])


def _stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/word/document.xml" ContentType="{DOCX_TYPE}.main+xml"/></Types>',
        )
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _not_a_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("holiday.jpg", b"\xff\xd8\xff" + b"0" * 100)
    return buffer.getvalue()


def _upload(client, booking, name: str, content: bytes, **data):
    pack = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(_instructions_url(booking), {**INSTRUCTIONS, **data, "briefing_pack": pack})


def _downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


def test_briefing_pack_uploaded_into_private_storage(client, booking, host, private_storage):
    client.force_login(host)

    response = _upload(client, booking, "Visitor pack.pdf", PDF)

    instructions = JoiningInstructions.objects.get()
    assert response.status_code == 302
    assert (instructions.briefing_pack_filename, instructions.briefing_pack_content_type) == (
        "Visitor pack.pdf",
        "application/pdf",
    )
    assert _stored_files(private_storage) == [instructions.briefing_pack]
    assert instructions.briefing_pack.startswith(f"briefing-packs/{booking.pk}/")
    assert (private_storage / instructions.briefing_pack).read_bytes() == PDF


def test_briefing_pack_downloaded_by_the_participant_the_host_and_the_team(client, booking, host):
    client.force_login(host)
    _upload(client, booking, "Visitor pack.pdf", PDF)

    for user in (booking.participant, host, ProgrammeTeamFactory()):
        client.force_login(user)
        response = client.get(_download_url(booking))
        assert (
            response.status_code,
            response["Content-Type"],
            response["Content-Disposition"],
            response["X-Content-Type-Options"],
            _downloaded(response),
        ) == (200, "application/pdf", 'attachment; filename="Visitor pack.pdf"', "nosniff", PDF)


def test_briefing_pack_link_shown_to_the_participant(client, booking, host):
    client.force_login(host)
    _upload(client, booking, "Visitor pack.pdf", PDF)
    client.force_login(booking.participant)

    for url in (reverse("preparation:preparation", args=[booking.pk]), _instructions_url(booking)):
        html = client.get(url).content.decode()
        assert (
            f'<a class="govuk-link" href="{_download_url(booking)}" download>Download Visitor pack.pdf</a>'
            in html
        )


def test_briefing_pack_as_a_docx_is_served_as_a_docx(client, booking, host):
    client.force_login(host)
    _upload(client, booking, "pack.docx", _docx())

    response = client.get(_download_url(booking))

    assert (response.status_code, response["Content-Type"]) == (200, DOCX_TYPE)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "big.pdf",
            b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024),
            "The selected file must be smaller than 10 MB",
        ),
        (
            "setup.pdf",
            b"MZ\x90\x00\x03" + b"\x00" * 200,
            "The selected file does not look like a PDF: it is a program",
        ),
        (
            "pack.docx",
            _not_a_docx(),
            "The selected file does not look like a DOCX: it may be damaged, or be another kind of file renamed",
        ),
        ("pack.html", b"<html></html>", "The selected file must be a PDF, DOCX or ODT"),
    ],
)
def test_briefing_pack_that_is_refused_is_a_field_error_and_nothing_is_kept(
    client, booking, host, private_storage, name, content, message
):
    client.force_login(host)

    response = _upload(client, booking, name, content)

    assert response.status_code == 400
    assert response.context["form"].errors == {"briefing_pack": [message]}
    assert (JoiningInstructions.objects.count(), _stored_files(private_storage)) == (0, [])


def test_briefing_pack_replaced_removes_the_old_file_after_commit(
    client, booking, host, private_storage, django_capture_on_commit_callbacks
):
    client.force_login(host)
    _upload(client, booking, "first.pdf", PDF)
    first = JoiningInstructions.objects.get().briefing_pack

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client, booking, "second.pdf", PDF + b"% second\n")
    second = JoiningInstructions.objects.get().briefing_pack
    assert response.status_code == 302
    assert _stored_files(private_storage) == sorted([first, second])

    for callback in callbacks:
        callback()
    assert _stored_files(private_storage) == [second]
    assert _downloaded(client.get(_download_url(booking))) == PDF + b"% second\n"


def test_briefing_pack_removed_with_the_checkbox(
    client, booking, host, private_storage, django_capture_on_commit_callbacks
):
    client.force_login(host)
    _upload(client, booking, "first.pdf", PDF)
    page = client.get(_instructions_url(booking))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_instructions_url(booking), {**INSTRUCTIONS, "remove_briefing_pack": "on"})

    assert "Remove first.pdf" in page.content.decode()
    assert "If you tick this, the visitor can no longer download it." in page.content.decode()
    assert (response.status_code, JoiningInstructions.objects.get().briefing_pack) == (302, "")
    assert _stored_files(private_storage) == []
    assert client.get(_download_url(booking)).status_code == 404


def test_briefing_pack_not_found_for_another_partners_contact_or_participant(client, booking, host):
    client.force_login(host)
    _upload(client, booking, "Visitor pack.pdf", PDF)

    for outsider in (PartnerMembershipFactory(partner=PartnerFactory()).user, ParticipantFactory()):
        client.force_login(outsider)
        assert client.get(_download_url(booking)).status_code == 404


def test_briefing_pack_not_found_when_there_is_none(client, booking, host):
    client.force_login(host)
    client.post(_instructions_url(booking), INSTRUCTIONS)

    assert client.get(_download_url(booking)).status_code == 404
    assert JoiningInstructions.objects.get().briefing_pack == ""


def test_briefing_pack_download_is_get_only(client, booking, host):
    client.force_login(host)

    assert client.post(_download_url(booking)).status_code == 405


def test_an_upload_over_the_cap_is_written_to_disk_only_up_to_the_cap_and_keeps_its_true_size(settings):
    from connecting.uploads import SizeCappedUploadHandler

    settings.UPLOAD_MAX_BYTES = 1000
    handler = SizeCappedUploadHandler()
    handler.new_file("briefing_pack", "huge.pdf", "application/pdf", 50_000, "utf-8")
    for start in range(0, 50_000, 4096):
        handler.receive_data_chunk(b"x" * min(4096, 50_000 - start), start)

    uploaded = handler.file_complete(50_000)

    with open(uploaded.temporary_file_path(), "rb") as on_disk:
        assert (len(on_disk.read()), uploaded.size) == (1001, 50_000)


def test_an_upload_over_the_cap_through_the_page_is_refused_by_its_true_size(
    client, settings, booking, host, private_storage
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # straight to the capped temporary file
    client.force_login(host)

    response = _upload(client, booking, "big.pdf", PDF + b"0" * (2 * 1024 * 1024))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "briefing_pack": ["The selected file must be smaller than 1 MB"]
    }
    assert (JoiningInstructions.objects.count(), _stored_files(private_storage)) == (0, [])
