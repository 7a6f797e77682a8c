"""preparation_save and joining_instructions_save, called directly."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from connecting.uploads import document_check
from debriefs.models import JoiningInstructions, Preparation
from debriefs.services.common import DebriefRefused, PersonalDataWarning
from debriefs.services.preparation import joining_instructions_save, preparation_save
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
COMPLETE = {
    "objectives": "See how discharge works at the weekend.",
    "questions": "Who decides when a patient goes home?",
    "confidentiality_acknowledged": True,
}
INSTRUCTIONS = {
    "where_to_go": "Main reception, Northbridge Hospital",
    "who_to_ask_for": "Sam Host, discharge lead",
    "timings": "09:00 to 17:00",
}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path / "private"


@pytest.fixture
def booking():
    return BookingFactory(status=BookingStatus.CONFIRMED)


def _host(booking):
    return PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user


def _pdf(name="briefing.pdf"):
    upload = SimpleUploadedFile(name, PDF, content_type="application/pdf")
    return upload, document_check(upload)


def _stored_files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


# --- preparation_save ------------------------------------------------------------------------------


def test_preparation_save_keeps_a_draft_without_the_required_answers(booking):
    theme = ThemeFactory(name="Social care")

    preparation = preparation_save(
        booking=booking, by=booking.participant, objectives="  Half a thought ", policy_area=theme
    )

    assert (
        preparation.status,
        preparation.objectives,
        preparation.policy_area,
        preparation.submitted_at,
    ) == (
        "draft",
        "Half a thought",
        theme,
        None,
    )


def test_preparation_save_submits_and_records_when(booking):
    preparation = preparation_save(booking=booking, by=booking.participant, submit=True, **COMPLETE)

    assert (preparation.status, preparation.confidentiality_acknowledged) == ("submitted", True)
    assert timezone.now() - preparation.submitted_at < datetime.timedelta(minutes=1)


def test_preparation_save_refuses_to_submit_without_objectives_questions_or_acknowledgement(booking):
    with pytest.raises(DebriefRefused) as refused:
        preparation_save(booking=booking, by=booking.participant, submit=True)

    assert {name: [e.message for e in errors] for name, errors in refused.value.error_dict.items()} == {
        "objectives": ["Enter what you want to learn from the visit"],
        "questions": ["Enter your questions for your host"],
        "confidentiality_acknowledged": [
            "Confirm that you will follow the partner's confidentiality and safeguarding expectations"
        ],
    }
    assert Preparation.objects.count() == 0


def test_preparation_save_warns_of_personal_data_then_takes_it_confirmed(booking):
    text = dict(COMPLETE, questions="Can I meet Mrs Jones on ward 3?")

    with pytest.raises(PersonalDataWarning) as warning:
        preparation_save(booking=booking, by=booking.participant, submit=True, **text)
    assert Preparation.objects.count() == 0
    assert [(f.kind, f.text) for f in warning.value.findings["questions"]] == [("titled_name", "Mrs Jones")]

    preparation = preparation_save(
        booking=booking, by=booking.participant, submit=True, personal_data_confirmed=True, **text
    )
    assert (preparation.status, preparation.personal_data_confirmed) == ("submitted", True)


def test_preparation_save_keeps_a_submitted_preparation_submitted(booking):
    preparation_save(booking=booking, by=booking.participant, submit=True, **COMPLETE)

    preparation = preparation_save(
        booking=booking, by=booking.participant, **dict(COMPLETE, objectives="More")
    )

    assert (preparation.status, preparation.objectives, Preparation.objects.count()) == (
        "submitted",
        "More",
        1,
    )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("requested", "You can prepare once your visit is confirmed. This booking is requested."),
        ("cancelled", "You can prepare once your visit is confirmed. This booking is cancelled."),
        ("declined", "You can prepare once your visit is confirmed. This booking is declined."),
    ],
)
def test_preparation_save_refuses_a_booking_that_is_not_confirmed(status, message):
    booking = BookingFactory(status=status)

    with pytest.raises(DebriefRefused) as refused:
        preparation_save(booking=booking, by=booking.participant, submit=True, **COMPLETE)

    assert refused.value.messages == [message]
    assert Preparation.objects.count() == 0


def test_preparation_save_refuses_once_the_visit_has_started():
    booking = PastVisitFactory()

    with pytest.raises(DebriefRefused) as refused:
        preparation_save(booking=booking, by=booking.participant, **COMPLETE)

    assert refused.value.code == "preparation_visit_started"
    assert Preparation.objects.count() == 0


def test_preparation_save_is_for_the_participant_only(booking):
    with pytest.raises(PermissionDenied):
        preparation_save(booking=booking, by=_host(booking), **COMPLETE)
    with pytest.raises(PermissionDenied):
        preparation_save(booking=booking, by=BookingFactory().participant, **COMPLETE)
    assert Preparation.objects.count() == 0


# --- joining_instructions_save ---------------------------------------------------------------------


def test_joining_instructions_save_by_the_host_with_a_briefing_pack(booking, private_storage):
    host = _host(booking)
    upload, info = _pdf("Visitor pack.pdf")

    instructions = joining_instructions_save(
        booking=booking, by=host, briefing_pack=upload, briefing_pack_info=info, **INSTRUCTIONS
    )

    assert (
        instructions.who_to_ask_for,
        instructions.updated_by,
        instructions.briefing_pack_filename,
        instructions.briefing_pack_content_type,
    ) == ("Sam Host, discharge lead", host, "Visitor pack.pdf", "application/pdf")
    assert instructions.briefing_pack.startswith(f"briefing-packs/{booking.pk}/")
    assert storages["private"].open(instructions.briefing_pack).read() == PDF


def test_joining_instructions_save_by_the_team_on_the_partners_behalf(booking):
    team = ProgrammeTeamFactory(totp=False)

    instructions = joining_instructions_save(booking=booking, by=team, **INSTRUCTIONS)

    assert (instructions.updated_by, JoiningInstructions.objects.count()) == (team, 1)


def test_joining_instructions_save_replaces_the_pack_and_removes_the_old_file_after_commit(
    booking, private_storage, django_capture_on_commit_callbacks
):
    host = _host(booking)
    upload, info = _pdf()
    first = joining_instructions_save(
        booking=booking, by=host, briefing_pack=upload, briefing_pack_info=info, **INSTRUCTIONS
    ).briefing_pack

    upload, info = _pdf("second.pdf")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second = joining_instructions_save(
            booking=booking, by=host, briefing_pack=upload, briefing_pack_info=info, **INSTRUCTIONS
        ).briefing_pack
    assert _stored_files(private_storage) == sorted([first, second])

    for callback in callbacks:
        callback()
    assert _stored_files(private_storage) == [second]


def test_joining_instructions_save_removes_the_pack_when_asked(
    booking, private_storage, django_capture_on_commit_callbacks
):
    host = _host(booking)
    upload, info = _pdf()
    joining_instructions_save(
        booking=booking, by=host, briefing_pack=upload, briefing_pack_info=info, **INSTRUCTIONS
    )

    with django_capture_on_commit_callbacks(execute=True):
        instructions = joining_instructions_save(
            booking=booking, by=host, remove_briefing_pack=True, **INSTRUCTIONS
        )

    assert (instructions.briefing_pack, instructions.briefing_pack_filename) == ("", "")
    assert _stored_files(private_storage) == []


def test_joining_instructions_save_is_not_for_the_participant_or_another_partner(booking):
    with pytest.raises(PermissionDenied):
        joining_instructions_save(booking=booking, by=booking.participant, **INSTRUCTIONS)
    with pytest.raises(PermissionDenied):
        joining_instructions_save(booking=booking, by=PartnerMembershipFactory().user, **INSTRUCTIONS)
    assert JoiningInstructions.objects.count() == 0


@pytest.mark.parametrize(
    ("booking_kwargs", "code"),
    [
        ({"status": BookingStatus.REQUESTED}, "instructions_not_confirmed"),
        ({"status": BookingStatus.CANCELLED}, "instructions_not_confirmed"),
        ({"status": BookingStatus.CONFIRMED, "slot__days_ahead": -3}, "instructions_visit_ended"),
    ],
)
def test_joining_instructions_save_refuses_when_the_visit_is_not_going_ahead(
    booking_kwargs, code, private_storage
):
    booking = BookingFactory(**booking_kwargs)
    upload, info = _pdf()

    with pytest.raises(DebriefRefused) as refused:
        joining_instructions_save(
            booking=booking, by=_host(booking), briefing_pack=upload, briefing_pack_info=info, **INSTRUCTIONS
        )

    assert refused.value.code == code
    assert (JoiningInstructions.objects.count(), _stored_files(private_storage)) == (0, [])


def test_joining_instructions_can_still_change_while_the_visit_is_on(private_storage):
    now = timezone.now()
    slot = SlotFactory(starts_at=now - datetime.timedelta(hours=1), ends_at=now + datetime.timedelta(hours=3))
    booking = BookingFactory(slot=slot, status=BookingStatus.CONFIRMED)

    instructions = joining_instructions_save(booking=booking, by=_host(booking), **INSTRUCTIONS)

    assert instructions.timings == "09:00 to 17:00"
