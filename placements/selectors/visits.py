"""A participant's own visits: the upcoming and past lists, their history, the days counted
against each programme's target, and what the participant has to do next for each visit; and a
helper for "the latest few of each partner's rows" that the partner dashboard reads with."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from connecting.db import fetchone_prepared
from connecting.page_bodies import row_version
from connecting.working_days import london_at
from placements.models import Booking, BookingStatus, Enrolment, Opportunity, Programme

S = BookingStatus
# A visit is upcoming while it can still happen: its slot has not ended and the booking is live.
UPCOMING_STATUSES = (S.REQUESTED, S.CONFIRMED, S.WAITLISTED, S.OFFERED)
FINISHED_STATUSES = (S.ATTENDED, S.NO_SHOW, S.CANCELLED, S.DECLINED, S.EXPIRED)
# Days count as booked once the partner has said yes; a request may still be declined.
BOOKED_STATUSES = (S.CONFIRMED, S.ATTENDED)


def _visits_of(participant) -> QuerySet[Booking]:
    # Preparation and debrief come in their own small queries: joined as well, the seven-table
    # join took PostgreSQL about 2 ms to plan on every view, ten times what it took to run.
    return (
        Booking.objects.filter(participant=participant)
        .select_related("slot__opportunity__partner", "programme")
        .prefetch_related("preparation", "debrief")
    )


def _is_upcoming(booking: Booking, now: datetime.datetime) -> bool:
    """`visit_list_for_participant`'s "upcoming", for a booking already loaded."""
    return booking.slot.ends_at > now and booking.status in UPCOMING_STATUSES


def visit_list_for_participant(
    *, participant, when: Literal["upcoming", "past"], now: datetime.datetime | None = None
) -> QuerySet[Booking]:
    """Upcoming visits soonest first; past ones (ended, or finished whatever the date) latest first.

    Every booking of the participant is in exactly one of the two lists (the statuses are split
    between UPCOMING_STATUSES and FINISHED_STATUSES).
    """
    now = now or timezone.now()
    bookings = _visits_of(participant)
    if when == "upcoming":
        return bookings.filter(slot__ends_at__gt=now, status__in=UPCOMING_STATUSES).order_by(
            "slot__starts_at", "pk"
        )
    if when == "past":
        return bookings.filter(Q(slot__ends_at__lte=now) | Q(status__in=FINISHED_STATUSES)).order_by(
            "-slot__starts_at", "-pk"
        )
    raise ValueError(f"when must be 'upcoming' or 'past', not {when!r}")


@dataclass(frozen=True)
class VisitLists:
    upcoming: Sequence[Booking]
    past: Sequence[Booking]
    # Every booking of the participant, when they were few enough to read at once; else None.
    everything: list[Booking] | None


def visit_lists_for_participant(
    *, participant, read_all_up_to: int, now: datetime.datetime | None = None
) -> VisitLists:
    """The upcoming and the past list of `visit_list_for_participant`, in the same orders.

    Most participants have a few bookings: when they have at most `read_all_up_to`, one query
    reads them all and they are split here (as lists, with `everything` for
    `participant_days_summary`); otherwise each list is its own query set, to be paged in the
    database. For a page of each list that is one query instead of a count and a page for each.
    """
    now = now or timezone.now()
    everything = list(_visits_of(participant).order_by("slot__starts_at", "pk")[: read_all_up_to + 1])
    if len(everything) > read_all_up_to:
        return VisitLists(
            upcoming=visit_list_for_participant(participant=participant, when="upcoming", now=now),
            past=visit_list_for_participant(participant=participant, when="past", now=now),
            everything=None,
        )
    return VisitLists(
        upcoming=[booking for booking in everything if _is_upcoming(booking, now)],
        past=[booking for booking in reversed(everything) if not _is_upcoming(booking, now)],
        everything=everything,
    )


def visit_page_fingerprint(*, participant, now: datetime.datetime) -> str:
    """A digest of every row "My visits" shows the participant at `now` (`connecting.page_bodies`):
    each of their bookings with its slot (and whether it has started and ended), opportunity,
    partner, programme, preparation and debrief, and each of their enrolments with its programme;
    with the London date, on which the programme years and "due" steps turn.

    One row's subqueries per booking rather than one join of seven tables: PostgreSQL plans the
    join in about 2 ms, the subqueries in a tenth of that."""
    table = {
        name: model._meta.db_table
        for name, model in (
            ("booking", Booking),
            ("slot", Booking._meta.get_field("slot").related_model),
            ("opportunity", Opportunity),
            ("partner", Opportunity._meta.get_field("partner").related_model),
            ("programme", Programme),
            ("preparation", Booking._meta.get_field("preparation").related_model),
            ("debrief", Booking._meta.get_field("debrief").related_model),
            ("enrolment", Enrolment),
        )
    }
    v = row_version
    sql = f"""
        SELECT md5(concat_ws('|',
            (SELECT string_agg(concat_ws(';', b.id || {v("b")},
                    (SELECT concat_ws(';', {v("s")}, s.starts_at > %(now)s::timestamptz, s.ends_at > %(now)s::timestamptz, {v("o")}, {v("p")})
                       FROM {table["slot"]} s JOIN {table["opportunity"]} o ON o.id = s.opportunity_id
                       JOIN {table["partner"]} p ON p.id = o.partner_id WHERE s.id = b.slot_id),
                    (SELECT {v("g")} FROM {table["programme"]} g WHERE g.id = b.programme_id),
                    (SELECT pr.id || {v("pr")} FROM {table["preparation"]} pr WHERE pr.booking_id = b.id),
                    (SELECT d.id || {v("d")} FROM {table["debrief"]} d WHERE d.booking_id = b.id)
                ), ',' ORDER BY b.id)
               FROM {table["booking"]} b WHERE b.participant_id = %(participant)s::bigint),
            (SELECT string_agg(e.id || {v("e")} || {v("g")}, ',' ORDER BY e.id)
               FROM {table["enrolment"]} e JOIN {table["programme"]} g ON g.id = e.programme_id
              WHERE e.participant_id = %(participant)s::bigint)
        ))
    """  # noqa: S608 - table names from the models; every value is a parameter
    (digest,) = fetchone_prepared(
        "connecting_visit_page_fingerprint", sql, {"participant": participant.pk, "now": now}
    )
    return f"{digest}:{timezone.localdate(now).isoformat()}"


# --- Days against each programme's target --------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeDays:
    programme: Programme
    year_starts_on: datetime.date
    year_ends_on: datetime.date  # the last day of the programme year, inclusive
    target: int
    booked: float
    completed: float
    to_book: float
    # Of the target, rounded down and capped at 100: a progress figure, not a tally.
    percent_completed: int


def _anniversary(start: datetime.date, year: int) -> datetime.date:
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return datetime.date(year, 2, 28)


def programme_year(programme: Programme, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The 12 months starting on the last anniversary of the programme's start, as [first, next first).

    Before the programme starts, its first year.
    """
    starts_on = programme.starts_on
    if today < starts_on:
        first = starts_on
    else:
        first = _anniversary(starts_on, today.year)
        if first > today:
            first = _anniversary(starts_on, today.year - 1)
    return first, _anniversary(starts_on, first.year + 1)


def participant_days_summary(
    *, participant, today: datetime.date | None = None, bookings: Iterable[Booking] | None = None
) -> list[ProgrammeDays]:
    """For each programme the participant is on, the days booked and completed in its current year.

    Two queries whatever the number of programmes and bookings; one when the caller passes
    `bookings`, every booking of the participant with its slot and opportunity loaded
    (`VisitLists.everything`). Days are added up in Python because `Booking.days` depends on the
    opportunity's duration and the local dates spanned.
    """
    today = today or timezone.localdate()
    enrolments = list(
        Enrolment.objects.filter(participant=participant)
        .select_related("programme")
        .order_by("programme__name")
    )
    if not enrolments:
        return []
    years = {e.programme_id: programme_year(e.programme, today) for e in enrolments}
    # Each programme's year as [start, next start) in London time.
    bounds = {pk: (london_at(first), london_at(next_first)) for pk, (first, next_first) in years.items()}
    if bookings is None:
        in_a_programme_year = Q()
        for programme_id, (start, end) in bounds.items():
            in_a_programme_year |= Q(
                programme_id=programme_id, slot__starts_at__gte=start, slot__starts_at__lt=end
            )
        bookings = Booking.objects.filter(
            in_a_programme_year, participant=participant, status__in=BOOKED_STATUSES
        ).select_related("slot__opportunity")
    booked: dict[int, float] = dict.fromkeys(years, 0.0)
    completed: dict[int, float] = dict.fromkeys(years, 0.0)
    for booking in bookings:
        # The same test as the query's, for bookings handed in.
        start, end = bounds.get(booking.programme_id, (None, None))
        if (
            booking.status not in BOOKED_STATUSES
            or start is None
            or not start <= booking.slot.starts_at < end
        ):
            continue
        booked[booking.programme_id] += booking.days
        if booking.status == S.ATTENDED:
            completed[booking.programme_id] += booking.days

    summary = []
    for enrolment in enrolments:
        programme = enrolment.programme
        target = programme.target_days_per_participant
        first, next_first = years[programme.pk]
        done = completed[programme.pk]
        summary.append(
            ProgrammeDays(
                programme=programme,
                year_starts_on=first,
                year_ends_on=next_first - datetime.timedelta(days=1),
                target=target,
                booked=booked[programme.pk],
                completed=done,
                to_book=max(target - booked[programme.pk], 0.0),
                percent_completed=min(int(done * 100 // target), 100) if target else 0,
            )
        )
    return summary


# --- What to do next for each visit ---------------------------------------------------------------


@dataclass(frozen=True)
class VisitNextSteps:
    preparation: str  # "" when there is nothing true to say yet
    debrief: str
    # Whether the participant has a page to go to for the step now: the cell links to it.
    preparation_open: bool = False
    debrief_open: bool = False


def _day(moment: datetime.datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "D j M Y")


def _record(booking: Booking, name: str):
    """The booking's preparation or debrief, or None: a missing one-to-one row raises otherwise."""
    try:
        return getattr(booking, name)
    except ObjectDoesNotExist:
        return None


def visit_next_steps(booking: Booking, now: datetime.datetime) -> VisitNextSteps:
    """Preparation and debrief, said from the booking and its records (load them with
    `prefetch_related("preparation", "debrief")`, as `visit_list_for_participant` does)."""
    status = booking.status
    slot = booking.slot
    preparation = _record(booking, "preparation")
    debrief = _record(booking, "debrief")
    # The last moment of the visit, so a visit ending at midnight is due on the day it ran.
    last_day = _day(slot.ends_at - datetime.timedelta(microseconds=1))
    before_visit = status == S.CONFIRMED and slot.starts_at > now

    if status in (S.REQUESTED, S.WAITLISTED, S.OFFERED):
        preparation_step = _("Opens when confirmed")
    elif preparation is not None and preparation.is_submitted:
        preparation_step = _("Submitted")
    elif before_visit and preparation is not None:
        preparation_step = _("Draft saved: submit before %(day)s") % {"day": _day(slot.starts_at)}
    elif before_visit:
        preparation_step = _("To do before %(day)s") % {"day": _day(slot.starts_at)}
    elif status in (S.CANCELLED, S.DECLINED, S.EXPIRED):
        preparation_step = _("Not needed")
    else:
        # Attended, did not attend, or confirmed and already under way, with nothing submitted.
        preparation_step = ""

    visit_day_has_come = timezone.localdate(now) >= timezone.localdate(slot.starts_at)
    if status in (S.CONFIRMED, S.ATTENDED) and debrief is not None:
        debrief_step = debrief.get_status_display()
    elif status == S.CONFIRMED:
        # Still true once the day has passed and attendance is not yet marked.
        debrief_step = _("Due from %(day)s") % {"day": last_day}
    elif status == S.ATTENDED:
        debrief_step = _("Due now")
    elif status in (S.REQUESTED, S.WAITLISTED, S.OFFERED):
        debrief_step = _("After the visit")
    else:
        debrief_step = _("Not needed")
    return VisitNextSteps(
        preparation=preparation_step,
        debrief=debrief_step,
        preparation_open=before_visit or (preparation is not None and preparation.is_submitted),
        debrief_open=status in (S.CONFIRMED, S.ATTENDED) and (visit_day_has_come or debrief is not None),
    )


# --- A participant's history ------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitHistoryRow:
    booking: Booking
    # Days of connecting the visit counted for: a missed or cancelled visit counts none.
    days_counted: float
    debrief: object | None  # the booking's Debrief, or None when none was started


def visit_history_for_participant(*, participant) -> QuerySet[Booking]:
    """The visits that went ahead, were missed, or were called off inside the notice period,
    latest first, with the partner, opportunity and debrief loaded."""
    return (
        Booking.objects.filter(participant=participant)
        .filter(Q(status__in=(S.ATTENDED, S.NO_SHOW)) | Q(status=S.CANCELLED, cancelled_late=True))
        .select_related("slot__opportunity__partner", "debrief")
        .order_by("-slot__starts_at", "-pk")
    )


def visit_history_rows(*, participant, limit: int) -> list[VisitHistoryRow]:
    """The latest `limit` rows of the participant's history: one query."""
    return [
        VisitHistoryRow(
            booking=booking,
            days_counted=booking.days if booking.status == S.ATTENDED else 0.0,
            debrief=_record(booking, "debrief"),
        )
        for booking in visit_history_for_participant(participant=participant)[:limit]
    ]


# --- The latest few rows of each partner, in one query ----------------------------------------------


def first_rows_per_partner(*, queryset: QuerySet, partner_field: str, order_by: list, limit: int) -> QuerySet:
    """The first `limit` rows of each partner in `order_by` order, each annotated with `host_id`
    (its partner) and `partner_total` (how many rows that partner has in all)."""
    partition = F(partner_field)
    return queryset.annotate(
        host_id=partition,
        row_number=Window(RowNumber(), partition_by=[partition], order_by=order_by),
        partner_total=Window(Count("pk"), partition_by=[partition]),
    ).filter(row_number__lte=limit)


def group_by_partner(rows) -> dict[int, list]:
    """Rows of `first_rows_per_partner` as {partner id: [rows, in the order given]}."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.host_id, []).append(row)
    return grouped
