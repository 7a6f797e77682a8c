"""Who may do what with programmes, opportunities and slots. Views and templates ask these only."""

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from partners.models import PartnerMembership
from placements.models import Booking, Opportunity


def is_contact_for_partner(user, partner_id: int) -> bool:
    return (
        is_partner_contact(user)
        and PartnerMembership.objects.filter(user=user, partner_id=partner_id).exists()
    )


def can_edit_opportunity(user, opportunity: Opportunity) -> bool:
    """Partner contacts change their own organisations' opportunities and slots; the team changes any."""
    return is_programme_team(user) or is_contact_for_partner(user, opportunity.partner_id)


# --- Bookings ------------------------------------------------------------------------------------
# Role and ownership only: whether the booking's state allows the move is the service's call. The
# detail page combines these with the state to decide which actions to offer.


def _is_own_booking(user, booking: Booking) -> bool:
    return is_participant(user) and booking.participant_id == user.pk


def _is_contact_for_booking(user, booking: Booking) -> bool:
    return is_contact_for_partner(user, booking.slot.opportunity.partner_id)


def can_view_booking(user, booking: Booking) -> bool:
    """The participant, contacts of the booking's partner and the programme team."""
    return is_programme_team(user) or _is_own_booking(user, booking) or _is_contact_for_booking(user, booking)


def can_cancel_booking(user, booking: Booking) -> bool:
    """The participant their own; a partner contact their partner's; the team any (on someone's behalf)."""
    return can_view_booking(user, booking)


def can_answer_booking(user, booking: Booking) -> bool:
    """Confirm or decline a request: contacts of the booking's partner, and the programme team."""
    return is_programme_team(user) or _is_contact_for_booking(user, booking)


def can_record_attendance(user, booking: Booking) -> bool:
    return is_programme_team(user) or _is_contact_for_booking(user, booking)


def can_accept_offer(user, booking: Booking) -> bool:
    """Only the participant takes a place they were offered from the waiting list."""
    return _is_own_booking(user, booking)


def can_see_line_manager_email(user, booking: Booking) -> bool:
    """The participant who gave it and the programme team; a partner has no need of it."""
    return is_programme_team(user) or _is_own_booking(user, booking)
