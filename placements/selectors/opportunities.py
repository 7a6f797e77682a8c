import datetime
from collections.abc import Iterable

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from connecting.db import fetchone_prepared
from connecting.page_bodies import row_version
from partners.models import Partner, PartnerBlackout, PartnerStatus
from placements.models import ROW_ID_MAX, Booking, Opportunity, OpportunityStatus, Programme, Slot, Theme
from placements.selectors.availability import partner_load_since


def _opportunities_visible_to(user, *, via: str = "") -> Q | None:
    """Which opportunities the person may see, as a condition on the opportunity reached by `via`
    (say "opportunity__" from a slot): all for the team, their partners' (any state) for a
    contact, and only published ones of active partners for a participant; None for nobody."""
    if is_programme_team(user):
        return Q()
    if is_partner_contact(user):
        # A person is a member of a partner once at most, so the join adds no duplicate rows.
        return Q(**{f"{via}partner__memberships__user": user})
    if is_participant(user):
        return Q(
            **{f"{via}status": OpportunityStatus.PUBLISHED, f"{via}partner__status": PartnerStatus.ACTIVE}
        )
    return None


def opportunity_list_for_user(*, user) -> QuerySet[Opportunity]:
    """Every opportunity the person may see (`_opportunities_visible_to`)."""
    opportunities = Opportunity.objects.select_related("partner")
    visible = _opportunities_visible_to(user)
    return opportunities.none() if visible is None else opportunities.filter(visible)


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


def _opportunity_rows_digest(*, ids, partners, capped, now, today, since, participant) -> str:
    """SQL for the `md5` of every row the browse cards and the detail page of some opportunities
    are made from, each argument an SQL expression: the opportunities' ids, their partners' and
    their capped partners' (arrays of bigint), now, today, `partner_load_since(today)` and the
    participant (NULL for anyone else). The versions (`row_version`) of the opportunities and
    their partners, which policy areas and programmes they have, their slots still to start, their
    partners' blackouts still to end, for capped partners the places held since `since` (their
    full weeks and months), the participant's own bookings on those slots, and every programme
    and theme (names, and the filter's choices): the inputs of `slot_availability_list` and
    `opportunity_browse_list`."""
    opportunity, partner, slot = Opportunity._meta.db_table, Partner._meta.db_table, Slot._meta.db_table
    areas = Opportunity.policy_areas.through._meta.db_table
    programmes = Opportunity.programmes.through._meta.db_table
    blackout, booking = PartnerBlackout._meta.db_table, Booking._meta.db_table
    theme, programme = Theme._meta.db_table, Programme._meta.db_table
    v = row_version
    return f"""md5(concat_ws('|',
            (SELECT string_agg(o.id || {v("o")} || {v("p")}, ',' ORDER BY o.id)
               FROM unnest({ids}) m(id) JOIN {opportunity} o ON o.id = m.id
               JOIN {partner} p ON p.id = o.partner_id),
            (SELECT string_agg(pa.opportunity_id || ':' || pa.theme_id, ',' ORDER BY pa.opportunity_id, pa.theme_id)
               FROM unnest({ids}) m(id) JOIN {areas} pa ON pa.opportunity_id = m.id),
            (SELECT string_agg(op.opportunity_id || ':' || op.programme_id, ',' ORDER BY op.opportunity_id, op.programme_id)
               FROM unnest({ids}) m(id) JOIN {programmes} op ON op.opportunity_id = m.id),
            (SELECT string_agg(s.id || {v("s")}, ',' ORDER BY s.id)
               FROM unnest({ids}) m(id) JOIN {slot} s ON s.opportunity_id = m.id AND s.starts_at > {now}),
            (SELECT string_agg(b.id || {v("b")}, ',' ORDER BY b.id)
               FROM unnest({partners}) mp(id) JOIN {blackout} b ON b.partner_id = mp.id AND b.ends_on >= {today}),
            (SELECT string_agg(s2.id || {v("s2")}, ',' ORDER BY s2.id)
               FROM unnest({capped}) cp(id) JOIN {opportunity} o2 ON o2.partner_id = cp.id
               JOIN {slot} s2 ON s2.opportunity_id = o2.id AND s2.starts_at >= {since} AND s2.places_held > 0),
            (SELECT string_agg(bk.id || {v("bk")}, ',' ORDER BY bk.id)
               FROM {booking} bk JOIN {slot} s3 ON s3.id = bk.slot_id
              WHERE bk.participant_id = {participant} AND s3.opportunity_id = ANY({ids}) AND s3.starts_at > {now}),
            (SELECT string_agg(g.id || {v("g")}, ',' ORDER BY g.id) FROM {programme} g),
            (SELECT string_agg(t.id || {v("t")}, ',' ORDER BY t.id) FROM {theme} t)
        ))"""  # noqa: S608 - table names from the models; the values are the caller's expressions


# What `opportunities_fingerprint` is given for each opportunity: (id, partner id, the partner's
# weekly and monthly caps).
OPPORTUNITY_FINGERPRINT_FIELDS = (
    "pk",
    "partner_id",
    "partner__max_visitors_per_week",
    "partner__max_visitors_per_month",
)


def opportunities_fingerprint(
    *, opportunities: Iterable[tuple[int, int, int | None, int | None]], participant, now: datetime.datetime
) -> str:
    """`_opportunity_rows_digest` of these opportunities for `participant` (None for anyone else)
    at `now` (`connecting.page_bodies`), with the London date, on which notice turns.
    `opportunities` holds (id, partner id, weekly cap, monthly cap) rows, as
    OPPORTUNITY_FINGERPRINT_FIELDS reads them. One prepared statement (`connecting.db`)."""
    today = timezone.localdate(now)
    ids, partners, capped = set(), set(), set()
    for pk, partner_id, week_cap, month_cap in opportunities:
        ids.add(pk)
        partners.add(partner_id)
        if week_cap is not None or month_cap is not None:
            capped.add(partner_id)
    digest = _opportunity_rows_digest(
        ids="%(ids)s::bigint[]",
        partners="%(partners)s::bigint[]",
        capped="%(capped)s::bigint[]",
        now="%(now)s::timestamptz",
        today="%(today)s::date",
        since="%(since)s::timestamptz",
        participant="%(participant)s::bigint",
    )
    (found,) = fetchone_prepared(
        "connecting_opportunities_fingerprint",
        f"SELECT {digest}",
        {
            "ids": sorted(ids),
            "partners": sorted(partners),
            "capped": sorted(capped),
            "now": now,
            "today": today,
            "since": partner_load_since(today),
            "participant": participant.pk if participant is not None else None,
        },
    )
    return f"{found}:{today.isoformat()}"


def opportunity_detail_fingerprint(
    *, opportunity_id: int, participant, now: datetime.datetime
) -> tuple[str, str] | None:
    """The opportunity's title and `_opportunity_rows_digest` of it alone, with the London date,
    or None when there is no such opportunity; one prepared statement. Whether the participant
    may see it is not decided here: a body is only ever kept after `opportunity_get_for_user` let
    it be rendered, from these same rows."""
    if not 0 < opportunity_id <= ROW_ID_MAX:  # the statement's bigint parameter would refuse it
        return None
    today = timezone.localdate(now)
    digest = _opportunity_rows_digest(
        ids="ARRAY[od.id]",
        partners="ARRAY[od.partner_id]",
        capped="(CASE WHEN pd.max_visitors_per_week IS NULL AND pd.max_visitors_per_month IS NULL "
        "THEN ARRAY[]::bigint[] ELSE ARRAY[pd.id] END)",
        now="%(now)s::timestamptz",
        today="%(today)s::date",
        since="%(since)s::timestamptz",
        participant="%(participant)s::bigint",
    )
    row = fetchone_prepared(
        "connecting_opportunity_detail_fingerprint",
        f"SELECT od.title, {digest} FROM {Opportunity._meta.db_table} od "  # noqa: S608 - model tables
        f"JOIN {Partner._meta.db_table} pd ON pd.id = od.partner_id WHERE od.id = %(opportunity)s::bigint",
        {
            "opportunity": opportunity_id,
            "now": now,
            "today": today,
            "since": partner_load_since(today),
            "participant": participant.pk,
        },
    )
    if row is None:
        return None
    title, found = row
    return title, f"{found}:{today.isoformat()}"


def slot_list_for_user(*, user) -> QuerySet[Slot]:
    """The slots of every opportunity the person may see, each with its opportunity and partner."""
    slots = Slot.objects.select_related("opportunity__partner")
    visible = _opportunities_visible_to(user, via="opportunity__")
    return slots.none() if visible is None else slots.filter(visible)


def slot_get_for_user(*, slot_id: int, user) -> Slot:
    """The one door from a URL to a slot: anything the user may not see answers 404."""
    try:
        return slot_list_for_user(user=user).get(pk=slot_id)
    except Slot.DoesNotExist:
        raise Http404("No such slot.") from None


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
