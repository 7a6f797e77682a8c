"""Who may see and write preparation, joining instructions, debriefs, feedback and insights.

Role and ownership only, as in `placements.permissions`: whether the booking's or the debrief's
state allows the step is the service's call (`debriefs.services`), and its refusal is shown in its
own words. Pages ask these predicates, and the selectors limit lists with the same rules.
"""

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from placements.models import Booking
from placements.permissions import is_contact_for_partner


def _is_own_booking(user, booking: Booking) -> bool:
    return is_participant(user) and booking.participant_id == user.pk


def _is_host(user, booking: Booking) -> bool:
    return is_contact_for_partner(user, booking.slot.opportunity.partner_id)


# --- Preparation and joining instructions ---------------------------------------------------------


def can_edit_preparation(user, booking: Booking) -> bool:
    """Only the participant writes their preparation."""
    return _is_own_booking(user, booking)


def can_view_preparation(user, booking: Booking) -> bool:
    """The participant; the host's contacts (once submitted: the service says which); the team."""
    return _is_own_booking(user, booking) or _is_host(user, booking) or is_programme_team(user)


def can_edit_joining_instructions(user, booking: Booking) -> bool:
    """The host's contacts, and the programme team on their behalf."""
    return _is_host(user, booking) or is_programme_team(user)


def can_view_joining_instructions(user, booking: Booking) -> bool:
    """Everyone entitled to the booking: the visitor, the host's contacts and the team. The
    briefing pack is served to these people only."""
    return _is_own_booking(user, booking) or _is_host(user, booking) or is_programme_team(user)


# --- Debriefs ---------------------------------------------------------------------------------------


def can_edit_debrief(user, booking: Booking) -> bool:
    """Only the participant writes their debrief."""
    return _is_own_booking(user, booking)


def can_view_debrief(user, booking: Booking) -> bool:
    """The author and the programme team. A partner never reads a debrief's text: only what the
    team publishes from it to the learning library."""
    return _is_own_booking(user, booking) or is_programme_team(user)


def can_review_debriefs(user) -> bool:
    return is_programme_team(user)


def can_manage_policy_actions(user) -> bool:
    return is_programme_team(user)


def can_export_debriefs(user) -> bool:
    return is_programme_team(user)


# --- Partner feedback -----------------------------------------------------------------------------


def can_give_partner_feedback(user, booking: Booking) -> bool:
    """The host's contacts give it; the team reads it; the visitor does not see it."""
    return _is_host(user, booking)


def can_view_partner_feedback(user, booking: Booking) -> bool:
    return _is_host(user, booking) or is_programme_team(user)


# --- The learning library -------------------------------------------------------------------------


def can_read_learning_library(user) -> bool:
    """Participants and the team read all of it; a partner contact the insights about their own
    organisation (the selector limits which)."""
    return is_participant(user) or is_partner_contact(user) or is_programme_team(user)


def can_see_you_said_we_did(user) -> bool:
    """The partner's view of what came of the visits it hosted."""
    return is_partner_contact(user) or is_programme_team(user)
