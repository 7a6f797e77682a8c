"""Who may do what with programmes, opportunities and slots. Views and templates ask these only."""

from connecting.accounts.roles import is_partner_contact, is_programme_team
from partners.models import PartnerMembership
from placements.models import Opportunity


def is_contact_for_partner(user, partner_id: int) -> bool:
    return (
        is_partner_contact(user)
        and PartnerMembership.objects.filter(user=user, partner_id=partner_id).exists()
    )


def can_edit_opportunity(user, opportunity: Opportunity) -> bool:
    """Partner contacts change their own organisations' opportunities and slots; the team changes any."""
    return is_programme_team(user) or is_contact_for_partner(user, opportunity.partner_id)
