import hashlib

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_partner_contact, is_programme_team
from partners.models import Partner, PartnerInvitation, PartnerMembership


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def partner_list_for_user(*, user) -> QuerySet[Partner]:
    """The partners a person may see: all for the programme team, their own for a contact."""
    partners = Partner.objects.annotate(contact_count=Count("memberships")).order_by("name", "pk")
    if is_programme_team(user):
        return partners
    if is_partner_contact(user):
        return partners.filter(memberships__user=user)
    return partners.none()


def partner_get_for_user(*, partner_id: int, user) -> Partner:
    """The one door from a URL to a partner: anything the user may not see answers 404."""
    partner = partner_list_for_user(user=user).filter(pk=partner_id).first()
    if partner is None:
        raise Http404("No such partner.")
    return partner


def partner_contact_list(*, partner: Partner) -> QuerySet[PartnerMembership]:
    return partner.memberships.select_related("user").order_by("user__full_name", "user__email")


def partner_open_invitation_list(*, partner: Partner) -> QuerySet[PartnerInvitation]:
    return partner.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def partner_invitation_get_by_token(*, token: str) -> PartnerInvitation | None:
    if not token or len(token) > 200:
        return None
    return (
        PartnerInvitation.objects.select_related("partner")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


def user_exists_with_email(*, email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email).exists()
