"""Participants ask for a place. The booking lifecycle (confirm, decline, cancel...) builds on this."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from placements.models import BookingStatus
from placements.selectors.opportunities import slot_get_for_user
from placements.services.bookings import BookingRefused, booking_programme_for, booking_request


@require_POST
@role_required(Role.PARTICIPANT)
def booking_request_view(request, slot_id: int):
    slot = slot_get_for_user(slot_id=slot_id, user=request.user)
    back = redirect("browse:detail", opportunity_id=slot.opportunity_id)
    programme = booking_programme_for(slot=slot, participant=request.user)
    if programme is None:
        messages.error(
            request,
            _(
                "You are not enrolled on a programme that offers this opportunity. Ask the programme team to enrol you."
            ),
        )
        return back
    try:
        booking = booking_request(slot=slot, participant=request.user, programme=programme)
    except BookingRefused as refused:
        messages.error(request, " ".join(refused.messages))
        return back
    partner = slot.opportunity.partner
    if booking.status == BookingStatus.CONFIRMED:
        messages.success(
            request, _("Your place is confirmed. %(partner)s expects you.") % {"partner": partner}
        )
    else:
        messages.success(
            request,
            _("Your request has been sent to %(partner)s. Your place is held while they confirm.")
            % {"partner": partner},
        )
    return back
