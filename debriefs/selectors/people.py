"""Reads for other people's own pages: a participant's actions and the team's follow-up on their
debriefs ("My connecting"), and a partner's feedback given and received and the insights about it
(the partner dashboard).

The partner reads take partner ids the caller has already limited to the contact's own
organisations (`partners.selectors.partner_activity_list_for_user`) and answer per partner in one
query each, however many partners and rows there are. The partner reads never load a debrief's
text: counts and averages only.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Avg, Case, Count, F, Q, QuerySet, Value, When
from django.db.models.lookups import LessThan
from django.utils import timezone

from connecting.accounts.roles import is_participant
from debriefs.models import (
    QUOTABLE_STATUSES,
    SHAREABLE_CONSENTS,
    DebriefAction,
    Insight,
    PolicyAction,
    PolicyActionStatus,
    WouldHostAgain,
)
from placements.models import Booking, BookingStatus
from placements.selectors.visits import first_rows_per_partner, group_by_partner

# --- A participant's actions ---------------------------------------------------------------------


def debrief_action_list_for_participant(*, participant, today: datetime.date) -> QuerySet[DebriefAction]:
    """The actions the participant wrote in their own debriefs, soonest due first, each with
    `is_overdue` (due before `today`) and the visit it came from."""
    if not is_participant(participant):
        return DebriefAction.objects.none()
    return (
        DebriefAction.objects.filter(debrief__booking__participant=participant)
        .select_related("debrief__booking__slot__opportunity__partner")
        .annotate(is_overdue=LessThan(F("due_on"), Value(today)))
        .order_by("due_on", "pk")
    )


def policy_action_list_for_participant(*, participant) -> QuerySet[PolicyAction]:
    """The follow-up the programme team raised on the participant's own debriefs: open and in
    progress first (newest first), then done (most recently done first), each with its visit."""
    if not is_participant(participant):
        return PolicyAction.objects.none()
    return (
        PolicyAction.objects.filter(debrief__booking__participant=participant)
        .select_related("debrief__booking__slot__opportunity__partner")
        .annotate(is_done=Case(When(status=PolicyActionStatus.DONE, then=Value(1)), default=Value(0)))
        .order_by("is_done", F("done_at").desc(nulls_last=True), "-created_at", "-pk")
    )


# --- A partner's feedback given and received, and the insights about it ---------------------------


@dataclass(frozen=True)
class FeedbackGiven:
    """What the partner's contacts said about the visits they hosted."""

    count: int = 0
    average_value: float | None = None  # out of 5, to one decimal place
    percent_would_host_again: int | None = None


@dataclass(frozen=True)
class FeedbackReceived:
    """What visitors said, from shareable debriefs the team approved or published only: how many,
    and the average of the usefulness scores given (out of 5, to one decimal place)."""

    debriefs: int = 0
    scored: int = 0
    average_usefulness: float | None = None


def _by_partner(rows, key: str = "partner_id") -> dict[int, dict]:
    return {row[key]: row for row in rows}


def _average(value) -> float | None:
    return None if value is None else round(float(value), 1)


# Fewer scores than this and an average would give away what one visitor said.
MIN_SCORES_FOR_AVERAGE = 3


@dataclass(frozen=True)
class PartnerVisitFigures:
    """One partner's visits hosted (attended: since `year_starts_at` and in all), the feedback its
    contacts gave and what visitors said (`FeedbackGiven`, `FeedbackReceived`)."""

    hosted_this_year: int = 0
    hosted_all_time: int = 0
    given: FeedbackGiven = FeedbackGiven()
    received: FeedbackReceived = FeedbackReceived()


def partner_visit_figures(
    *, partner_ids: Iterable[int], year_starts_at: datetime.datetime
) -> dict[int, PartnerVisitFigures]:
    """For each partner with any booking, its visits hosted, the feedback given on its bookings and
    the debriefs of its visits that the author agreed to share and the team approved or published
    (count and average usefulness; the average left out below MIN_SCORES_FOR_AVERAGE scores).
    One query over the partners' bookings, grouped by partner: feedback and debrief are one per
    booking, so the joins never repeat a booking. No text is read."""
    shareable = Q(debrief__consent__in=SHAREABLE_CONSENTS, debrief__status__in=QUOTABLE_STATUSES)
    attended = Q(status=BookingStatus.ATTENDED)
    rows = (
        Booking.objects.filter(slot__opportunity__partner_id__in=list(partner_ids))
        .values(partner_id=F("slot__opportunity__partner_id"))
        .annotate(
            all_time=Count("pk", filter=attended),
            this_year=Count("pk", filter=attended & Q(slot__starts_at__gte=year_starts_at)),
            given=Count("partner_feedback"),
            given_average=Avg("partner_feedback__value_to_partner"),
            given_again=Count(
                "partner_feedback", filter=Q(partner_feedback__would_host_again=WouldHostAgain.YES)
            ),
            received=Count("debrief", filter=shareable),
            received_scored=Count("debrief__usefulness", filter=shareable),
            received_average=Avg("debrief__usefulness", filter=shareable),
        )
        .order_by()
    )
    return {
        row["partner_id"]: PartnerVisitFigures(
            hosted_this_year=row["this_year"],
            hosted_all_time=row["all_time"],
            given=FeedbackGiven(
                count=row["given"],
                average_value=_average(row["given_average"]),
                percent_would_host_again=round(row["given_again"] * 100 / row["given"]),
            )
            if row["given"]
            else FeedbackGiven(),
            received=FeedbackReceived(
                debriefs=row["received"],
                scored=row["received_scored"],
                average_usefulness=_average(row["received_average"])
                if row["received_scored"] >= MIN_SCORES_FOR_AVERAGE
                else None,
            )
            if row["received"]
            else FeedbackReceived(),
        )
        for row in rows
    }


def partner_feedback_given(*, partner_ids: Iterable[int]) -> dict[int, FeedbackGiven]:
    """For each partner with any feedback, its count, average value score and the share who would
    host again (a whole percentage). One query."""
    figures = partner_visit_figures(partner_ids=partner_ids, year_starts_at=timezone.now())
    return {partner_id: each.given for partner_id, each in figures.items() if each.given.count}


def booking_list_awaiting_feedback(
    *, partner_ids: Iterable[int], now: datetime.datetime, limit: int
) -> dict[int, list[Booking]]:
    """For each partner, its latest `limit` visits that have started, went or are going ahead
    (confirmed or attended) and have no feedback yet, latest first; each booking carries
    `partner_total`, the partner's whole count. One query."""
    bookings = Booking.objects.filter(
        slot__opportunity__partner_id__in=list(partner_ids),
        status__in=(BookingStatus.CONFIRMED, BookingStatus.ATTENDED),
        slot__starts_at__lte=now,
        partner_feedback__isnull=True,
    ).select_related("participant", "slot__opportunity")
    rows = first_rows_per_partner(
        queryset=bookings,
        partner_field="slot__opportunity__partner_id",
        order_by=[F("slot__starts_at").desc(), F("pk").desc()],
        limit=limit,
    ).order_by("-slot__starts_at", "-pk")
    return group_by_partner(rows)


def partner_feedback_received(*, partner_ids: Iterable[int]) -> dict[int, FeedbackReceived]:
    """For each partner, the debriefs of its visits that the author agreed to share and the team
    approved or published: their count and average usefulness. A debrief for the team only, or not
    yet approved, contributes nothing; the average is left out below MIN_SCORES_FOR_AVERAGE scores.
    One query; no text is read."""
    figures = partner_visit_figures(partner_ids=partner_ids, year_starts_at=timezone.now())
    return {partner_id: each.received for partner_id, each in figures.items() if each.received.debriefs}


def insight_list_latest_for_partners(*, partner_ids: Iterable[int], limit: int) -> dict[int, list[Insight]]:
    """For each partner, its `limit` latest published insights, newest first; each carries
    `partner_total`, how many insights about the partner there are in all. One query."""
    rows = first_rows_per_partner(
        queryset=Insight.objects.filter(partner_id__in=list(partner_ids)),
        partner_field="partner_id",
        order_by=[F("published_at").desc(), F("pk").desc()],
        limit=limit,
    ).order_by("-published_at", "-pk")
    return group_by_partner(rows)
