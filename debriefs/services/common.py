"""What the services of this app share: their refusal, the personal-data warning, and the rules
for when each record of a visit may be written."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from placements.models import Booking, BookingStatus

S = BookingStatus


class DebriefRefused(ValidationError):
    """A step the booking's or the debrief's state does not allow, in words a person can act on."""


class PersonalDataWarning(Exception):
    """Text about to be submitted looks as if it names a patient or member of the public.

    Nothing is saved. The author either edits the text or says it is fine as it is, and submits
    again with `personal_data_confirmed=True`.
    """

    def __init__(self, findings: dict):
        super().__init__("possible personal data")
        self.findings = findings


def personal_data_check(fields: dict[str, str], *, confirmed: bool) -> None:
    from debriefs.personal_data import personal_data_find_in_fields

    if confirmed:
        return
    findings = personal_data_find_in_fields(fields)
    if findings:
        raise PersonalDataWarning(findings)


def lock_booking(booking_id: int) -> Booking:
    """Lock one booking row (nothing else, so no lock-order question arises) and read it afresh."""
    return (
        Booking.objects.select_for_update(no_key=True, of=("self",))
        .select_related("slot__opportunity__partner", "participant", "programme")
        .get(pk=booking_id)
    )


def _visit_day(booking: Booking) -> datetime.date:
    return timezone.localdate(booking.slot.starts_at)


def preparation_check_open(booking: Booking, *, now: datetime.datetime) -> None:
    """Preparation is for a confirmed visit that has not started."""
    if booking.status != S.CONFIRMED:
        raise DebriefRefused(
            _("You can prepare once your visit is confirmed. This booking is %(status)s.")
            % {"status": booking.get_status_display().lower()},
            code="preparation_not_confirmed",
        )
    if booking.slot.starts_at <= now:
        raise DebriefRefused(
            _("Your visit has started, so its preparation can no longer be changed."),
            code="preparation_visit_started",
        )


def joining_instructions_check_open(booking: Booking, *, now: datetime.datetime) -> None:
    """Joining instructions are for a confirmed visit that has not ended."""
    if booking.status != S.CONFIRMED:
        raise DebriefRefused(
            _("Joining instructions are given for confirmed visits. This booking is %(status)s.")
            % {"status": booking.get_status_display().lower()},
            code="instructions_not_confirmed",
        )
    if booking.slot.ends_at <= now:
        raise DebriefRefused(
            _("This visit has ended, so its joining instructions can no longer be changed."),
            code="instructions_visit_ended",
        )


def debrief_check_open(booking: Booking, *, now: datetime.datetime) -> None:
    """A debrief is written from the day of the visit, for a visit that is going ahead or happened."""
    if booking.status not in (S.CONFIRMED, S.ATTENDED):
        raise DebriefRefused(
            _("There is no debrief for this booking: it is %(status)s.")
            % {"status": booking.get_status_display().lower()},
            code="debrief_not_a_visit",
        )
    if timezone.localdate(now) < _visit_day(booking):
        raise DebriefRefused(
            _("You can write your debrief from the day of your visit, %(day)s.")
            % {"day": _visit_day(booking).strftime("%-d %B %Y")},
            code="debrief_before_visit",
        )


def partner_feedback_check_open(booking: Booking, *, now: datetime.datetime) -> None:
    """The host gives feedback on a visit that has started and was not missed or called off."""
    if booking.status not in (S.CONFIRMED, S.ATTENDED):
        raise DebriefRefused(
            _("There is no visit to give feedback on: this booking is %(status)s.")
            % {"status": booking.get_status_display().lower()},
            code="feedback_not_a_visit",
        )
    if booking.slot.starts_at > now:
        raise DebriefRefused(
            _("You can give feedback once the visit has started."), code="feedback_before_visit"
        )


def refusal_now(check, booking: Booking, *, now: datetime.datetime | None = None) -> DebriefRefused | None:
    """For pages deciding what to offer: why `check` rules the step out now, or None if it is open."""
    try:
        check(booking, now=now or timezone.now())
    except DebriefRefused as refused:
        return refused
    return None


def is_open(check, booking: Booking, *, now: datetime.datetime | None = None) -> bool:
    return refusal_now(check, booking, now=now) is None
