"""Who may do what with a partner organisation. Views and templates ask these only.

Seeing a partner at all is settled earlier, by `partners.selectors.partner_get_for_user` (404 for
anyone else's organisation); these predicates decide what someone who can see it may change.
"""

from connecting.accounts.roles import is_partner_contact, is_programme_team
from partners.models import Partner, PartnerMembership


def _membership(user, partner: Partner) -> PartnerMembership | None:
    if not is_partner_contact(user):
        return None
    return PartnerMembership.objects.filter(user=user, partner=partner).first()


def _is_partner_admin(user, partner: Partner) -> bool:
    membership = _membership(user, partner)
    return membership is not None and membership.is_admin


def can_view_partner(user, partner: Partner) -> bool:
    return is_programme_team(user) or _membership(user, partner) is not None


def can_create_partner(user) -> bool:
    return is_programme_team(user)


def can_invite_partner_contact(user, partner: Partner) -> bool:
    return is_programme_team(user) or _is_partner_admin(user, partner)


def can_edit_partner_profile(user, partner: Partner) -> bool:
    """Address, website, description and vetting requirements: the team, or the partner's admins."""
    return is_programme_team(user) or _is_partner_admin(user, partner)


def can_edit_partner_identity(user, partner: Partner) -> bool:
    """Name, sector and region feed reports and the browse filters, so only the team changes them."""
    return is_programme_team(user)


def can_manage_partner_capacity(user, partner: Partner) -> bool:
    """Visitor caps and blackout periods: the team, or the partner's admins."""
    return is_programme_team(user) or _is_partner_admin(user, partner)


def can_change_partner_status(user, partner: Partner) -> bool:
    return is_programme_team(user)
