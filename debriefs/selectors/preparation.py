"""Reads for the pages before a visit. The booking has already come through
`placements.selectors.bookings.booking_get_for_user` and a predicate of `debriefs.permissions`."""

from debriefs.models import JoiningInstructions, Preparation
from placements.models import Booking


def preparation_get_for_booking(*, booking: Booking) -> Preparation | None:
    return Preparation.objects.select_related("policy_area").filter(booking=booking).first()


def preparation_get_for_reader(*, booking: Booking, user) -> Preparation | None:
    """The preparation as this person may read it: the participant's own in any state; for the
    host's contacts and the programme team only once it is submitted, as for debriefs, so a draft
    (not yet checked for personal data) stays its author's. None when there is nothing they may read."""
    preparation = preparation_get_for_booking(booking=booking)
    if preparation is None or preparation.is_submitted:
        return preparation
    if booking.participant_id == user.pk:
        return preparation
    return None


def joining_instructions_get_for_booking(*, booking: Booking) -> JoiningInstructions | None:
    return JoiningInstructions.objects.filter(booking=booking).first()
