import datetime
import hashlib

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_partner_contact, is_programme_team
from partners.models import Partner, PartnerBlackout, PartnerInvitation, PartnerMembership


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def partner_list_for_user(
    *, user, search: str = "", sector: str = "", region: str = "", status: str = ""
) -> QuerySet[Partner]:
    """The partners a person may see, A to Z: all for the programme team, their own for a contact.

    `search` matches anywhere in the name, whatever the case; the other filters match exactly, and
    an empty filter matches everything.
    """
    partners = Partner.objects.annotate(contact_count=Count("memberships", distinct=True)).order_by(
        Lower("name"), "pk"
    )
    if is_programme_team(user):
        pass
    elif is_partner_contact(user):
        partners = partners.filter(pk__in=PartnerMembership.objects.filter(user=user).values("partner_id"))
    else:
        return partners.none()
    if search:
        partners = partners.filter(name__icontains=search)
    if sector:
        partners = partners.filter(sector=sector)
    if region:
        partners = partners.filter(region=region)
    if status:
        partners = partners.filter(status=status)
    return partners


def partner_get_for_user(*, partner_id: int, user) -> Partner:
    """The one door from a URL to a partner: anything the user may not see answers 404."""
    partner = partner_list_for_user(user=user).filter(pk=partner_id).first()
    if partner is None:
        raise Http404("No such partner.")
    return partner


def partner_blackout_on(*, partner_id: int, day: datetime.date) -> PartnerBlackout | None:
    """The partner's blackout covering `day` (a local date), if any."""
    return PartnerBlackout.objects.filter(partner_id=partner_id, starts_on__lte=day, ends_on__gte=day).first()


def partner_contact_list(*, partner: Partner) -> QuerySet[PartnerMembership]:
    return partner.memberships.select_related("user").order_by("user__full_name", "user__email")


def partner_open_invitation_list(*, partner: Partner) -> QuerySet[PartnerInvitation]:
    return partner.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def partner_blackout_list(*, partner: Partner) -> QuerySet[PartnerBlackout]:
    """The partner's blackouts: current and upcoming ones first, soonest first; then past ones, latest first."""
    today = timezone.localdate()
    return (
        partner.blackouts.select_related("created_by")
        .annotate(is_past=Case(When(ends_on__lt=today, then=Value(True)), default=Value(False)))
        .order_by(
            "is_past",
            Case(When(is_past=False, then=F("starts_on"))).asc(),
            F("ends_on").desc(),
            "pk",
        )
    )


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
