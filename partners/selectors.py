import datetime
import hashlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_partner_contact, is_programme_team
from debriefs.models import Insight
from debriefs.selectors.people import (
    FeedbackGiven,
    FeedbackReceived,
    PartnerVisitFigures,
    booking_list_awaiting_feedback,
    insight_list_latest_for_partners,
    partner_visit_figures,
)
from partners.models import Partner, PartnerBlackout, PartnerInvitation, PartnerMembership
from placements.models import Booking, BookingStatus
from placements.selectors.visits import first_rows_per_partner, group_by_partner


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


# --- The partner dashboard: visits hosted, feedback, insights --------------------------------------

RECENT_VISITS_SHOWN = 10
AWAITING_FEEDBACK_SHOWN = 10
INSIGHTS_SHOWN = 5


@dataclass(frozen=True)
class PartnerActivity:
    """One organisation's side of the dashboard. Lists are capped; the `*_count` say how many in all."""

    partner: Partner
    year_starts_on: datetime.date
    hosted_this_year: int = 0
    hosted_all_time: int = 0
    recent_visits: list[Booking] = field(default_factory=list)
    feedback_given: FeedbackGiven = FeedbackGiven()
    awaiting_feedback: list[Booking] = field(default_factory=list)
    awaiting_feedback_count: int = 0
    feedback_received: FeedbackReceived = FeedbackReceived()
    latest_insights: list[Insight] = field(default_factory=list)
    insight_count: int = 0


def _recent_hosted_visits(partner_ids: list[int]) -> dict[int, list[Booking]]:
    visits = Booking.objects.filter(
        slot__opportunity__partner_id__in=partner_ids, status=BookingStatus.ATTENDED
    ).select_related("participant", "slot__opportunity")
    rows = first_rows_per_partner(
        queryset=visits,
        partner_field="slot__opportunity__partner_id",
        order_by=[F("slot__starts_at").desc(), F("pk").desc()],
        limit=RECENT_VISITS_SHOWN,
    ).order_by("-slot__starts_at", "-pk")
    return group_by_partner(rows)


def partner_activity_list_for_user(
    *, user, now: datetime.datetime | None = None, partners: list[Partner] | None = None
) -> list[PartnerActivity]:
    """For each of a contact's own organisations (A to Z), the visits it hosted (attended: this
    calendar year and in all, the latest ten), the feedback its contacts gave and the visits still
    waiting for it, what visitors said in shareable approved debriefs, and the latest insights
    about it. Anyone but a partner contact gets nothing. `partners`, if the caller has already
    read `partner_list_for_user`, saves reading it again. Five queries, whatever the rows."""
    if not is_partner_contact(user):
        return []
    now = now or timezone.now()
    partners = list(partner_list_for_user(user=user)) if partners is None else partners
    ids = [partner.pk for partner in partners]
    if not ids:
        return []
    year_starts_on = timezone.localdate(now).replace(month=1, day=1)
    year_starts_at = timezone.make_aware(datetime.datetime.combine(year_starts_on, datetime.time.min))
    figures = partner_visit_figures(partner_ids=ids, year_starts_at=year_starts_at)
    recent = _recent_hosted_visits(ids)
    awaiting = booking_list_awaiting_feedback(partner_ids=ids, now=now, limit=AWAITING_FEEDBACK_SHOWN)
    insights = insight_list_latest_for_partners(partner_ids=ids, limit=INSIGHTS_SHOWN)
    activity = []
    for partner in partners:
        each = figures.get(partner.pk, PartnerVisitFigures())
        waiting = awaiting.get(partner.pk, [])
        latest = insights.get(partner.pk, [])
        activity.append(
            PartnerActivity(
                partner=partner,
                year_starts_on=year_starts_on,
                hosted_this_year=each.hosted_this_year,
                hosted_all_time=each.hosted_all_time,
                recent_visits=recent.get(partner.pk, []),
                feedback_given=each.given,
                awaiting_feedback=waiting,
                awaiting_feedback_count=waiting[0].partner_total if waiting else 0,
                feedback_received=each.received,
                latest_insights=latest,
                insight_count=latest[0].partner_total if latest else 0,
            )
        )
    return activity
