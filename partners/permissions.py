from connecting.accounts.roles import is_partner_contact, is_programme_team
from partners.models import Partner, PartnerMembership


def _membership(user, partner: Partner) -> PartnerMembership | None:
    if not is_partner_contact(user):
        return None
    return PartnerMembership.objects.filter(user=user, partner=partner).first()


def can_view_partner(user, partner: Partner) -> bool:
    return is_programme_team(user) or _membership(user, partner) is not None


def can_invite_partner_contact(user, partner: Partner) -> bool:
    if is_programme_team(user):
        return True
    membership = _membership(user, partner)
    return membership is not None and membership.is_admin
