import datetime

from django.db import connection
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from connecting.page_bodies import row_version
from partners.models import Partner, PartnerBlackout, PartnerStatus
from placements.models import Booking, Opportunity, OpportunityStatus, Programme, Slot, Theme
from placements.selectors.availability import partner_load_since


def opportunity_list_for_user(*, user) -> QuerySet[Opportunity]:
    """Every opportunity the person may see: all for the team, their partners' (any state) for a
    contact, and only published ones of active partners for a participant."""
    opportunities = Opportunity.objects.select_related("partner")
    if is_programme_team(user):
        return opportunities
    if is_partner_contact(user):
        return opportunities.filter(partner__memberships__user=user)
    if is_participant(user):
        return opportunities.filter(status=OpportunityStatus.PUBLISHED, partner__status=PartnerStatus.ACTIVE)
    return opportunities.none()


def opportunity_get_for_user(*, opportunity_id: int, user) -> Opportunity:
    """The one door from a URL to an opportunity: anything the user may not see answers 404."""
    opportunity = (
        opportunity_list_for_user(user=user)
        .prefetch_related("programmes", "policy_areas")
        .filter(pk=opportunity_id)
        .first()
    )
    if opportunity is None:
        raise Http404("No such opportunity.")
    return opportunity


def opportunity_detail_fingerprint(
    *, opportunity_id: int, participant, now: datetime.datetime
) -> tuple[str, str] | None:
    """The opportunity's title and a digest of every row its detail page shows to this
    participant at `now` (`connecting.page_bodies`), or None when there is no such opportunity.
    Whether the participant may see it is not decided here: a body is only ever kept after
    `opportunity_get_for_user` let it be rendered, from these same rows.

    The versions (`row_version`) of: the opportunity and its partner; its policy areas and programmes; its slots still to
    start; the partner's blackouts still to end; for a capped partner, the places held on its
    slots since `partner_load_since` (its full weeks and months); the participant's own bookings
    on the slots shown. Those are the inputs of `slot_availability_list`, with the date of `now`.
    """
    today = timezone.localdate(now)
    v = row_version
    sql = f"""
        SELECT o.title, md5(concat_ws('|', {v("o")}, {v("p")},
            (SELECT string_agg(t.id || {v("t")}, ',' ORDER BY t.id) FROM {Theme._meta.db_table} t
               JOIN {Opportunity.policy_areas.through._meta.db_table} pa ON pa.theme_id = t.id
              WHERE pa.opportunity_id = o.id),
            (SELECT string_agg(g.id || {v("g")}, ',' ORDER BY g.id) FROM {Programme._meta.db_table} g
               JOIN {Opportunity.programmes.through._meta.db_table} op ON op.programme_id = g.id
              WHERE op.opportunity_id = o.id),
            (SELECT string_agg(s.id || {v("s")}, ',' ORDER BY s.id) FROM {Slot._meta.db_table} s
              WHERE s.opportunity_id = o.id AND s.starts_at > %(now)s),
            (SELECT string_agg(b.id || {v("b")}, ',' ORDER BY b.id) FROM {PartnerBlackout._meta.db_table} b
              WHERE b.partner_id = p.id AND b.ends_on >= %(today)s),
            (SELECT string_agg(s2.id || {v("s2")}, ',' ORDER BY s2.id)
               FROM {Slot._meta.db_table} s2 JOIN {Opportunity._meta.db_table} o2 ON o2.id = s2.opportunity_id
              WHERE o2.partner_id = p.id AND s2.starts_at >= %(since)s AND s2.places_held > 0
                AND (p.max_visitors_per_week IS NOT NULL OR p.max_visitors_per_month IS NOT NULL)),
            (SELECT string_agg(bk.id || {v("bk")}, ',' ORDER BY bk.id) FROM {Booking._meta.db_table} bk
               JOIN {Slot._meta.db_table} s3 ON s3.id = bk.slot_id
              WHERE s3.opportunity_id = o.id AND s3.starts_at > %(now)s AND bk.participant_id = %(participant)s)
        ))
        FROM {Opportunity._meta.db_table} o JOIN {Partner._meta.db_table} p ON p.id = o.partner_id
        WHERE o.id = %(opportunity)s
    """  # noqa: S608 - table names from the models; every value is a parameter
    params = {
        "opportunity": opportunity_id,
        "participant": participant.pk,
        "now": now,
        "today": today,
        "since": partner_load_since(today),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    title, digest = row
    return title, f"{digest}:{today.isoformat()}"


def slot_list_for_user(*, user) -> QuerySet[Slot]:
    return Slot.objects.select_related("opportunity__partner").filter(
        opportunity__in=opportunity_list_for_user(user=user)
    )


def slot_get_for_user(*, slot_id: int, user) -> Slot:
    slot = slot_list_for_user(user=user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404("No such slot.")
    return slot


def opportunity_manage_list(*, user, status: str = "") -> QuerySet[Opportunity]:
    """The opportunities a contact or the team manages, with their upcoming slots summarised."""
    now = timezone.now()
    upcoming = Q(slots__starts_at__gt=now)
    opportunities = (
        opportunity_list_for_user(user=user)
        .annotate(
            upcoming_slots=Count("slots", filter=upcoming),
            upcoming_places_left=Sum(F("slots__capacity") - F("slots__places_held"), filter=upcoming),
            next_slot_at=Min("slots__starts_at", filter=upcoming),
        )
        .order_by("partner__name", "title", "pk")
    )
    if status in OpportunityStatus.values:
        opportunities = opportunities.filter(status=status)
    return opportunities


def opportunity_slot_list(*, opportunity: Opportunity, upcoming: bool = True) -> QuerySet[Slot]:
    now = timezone.now()
    slots = opportunity.slots.all()
    return (
        slots.filter(ends_at__gt=now).order_by("starts_at")
        if upcoming
        else slots.filter(ends_at__lte=now).order_by("-starts_at")
    )


def upcoming_slot_list_for_partners(*, user, limit: int = 10) -> QuerySet[Slot]:
    """The next slots of the user's partners' opportunities, with places taken and left."""
    return (
        slot_list_for_user(user=user)
        .filter(starts_at__gt=timezone.now())
        .exclude(opportunity__status=OpportunityStatus.CLOSED)
        .order_by("starts_at", "pk")[:limit]
    )
