"""Who may do what with programmes, opportunities and slots. Views and templates ask these only."""

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from partners.models import PartnerMembership, PartnerStatus
from placements.models import Opportunity, OpportunityStatus


def can_manage_programmes(user) -> bool:
    return is_programme_team(user)


def is_contact_for_partner(user, partner_id: int) -> bool:
    return (
        is_partner_contact(user)
        and PartnerMembership.objects.filter(user=user, partner_id=partner_id).exists()
    )


def can_edit_opportunity(user, opportunity: Opportunity) -> bool:
    """Partner contacts change their own organisations' opportunities and slots; the team changes any."""
    return is_programme_team(user) or is_contact_for_partner(user, opportunity.partner_id)


def is_open_to_participants(opportunity: Opportunity) -> bool:
    return (
        opportunity.status == OpportunityStatus.PUBLISHED
        and opportunity.partner.status == PartnerStatus.ACTIVE
    )


def can_view_opportunity(user, opportunity: Opportunity) -> bool:
    if can_edit_opportunity(user, opportunity):
        return True
    return is_participant(user) and is_open_to_participants(opportunity)
