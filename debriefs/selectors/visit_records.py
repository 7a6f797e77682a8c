"""What the booking page says about the records of a visit: preparation, joining instructions,
debrief and the host's feedback, each with where to go for it, for the person looking."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from debriefs.permissions import (
    can_edit_debrief,
    can_edit_joining_instructions,
    can_edit_preparation,
    can_give_partner_feedback,
    can_view_debrief,
    can_view_joining_instructions,
    can_view_partner_feedback,
    can_view_preparation,
)
from debriefs.services.common import (
    debrief_check_open,
    is_open,
    joining_instructions_check_open,
    partner_feedback_check_open,
    preparation_check_open,
)
from placements.models import Booking, BookingStatus

S = BookingStatus
# Bookings whose visit is, or was, going ahead: the only ones with records to show.
VISIT_STATUSES = (S.CONFIRMED, S.ATTENDED, S.NO_SHOW)


@dataclass(frozen=True)
class VisitRecord:
    title: str
    status: str
    link_label: str = ""
    url: str = ""


def _related(booking: Booking, name: str):
    try:
        return getattr(booking, name)
    except ObjectDoesNotExist:
        return None


def _preparation(booking, user, now) -> VisitRecord | None:
    if not can_view_preparation(user, booking):
        return None
    preparation = _related(booking, "preparation")
    url = reverse("preparation:preparation", args=[booking.pk])
    submitted = preparation is not None and preparation.is_submitted
    if can_edit_preparation(user, booking):
        if is_open(preparation_check_open, booking, now=now):
            status = _("Submitted") if submitted else (_("Draft saved") if preparation else _("Not started"))
            return VisitRecord(
                _("Your preparation"),
                status,
                _("Change your preparation") if preparation else _("Prepare for your visit"),
                url,
            )
        if preparation is None:
            return None
        return VisitRecord(
            _("Your preparation"), preparation.get_status_display(), _("See your preparation"), url
        )
    if submitted:
        return VisitRecord(
            _("The visitor's preparation"),
            _("Submitted"),
            _("Read the visitor's objectives and questions"),
            url,
        )
    # "Yet" only while there is still time: once the visit starts, none is coming.
    waiting = booking.status == S.CONFIRMED and booking.slot.starts_at > now
    return VisitRecord(
        _("The visitor's preparation"), _("Not submitted yet") if waiting else _("Not submitted")
    )


def _joining_instructions(booking, user, now) -> VisitRecord | None:
    if not can_view_joining_instructions(user, booking):
        return None
    instructions = _related(booking, "joining_instructions")
    url = reverse("preparation:joining_instructions", args=[booking.pk])
    given = _("Given") if instructions else _("Not given yet")
    if can_edit_joining_instructions(user, booking) and is_open(
        joining_instructions_check_open, booking, now=now
    ):
        label = _("Change the joining instructions") if instructions else _("Give joining instructions")
        return VisitRecord(_("Joining instructions"), given, label, url)
    if instructions:
        return VisitRecord(_("Joining instructions"), given, _("Read the joining instructions"), url)
    return VisitRecord(_("Joining instructions"), given)


def _debrief(booking, user, now) -> VisitRecord | None:
    if not can_view_debrief(user, booking):
        return None
    debrief = _related(booking, "debrief")
    url = reverse("debriefs:debrief", args=[booking.pk])
    if can_edit_debrief(user, booking):
        if debrief is not None:
            label = _("Change your debrief") if debrief.is_editable else _("See your debrief")
            return VisitRecord(_("Your debrief"), debrief.get_status_display(), label, url)
        if is_open(debrief_check_open, booking, now=now):
            return VisitRecord(_("Your debrief"), _("Not started"), _("Write your debrief"), url)
        return VisitRecord(_("Your debrief"), _("Opens on the day of your visit"))
    if debrief is None or debrief.status == "draft":
        return VisitRecord(_("Debrief"), _("Not submitted yet"))
    return VisitRecord(
        _("Debrief"),
        debrief.get_status_display(),
        _("Review the debrief"),
        reverse("review:detail", args=[debrief.pk]),
    )


def _partner_feedback(booking, user, now) -> VisitRecord | None:
    if not can_view_partner_feedback(user, booking):
        return None
    feedback = _related(booking, "partner_feedback")
    url = reverse("debriefs:feedback", args=[booking.pk])
    status = _("Given") if feedback else _("Not given yet")
    if can_give_partner_feedback(user, booking) and is_open(partner_feedback_check_open, booking, now=now):
        label = _("Change your feedback") if feedback else _("Give feedback on the visit")
        return VisitRecord(_("Feedback from the host"), status, label, url)
    if feedback:
        return VisitRecord(_("Feedback from the host"), status, _("Read the host's feedback"), url)
    return VisitRecord(_("Feedback from the host"), status)


def booking_visit_records(
    *, booking: Booking, user, now: datetime.datetime | None = None
) -> list[VisitRecord]:
    """The rows of the booking page's "Before and after the visit" section that `user` may see.

    The booking should come with its records loaded (`booking_get_for_user` selects them), so this
    makes no query of its own.
    """
    if booking.status not in VISIT_STATUSES:
        return []
    now = now or timezone.now()
    rows = (
        _preparation(booking, user, now),
        _joining_instructions(booking, user, now),
        _debrief(booking, user, now),
        _partner_feedback(booking, user, now),
    )
    return [row for row in rows if row is not None]
