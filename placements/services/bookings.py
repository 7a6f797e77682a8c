"""Bookings: taking a place on a slot, and every move a booking makes after that.

Two rules shape this module.

* One function moves a booking between states: `booking_transition`. It takes the locks, checks the
  move against `BOOKING_TRANSITIONS`, keeps the slot's `places_held` counter true, records a
  BookingEvent (who, when, why) and sends the notifications once the transaction commits. The
  friendly verbs (`booking_confirm`, `booking_cancel`, ...) add their own checks and call it.
* Locks are always taken in the same order: partner, then slot, then participant, then booking.
  The partner lock serialises everything that counts against the partner's weekly and monthly caps;
  the slot lock serialises its places; the participant lock guards the no-overlapping-visits rule.
  The slot's CHECK constraint (`places_held <= capacity`) is the last line of defence should any
  code path forget a lock.
"""

import calendar
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.forms import email_domain_is_allowed
from connecting.accounts.roles import is_partner_contact, is_programme_team
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.db import fetchone_prepared, from_db_datetime
from connecting.working_days import add_working_days
from partners.models import Partner, PartnerBlackout, PartnerStatus
from partners.selectors import partner_blackout_on
from placements.models import (
    ACTIVE_STATUSES,
    BOOKING_TRANSITIONS,
    PLACE_TAKING_STATUSES,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    Enrolment,
    ManagerApproval,
    Opportunity,
    OpportunityStatus,
    Programme,
    Slot,
)
from placements.selectors.bookings import booking_cancel_would_be_late

AUTOMATIC = "Automatic"
MANAGER_APPROVAL_SALT = "placements.booking.manager-approval"

# The default action recorded for a move when the caller names none.
_ACTION_FOR_STATUS = {
    BookingStatus.CONFIRMED: BookingAction.CONFIRMED,
    BookingStatus.DECLINED: BookingAction.DECLINED,
    BookingStatus.CANCELLED: BookingAction.CANCELLED,
    BookingStatus.OFFERED: BookingAction.OFFERED,
    BookingStatus.EXPIRED: BookingAction.EXPIRED,
    BookingStatus.ATTENDED: BookingAction.ATTENDED,
    BookingStatus.NO_SHOW: BookingAction.NO_SHOW,
}


class BookingRefused(ValidationError):
    """A booking or a move the rules do not allow; the message says why, in words for a person."""


# The refusals of a request that `booking_request` makes about the person alone, once every check
# of the slot itself has passed except its places and its partner's caps and blackouts (which come
# last): the slot would take the request from someone else.
REFUSALS_OF_THE_PERSON = frozenset(
    {"overlap", "too_many", "line_manager_required", "line_manager_self", "line_manager_domain"}
)


def _local_range(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    return start, end


def partner_places_taken(*, partner: Partner, first: datetime.date, last: datetime.date) -> int:
    """Places taken on the partner's slots that start between two local dates, inclusive."""
    start, end = _local_range(first, last)
    total = Slot.objects.filter(
        opportunity__partner=partner, starts_at__gte=start, starts_at__lt=end
    ).aggregate(total=Sum("places_held"))["total"]
    return total or 0


def _week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def _month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _caps(
    partner: Partner, day: datetime.date
) -> list[tuple[int | None, tuple[datetime.date, datetime.date], str]]:
    return [
        (partner.max_visitors_per_week, _week_of(day), _("week")),
        (partner.max_visitors_per_month, _month_of(day), _("month")),
    ]


def _first_period_over_cap(partner: Partner, day: datetime.date, *, adding: int) -> tuple[int, str] | None:
    """The (cap, period) that `adding` more visitors on `day` would break, week first, or None."""
    for cap, (first, last), period in _caps(partner, day):
        if cap is not None and partner_places_taken(partner=partner, first=first, last=last) + adding > cap:
            return cap, period
    return None


def partner_capacity_check(*, partner: Partner, day: datetime.date, blacked_out: bool | None = None) -> None:
    """Refuse one more visitor on `day` if it breaks a blackout or the weekly or monthly cap.

    Call it with the partner row locked, or the count can change under you. `blacked_out` is
    whether a blackout covers the day, when the caller has read it already (`_request_facts`).
    """
    blackout = partner_blackout_on(partner_id=partner.pk, day=day) if blacked_out is not False else None
    if blackout:
        raise BookingRefused(
            _("%(partner)s is not taking visitors from %(first)s to %(last)s (%(reason)s).")
            % {
                "partner": partner,
                "first": blackout.starts_on.strftime("%-d %B %Y"),
                "last": blackout.ends_on.strftime("%-d %B %Y"),
                "reason": blackout.reason,
            },
            code="blackout",
        )
    if over := _first_period_over_cap(partner, day, adding=1):
        cap, period = over
        raise BookingRefused(
            _(
                "%(partner)s hosts at most %(cap)d visitors a %(period)s and that %(period)s is full. "
                "Choose a date in another %(period)s."
            )
            % {"partner": partner, "cap": cap, "period": period},
            code=f"partner_{period}_full",
        )


def _sql_in(values: Iterable[str]) -> str:
    """An SQL list of fixed choice values from this code (never user input)."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _overlap_sql() -> str:
    """The first confirmed booking of %(participant)s, other than %(exclude)s, whose visit overlaps
    %(starts)s to %(ends)s: the no-overlapping-visits rule, as a scalar subquery."""
    return (
        f"SELECT b.id FROM {Booking._meta.db_table} b JOIN {Slot._meta.db_table} s ON s.id = b.slot_id "  # noqa: S608 - model tables
        f"WHERE b.participant_id = %(participant)s AND b.status = '{BookingStatus.CONFIRMED}' "
        "AND s.starts_at < %(ends)s AND s.ends_at > %(starts)s AND b.id <> %(exclude)s LIMIT 1"
    )


def _in_hand_sql() -> str:
    """How many active bookings %(participant)s holds for visits that end after %(now)s."""
    return (
        f"SELECT count(*) FROM {Booking._meta.db_table} b JOIN {Slot._meta.db_table} s ON s.id = b.slot_id "  # noqa: S608 - model tables
        f"WHERE b.participant_id = %(participant)s AND b.status IN {_sql_in(ACTIVE_STATUSES)} "
        "AND s.ends_at > %(now)s"
    )


def _when(value: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(value)


class _RequestFacts(NamedTuple):
    offered: bool  # the opportunity is part of the programme
    enrolled: bool  # the participant is enrolled on the programme
    duplicate: bool  # they already hold an active booking for the slot
    clash_id: int | None  # a confirmed visit of theirs at the same time
    in_hand: int  # their active bookings still to come
    blacked_out: bool  # the partner takes no visitors on the visit's day


def _request_facts(
    *, slot: Slot, participant_id: int, programme_id: int, now: datetime.datetime
) -> _RequestFacts:
    """What `booking_request` checks under its locks, read in one prepared statement: each fact is
    one small indexed lookup, and planning and sending five statements cost more than running them."""
    day = connection.ops.adapt_datefield_value(timezone.localdate(slot.starts_at))
    sql = (
        "SELECT "  # noqa: S608 - model tables and fixed choices
        f"EXISTS (SELECT 1 FROM {Opportunity.programmes.through._meta.db_table} "
        "WHERE opportunity_id = %(opportunity)s AND programme_id = %(programme)s), "
        f"EXISTS (SELECT 1 FROM {Enrolment._meta.db_table} "
        "WHERE programme_id = %(programme)s AND participant_id = %(participant)s), "
        f"EXISTS (SELECT 1 FROM {Booking._meta.db_table} WHERE slot_id = %(slot)s "
        f"AND participant_id = %(participant)s AND status IN {_sql_in(ACTIVE_STATUSES)}), "
        f"({_overlap_sql()}), ({_in_hand_sql()}), "
        f"EXISTS (SELECT 1 FROM {PartnerBlackout._meta.db_table} WHERE partner_id = %(partner)s "
        "AND starts_on <= %(day)s AND ends_on >= %(day)s)"
    )
    params = {
        "opportunity": slot.opportunity_id,
        "programme": programme_id,
        "participant": participant_id,
        "slot": slot.pk,
        "exclude": 0,
        "starts": _when(slot.starts_at),
        "ends": _when(slot.ends_at),
        "now": _when(now),
        "partner": slot.opportunity.partner_id,
        "day": day,
    }
    offered, enrolled, duplicate, clash_id, in_hand, blacked_out = fetchone_prepared(
        "connecting_booking_request_facts", sql, params
    )
    return _RequestFacts(bool(offered), bool(enrolled), bool(duplicate), clash_id, in_hand, bool(blacked_out))


def _check_bookable(*, slot: Slot, participant, programme: Programme, facts: _RequestFacts) -> None:
    opportunity = slot.opportunity
    if (
        opportunity.status != OpportunityStatus.PUBLISHED
        or opportunity.partner.status != PartnerStatus.ACTIVE
    ):
        raise BookingRefused(_("This opportunity is not taking bookings."), code="not_published")
    # A programme deleted meanwhile is neither offered nor enrolled on.
    if not facts.offered:
        raise BookingRefused(_("This opportunity is not part of that programme."), code="wrong_programme")
    if not facts.enrolled:
        raise BookingRefused(
            _("You are not enrolled on %(programme)s. Ask the programme team to enrol you.")
            % {"programme": programme},
            code="not_enrolled",
        )
    if slot.starts_at <= timezone.now():
        raise BookingRefused(_("This slot has already started."), code="past")
    notice = opportunity.minimum_notice_working_days
    # The same test as "fewer than `notice` working days from today to the visit", without
    # counting every working day up to a visit months away.
    if timezone.localdate(slot.starts_at) < add_working_days(
        timezone.localdate(), notice, opportunity.partner.nation
    ):
        raise BookingRefused(
            _("%(partner)s needs at least %(days)d working days' notice. Choose a later date.")
            % {"partner": opportunity.partner, "days": notice},
            code="notice",
        )
    if facts.duplicate:
        raise BookingRefused(_("You already have a booking for this slot."), code="duplicate")


def _check_no_overlap(*, participant, slot: Slot, exclude_pk: int | None = None, by=None) -> None:
    """Refuse a second confirmed visit at the same time. Call with the participant row locked."""
    (clash_id,) = fetchone_prepared(
        "connecting_booking_overlap",
        f"SELECT ({_overlap_sql()})",
        {
            "participant": participant.pk,
            "exclude": exclude_pk or 0,
            "starts": _when(slot.starts_at),
            "ends": _when(slot.ends_at),
        },
    )
    _refuse_overlap(participant=participant, clash_id=clash_id, by=by)


def _refuse_overlap(*, participant, clash_id: int | None, by) -> None:
    """Refuse with the visit `clash_id` that clashes, if there is one. The message speaks to the
    participant when they are the one acting, and about them otherwise."""
    if clash_id is None:
        return
    # Its visit and partner are read only now: the usual answer is that there is none.
    clash = Booking.objects.select_related("slot__opportunity__partner").get(pk=clash_id)
    details = {
        "person": participant.full_name or participant.email,
        "visit": clash.slot.opportunity.title,
        "partner": clash.slot.opportunity.partner,
        "when": timezone.localtime(clash.slot.starts_at).strftime("%-d %B %Y"),
    }
    if by is not None and by.pk == participant.pk:
        message = _(
            "You already have a confirmed visit at that time: %(visit)s with %(partner)s on %(when)s. "
            "Cancel it first if you would rather go to this one."
        )
    else:
        message = _(
            "%(person)s already has a confirmed visit at that time: %(visit)s with %(partner)s on "
            "%(when)s. Cancel one of them first."
        )
    raise BookingRefused(message % details, code="overlap")


def _check_bookings_in_hand(in_hand: int) -> None:
    """One person may not hold every place going: refuse beyond MAX_BOOKINGS_IN_HAND active bookings.

    `in_hand` is counted under the participant lock, so two tabs cannot both take the last one.
    """
    if in_hand >= settings.MAX_BOOKINGS_IN_HAND:
        raise BookingRefused(
            _(
                "You already have %(count)d requests, offers, waiting-list places or upcoming visits. "
                "Cancel one you no longer need before asking for another."
            )
            % {"count": in_hand},
            code="too_many",
        )


def _lock_row(model, pk: int) -> None:
    """Lock one row for a write that keeps its key, reading nothing else: the caller reads what it
    needs after the lock (each statement sees what committed before it began). Inside a
    transaction; SQLite, which locks the whole database on the first write, has no row locks."""
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {model._meta.db_table} WHERE id = %(pk)s{lock}", {"pk": pk})  # noqa: S608 - model table
        if cursor.fetchone() is None:
            raise model.DoesNotExist(f"No {model._meta.object_name} {pk}.")


# What the booking rules read of a slot, its opportunity and its partner: (object, attribute, column).
_SLOT_RULE_FIELDS = (
    ("slot", "capacity", "s.capacity"),
    ("slot", "places_held", "s.places_held"),
    ("slot", "starts_at", "s.starts_at"),
    ("slot", "ends_at", "s.ends_at"),
    ("opportunity", "status", "o.status"),
    ("opportunity", "minimum_notice_working_days", "o.minimum_notice_working_days"),
    ("partner", "status", "p.status"),
    ("partner", "region", "p.region"),
    ("partner", "max_visitors_per_week", "p.max_visitors_per_week"),
    ("partner", "max_visitors_per_month", "p.max_visitors_per_month"),
)


def _lock_slot(slot: Slot) -> None:
    """Lock the slot and bring `slot`, its opportunity and its partner up to date with what the
    booking rules read of them (places, times, states, notice, caps), in one prepared statement
    rather than three rows loaded afresh. Their names and addresses stay as the caller read them."""
    lock = " FOR NO KEY UPDATE OF s" if connection.features.has_select_for_no_key_update else ""
    sql = (
        f"SELECT {', '.join(column for _, _, column in _SLOT_RULE_FIELDS)} "  # noqa: S608 - model tables
        f"FROM {Slot._meta.db_table} s JOIN {Opportunity._meta.db_table} o ON o.id = s.opportunity_id "
        f"JOIN {Partner._meta.db_table} p ON p.id = o.partner_id WHERE s.id = %(slot)s{lock}"
    )
    row = fetchone_prepared("connecting_booking_slot_lock", sql, {"slot": slot.pk})
    if row is None:
        raise Slot.DoesNotExist(f"No slot {slot.pk}.")
    objects = {"slot": slot, "opportunity": slot.opportunity, "partner": slot.opportunity.partner}
    for (name, attribute, _column), value in zip(_SLOT_RULE_FIELDS, row, strict=True):
        setattr(objects[name], attribute, from_db_datetime(value) if attribute.endswith("_at") else value)


def _lock_participant(participant_id: int) -> None:
    _lock_row(get_user_model(), participant_id)


def _record(
    booking: Booking,
    *,
    action: str,
    from_status: str,
    by,
    actor_description: str = "",
    reason: str = "",
    late: bool = False,
) -> BookingEvent:
    event = BookingEvent.objects.create(
        booking=booking,
        action=action,
        from_status=from_status,
        to_status=booking.status,
        actor=by,
        actor_description="" if by else (actor_description or AUTOMATIC),
        reason=reason,
        late=late,
        calendar_sequence=booking.calendar_sequence,
    )
    audit_record(
        actor=by,
        actor_description=event.actor_description,
        verb=AuditVerb.BOOKING_CHANGED,
        obj=booking,
        description=f"{from_status or 'new'} → {booking.status} ({action})",
        booking_event_id=event.pk,
    )
    # robust: the booking is saved whatever happens to the e-mail, so a broker outage must not turn
    # a saved booking into an error page. The failure is logged.
    transaction.on_commit(lambda event_id=event.pk: _notify(event_id), robust=True)
    return event


def _notify(event_id: int) -> None:
    from placements.tasks import booking_event_notify_task

    booking_event_notify_task.delay(event_id=event_id)


def _offer_deadline(slot: Slot, now: datetime.datetime) -> datetime.datetime:
    return min(now + datetime.timedelta(hours=settings.BOOKING_OFFER_HOURS), slot.starts_at)


@transaction.atomic
def booking_request(
    *,
    slot: Slot,
    participant,
    programme: Programme,
    line_manager_email: str = "",
    join_waitlist: bool = False,
) -> Booking:
    """Take one place on `slot` for `participant`, through `programme`, or join its waiting list.

    The booking is confirmed at once when the programme confirms automatically (and needs no line
    manager); otherwise it is a request that holds its place while the line manager and partner
    decide. A full slot refuses, unless `join_waitlist`, when the booking waits without a place.
    Refused (BookingRefused, nothing written) when the partner's cap or a blackout forbids it, the
    notice period is too short, the person is not enrolled, or it clashes with a confirmed visit.
    What the rules read of `slot`, its opportunity and partner is brought up to date under the lock.
    """
    _lock_row(Partner, slot.opportunity.partner_id)
    _lock_slot(slot)
    partner = slot.opportunity.partner
    _lock_participant(participant.pk)
    facts = _request_facts(
        slot=slot, participant_id=participant.pk, programme_id=programme.pk, now=timezone.now()
    )
    _check_bookable(slot=slot, participant=participant, programme=programme, facts=facts)
    _refuse_overlap(participant=participant, clash_id=facts.clash_id, by=participant)
    _check_bookings_in_hand(facts.in_hand)
    approval = ManagerApproval.NOT_REQUIRED
    if programme.line_manager_approval_required:
        line_manager_email = (line_manager_email or "").strip().lower()
        if not line_manager_email:
            raise BookingRefused(
                _("Enter your line manager's e-mail address: %(programme)s needs their approval.")
                % {"programme": programme},
                code="line_manager_required",
            )
        if line_manager_email == participant.email.lower():
            raise BookingRefused(
                _("Enter your line manager's e-mail address, not your own."), code="line_manager_self"
            )
        if not email_domain_is_allowed(line_manager_email):
            raise BookingRefused(
                _("Enter your line manager's work e-mail address, ending in %(allowed)s.")
                % {"allowed": " or ".join(settings.SIGNUP_ALLOWED_EMAIL_DOMAINS)},
                code="line_manager_domain",
            )
        approval = ManagerApproval.PENDING
    else:
        line_manager_email = ""
    full = slot.places_held >= slot.capacity
    if full and not join_waitlist:
        raise BookingRefused(
            _("This slot is full. You can join its waiting list or choose another date."), code="full"
        )
    if not full:
        partner_capacity_check(
            partner=partner, day=timezone.localdate(slot.starts_at), blacked_out=facts.blacked_out
        )
    booking = Booking.objects.create(
        slot=slot,
        participant=participant,
        programme=programme,
        status=BookingStatus.WAITLISTED if full else BookingStatus.REQUESTED,
        line_manager_email=line_manager_email,
        manager_approval=approval,
    )
    action = BookingAction.WAITLISTED if full else BookingAction.REQUESTED
    _record(booking, action=action, from_status="", by=participant)
    if not full:
        Slot.objects.filter(pk=slot.pk).update(places_held=F("places_held") + 1)
        if programme.bookings_confirmed_automatically and approval == ManagerApproval.NOT_REQUIRED:
            _move(booking, slot=slot, to=BookingStatus.CONFIRMED, by=None)
    return booking


def _lock_booking(booking_id: int) -> tuple[Partner, Slot, Booking]:
    """Lock partner, slot, participant and booking, in that order, and return them fresh."""
    ids = Booking.objects.values("slot_id", "slot__opportunity__partner_id", "participant_id").get(
        pk=booking_id
    )
    partner = Partner.objects.select_for_update(no_key=True).get(pk=ids["slot__opportunity__partner_id"])
    slot = (
        Slot.objects.select_for_update(no_key=True, of=("self",))
        .select_related("opportunity__partner")
        .get(pk=ids["slot_id"])
    )
    _lock_participant(ids["participant_id"])
    booking = (
        Booking.objects.select_for_update(no_key=True, of=("self",))
        .select_related("participant", "programme")
        .get(pk=booking_id)
    )
    booking.slot = slot
    return partner, slot, booking


def _refuse_illegal(booking: Booking, to: str) -> None:
    raise BookingRefused(
        _("This booking is %(current)s, so it cannot be %(wanted)s.")
        % {
            "current": booking.get_status_display().lower(),
            "wanted": BookingStatus(to).label.lower(),
        },
        code="illegal_transition",
    )


def _move(
    booking: Booking,
    *,
    slot: Slot,
    to: str,
    by,
    action: str | None = None,
    reason: str = "",
    actor_description: str = "",
) -> Booking:
    """The state change itself. The caller holds the locks (see `_lock_booking`)."""
    if to not in BOOKING_TRANSITIONS[booking.status]:
        _refuse_illegal(booking, to)
    now = timezone.now()
    from_status = booking.status
    if to == BookingStatus.CONFIRMED:
        _check_no_overlap(participant=booking.participant, slot=slot, exclude_pk=booking.pk, by=by)
    place_change = (to in PLACE_TAKING_STATUSES) - (from_status in PLACE_TAKING_STATUSES)
    if place_change > 0 and slot.places_held >= slot.capacity:
        raise BookingRefused(_("This slot is full."), code="full")
    late = to == BookingStatus.CANCELLED and booking_cancel_would_be_late(booking=booking, by=by, now=now)
    booking.status = to
    update_fields = ["status", "updated_at"]
    if to == BookingStatus.OFFERED:
        booking.offer_expires_at = _offer_deadline(slot, now)
        update_fields.append("offer_expires_at")
    if late:
        booking.cancelled_late = True
        update_fields.append("cancelled_late")
    if from_status == BookingStatus.CONFIRMED or to == BookingStatus.CONFIRMED:
        # A calendar event was sent or changes now: a higher sequence replaces the copy people hold.
        # The booking row is locked, so the in-memory value is the stored one.
        booking.calendar_sequence += 1
        update_fields.append("calendar_sequence")
    booking.save(update_fields=update_fields)
    _record(
        booking,
        action=action or _ACTION_FOR_STATUS[to],
        from_status=from_status,
        by=by,
        actor_description=actor_description,
        reason=reason,
        late=late,
    )
    if place_change:
        Slot.objects.filter(pk=slot.pk).update(places_held=F("places_held") + place_change)
        slot.places_held += place_change
    if place_change < 0:
        _offer_freed_places(slot=slot, now=now)
    return booking


def _offer_freed_places(*, slot: Slot, now: datetime.datetime) -> None:
    """Offer free places on `slot` to the people waiting longest, while there are both.

    People whose line manager has not yet approved wait their turn without being skipped for ever:
    they are offered a place once the approval arrives (see `booking_manager_decide`).
    """
    if slot.starts_at <= now:
        return
    while slot.places_held < slot.capacity:
        waiting = (
            Booking.objects.select_for_update(no_key=True, of=("self",))
            .select_related("participant", "programme")
            .filter(slot=slot, status=BookingStatus.WAITLISTED)
            .exclude(manager_approval=ManagerApproval.PENDING)
            .order_by("created_at", "pk")
            .first()
        )
        if waiting is None:
            return
        try:
            partner_capacity_check(partner=slot.opportunity.partner, day=timezone.localdate(slot.starts_at))
        except BookingRefused:
            return
        waiting.slot = slot
        _move(waiting, slot=slot, to=BookingStatus.OFFERED, by=None)


@transaction.atomic
def booking_transition(
    *,
    booking: Booking,
    to: str,
    by,
    reason: str = "",
    action: str | None = None,
    actor_description: str = "",
    check: Callable[[Booking, Slot], None] | None = None,
) -> Booking:
    """Move `booking` to state `to`, as `by` (a user, or None for the portal or a line manager).

    Locks, re-reads, runs `check` (the caller's own rule) under the lock, refuses a move the state
    table does not allow, and records it. A booking already in `to` is returned unchanged, since
    double clicks happen.
    """
    _partner, slot, booking = _lock_booking(booking.pk)
    if booking.status == to:
        return booking
    if to not in BOOKING_TRANSITIONS[booking.status]:
        _refuse_illegal(booking, to)
    if check:
        check(booking, slot)
    return _move(
        booking, slot=slot, to=to, by=by, action=action, reason=reason, actor_description=actor_description
    )


def bookings_follow_moved_slot(*, slot: Slot, previous_starts_at: datetime.datetime, by) -> int:
    """Tell everyone booked on `slot` that it has moved, after `slot_update` changed its times.

    Call inside the slot update's transaction, holding the partner and slot locks. Refuses
    (BookingRefused, so the move rolls back) when the new time clashes with another confirmed visit
    of someone confirmed here. Confirmed visits get a higher calendar sequence, so the e-mailed
    invite replaces the one people hold. Returns how many bookings were told.
    """
    partner = slot.opportunity.partner
    # The slot's places already count in its new week and month, so nothing more is being added.
    if over := _first_period_over_cap(partner, timezone.localdate(slot.starts_at), adding=0):
        cap, period = over
        raise BookingRefused(
            _(
                "%(partner)s hosts at most %(cap)d visitors a %(period)s: moving these visitors there would exceed it."
            )
            % {"partner": partner, "cap": cap, "period": period},
            code=f"partner_{period}_full",
        )
    active = Booking.objects.filter(slot=slot, status__in=ACTIVE_STATUSES)
    confirmed_people = active.filter(status=BookingStatus.CONFIRMED).values_list("participant_id", flat=True)
    for participant_id in sorted(confirmed_people):
        _lock_participant(participant_id)
    bookings = list(
        active.select_for_update(no_key=True, of=("self",)).select_related("participant").order_by("pk")
    )
    was = timezone.localtime(previous_starts_at).strftime("%-d %B %Y %H:%M")
    now = timezone.localtime(slot.starts_at).strftime("%-d %B %Y %H:%M")
    for booking in bookings:
        if booking.status == BookingStatus.CONFIRMED:
            _check_no_overlap(participant=booking.participant, slot=slot, exclude_pk=booking.pk)
            booking.calendar_sequence += 1  # the row is locked just above
            booking.save(update_fields=["calendar_sequence", "updated_at"])
        _record(
            booking,
            action=BookingAction.RESCHEDULED,
            from_status=booking.status,
            by=by,
            reason=_("Moved from %(was)s to %(now)s.") % {"was": was, "now": now},
        )
    return len(bookings)


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BookingRefused(_("Give a reason: %(what)s") % {"what": what}, code="reason_required")
    return reason


def _answerable_request(booking: Booking, _slot: Slot) -> None:
    if booking.status != BookingStatus.REQUESTED:
        # An offer is the participant's to accept; nobody else confirms it for them.
        _refuse_illegal(booking, BookingStatus.CONFIRMED)
    if booking.manager_approval == ManagerApproval.PENDING:
        raise BookingRefused(
            _("%(person)s's line manager has not approved this request yet.")
            % {"person": booking.participant.full_name or booking.participant.email},
            code="manager_pending",
        )


def booking_confirm(*, booking: Booking, by) -> Booking:
    """The partner (or the programme team) says yes to a request."""
    return booking_transition(booking=booking, to=BookingStatus.CONFIRMED, by=by, check=_answerable_request)


def booking_decline(*, booking: Booking, by, reason: str) -> Booking:
    """The partner (or the programme team) says no to a request; the place goes to whoever waits."""
    reason = _require_reason(reason, _("the participant will see it."))
    return booking_transition(
        booking=booking, to=BookingStatus.DECLINED, by=by, reason=reason, check=partial(_is_request, by=by)
    )


def _is_request(booking: Booking, _slot: Slot, *, by) -> None:
    if booking.status != BookingStatus.REQUESTED:
        _refuse_illegal(booking, BookingStatus.DECLINED)
    if booking.manager_approval == ManagerApproval.PENDING and not is_programme_team(by):
        # The partner has not been asked yet; only the team may stop a request at this stage.
        _answerable_request(booking, _slot)


def booking_cancel(*, booking: Booking, by, reason: str) -> Booking:
    """Cancel a request, a confirmed visit, an offer or a place on the waiting list.

    A confirmed visit cancelled inside the opportunity's notice period is marked late.
    """
    reason = _require_reason(reason, _("the other people involved will see it."))
    return booking_transition(
        booking=booking,
        to=BookingStatus.CANCELLED,
        by=by,
        reason=reason,
        check=lambda locked, _slot: booking_cancel_check(booking=locked, by=by),
    )


def booking_cancel_check(*, booking: Booking, by) -> None:
    """Refuse (BookingRefused) a cancellation the state table allows but the rules do not.

    The cancel page asks this before showing its form; `booking_cancel` asks it under the lock.
    """
    if booking.slot.starts_at <= timezone.now():
        raise BookingRefused(
            _("This visit has started, so it can no longer be cancelled."), code="visit_started"
        )
    if booking.status == BookingStatus.REQUESTED and is_partner_contact(by):
        raise BookingRefused(
            _("Answer this request by declining it, with a reason, rather than cancelling it."),
            code="decline_instead",
        )


def _offer_still_open(booking: Booking, _slot: Slot) -> None:
    if booking.status != BookingStatus.OFFERED:
        _refuse_illegal(booking, BookingStatus.CONFIRMED)
    if booking.offer_expires_at <= timezone.now():
        raise BookingRefused(_("This offer has expired."), code="offer_expired")


def booking_offer_accept(*, booking: Booking, by) -> Booking:
    """The participant takes the place they were offered from the waiting list."""
    return booking_transition(
        booking=booking,
        to=BookingStatus.CONFIRMED,
        by=by,
        action=BookingAction.OFFER_ACCEPTED,
        check=_offer_still_open,
    )


def _visit_has_started(_booking: Booking, slot: Slot) -> None:
    if slot.starts_at > timezone.now():
        raise BookingRefused(
            _("You can record attendance once the visit has started."), code="visit_not_started"
        )


def booking_record_attendance(*, booking: Booking, by, attended: bool) -> Booking:
    """The partner (or the programme team) records whether the visitor came."""
    to = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
    return booking_transition(booking=booking, to=to, by=by, check=_visit_has_started)


def _offer_has_run_out(booking: Booking, _slot: Slot) -> None:
    if booking.status != BookingStatus.OFFERED or booking.offer_expires_at > timezone.now():
        raise BookingRefused(_("This offer is still open."), code="offer_open")


def _sweep(booking_ids: list[int], *, to: str, check, reason: str = "") -> int:
    """Move each booking in its own transaction, under the usual locks; `check` re-tests it there,
    so one answered a moment ago is left alone. Returns how many moved."""
    moved = 0
    for booking_id in booking_ids:
        try:
            booking_transition(booking=Booking(pk=booking_id), to=to, by=None, reason=reason, check=check)
        except BookingRefused:
            continue
        moved += 1
    return moved


def booking_offers_expire() -> int:
    """Expire every offer whose time has run out, passing each place to the next person waiting.

    Run by beat every few minutes. Returns how many expired.
    """
    due = (
        Booking.objects.filter(status=BookingStatus.OFFERED, offer_expires_at__lte=timezone.now())
        .order_by("offer_expires_at", "pk")
        .values_list("pk", flat=True)
    )
    return _sweep(list(due), to=BookingStatus.EXPIRED, check=_offer_has_run_out)


def _approval_still_awaited(booking: Booking, _slot: Slot) -> None:
    deadline = booking.created_at + datetime.timedelta(days=settings.MANAGER_APPROVAL_LINK_DAYS)
    if booking.manager_approval != ManagerApproval.PENDING or deadline > timezone.now():
        raise BookingRefused(_("The line manager can still answer."), code="approval_open")


def booking_manager_approvals_expire() -> int:
    """Decline requests whose line manager did not answer before the link expired, freeing their places.

    Run by beat with the offer sweep; each is re-checked under the lock. Returns how many.
    """
    cutoff = timezone.now() - datetime.timedelta(days=settings.MANAGER_APPROVAL_LINK_DAYS)
    due = (
        Booking.objects.filter(
            manager_approval=ManagerApproval.PENDING,
            status__in=(BookingStatus.REQUESTED, BookingStatus.WAITLISTED),
            created_at__lte=cutoff,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    reason = _("The line manager did not answer within %(days)d days.") % {
        "days": settings.MANAGER_APPROVAL_LINK_DAYS
    }
    return _sweep(list(due), to=BookingStatus.DECLINED, check=_approval_still_awaited, reason=reason)


@dataclass
class AnswerResult:
    booking: Booking
    error: str = ""


def booking_answer_many(
    *, bookings: Iterable[Booking], by, confirm: bool, reason: str = ""
) -> list[AnswerResult]:
    """Confirm (or decline) several requests at once, each on its own: one refusal stops no other."""
    if not confirm:
        reason = _require_reason(reason, _("the participants will see it."))
    results = []
    for booking in bookings:
        try:
            with transaction.atomic():
                if confirm:
                    booking = booking_confirm(booking=booking, by=by)
                else:
                    booking = booking_decline(booking=booking, by=by, reason=reason)
        except BookingRefused as refused:
            results.append(AnswerResult(booking=booking, error=" ".join(refused.messages)))
        else:
            results.append(AnswerResult(booking=booking))
    return results


# --- Line-manager approval by signed link ---------------------------------------------------------


class ApprovalLinkInvalid(Exception):
    """The link was altered, or names a booking that does not exist."""


class ApprovalLinkExpired(Exception):
    """The link is genuine but too old. `booking` is the booking it was for, if it still exists."""

    def __init__(self, booking: Booking | None):
        super().__init__(booking)
        self.booking = booking


def manager_approval_token(*, booking: Booking) -> str:
    return signing.dumps(
        {"booking": booking.pk, "email": booking.line_manager_email}, salt=MANAGER_APPROVAL_SALT
    )


def _booking_for_manager_payload(payload: dict) -> Booking | None:
    return (
        Booking.objects.select_related("participant", "programme", "slot__opportunity__partner")
        .filter(pk=payload.get("booking"), line_manager_email=payload.get("email"))
        .exclude(line_manager_email="")
        .first()
    )


def booking_for_manager_token(token: str) -> Booking:
    """The booking a line manager's link is for, or ApprovalLinkInvalid / ApprovalLinkExpired.

    An expired link is still checked for tampering; the exception carries its booking so the page
    can say whom to ask for a new one.
    """
    max_age = datetime.timedelta(days=settings.MANAGER_APPROVAL_LINK_DAYS)
    try:
        payload = signing.loads(token, salt=MANAGER_APPROVAL_SALT, max_age=max_age)
    except signing.SignatureExpired as expired:
        payload = signing.loads(token, salt=MANAGER_APPROVAL_SALT)
        raise ApprovalLinkExpired(_booking_for_manager_payload(payload)) from expired
    except signing.BadSignature as bad:
        raise ApprovalLinkInvalid from bad
    booking = _booking_for_manager_payload(payload)
    if booking is None:
        raise ApprovalLinkInvalid
    return booking


@transaction.atomic
def booking_manager_decide(*, booking: Booking, approve: bool, reason: str = "") -> Booking:
    """The line manager approves or declines, from their link; they have no account.

    Approval lets the partner confirm (or confirms at once on an automatic programme, or makes a
    waiting-list place offerable). Declining ends the booking and frees its place. Answering twice
    is refused with a message that says what the first answer was.
    """
    _partner, slot, booking = _lock_booking(booking.pk)
    manager = _("Line manager (%(email)s)") % {"email": booking.line_manager_email}
    if booking.manager_approval == ManagerApproval.APPROVED:
        raise BookingRefused(_("You have already approved this request."), code="already_approved")
    if booking.manager_approval == ManagerApproval.DECLINED:
        raise BookingRefused(_("You have already declined this request."), code="already_declined")
    if booking.manager_approval != ManagerApproval.PENDING or booking.status not in (
        BookingStatus.REQUESTED,
        BookingStatus.WAITLISTED,
    ):
        raise BookingRefused(
            _("This request is %(status)s, so it no longer needs your answer.")
            % {"status": booking.get_status_display().lower()},
            code="not_pending",
        )
    if not approve:
        person = booking.participant.full_name or booking.participant.email
        reason = _require_reason(reason, _("%(person)s will see it.") % {"person": person})
        booking.manager_approval = ManagerApproval.DECLINED
        booking.save(update_fields=["manager_approval", "updated_at"])
        return _move(
            booking,
            slot=slot,
            to=BookingStatus.DECLINED,
            by=None,
            action=BookingAction.MANAGER_DECLINED,
            reason=reason,
            actor_description=manager,
        )
    booking.manager_approval = ManagerApproval.APPROVED
    booking.save(update_fields=["manager_approval", "updated_at"])
    _record(
        booking,
        action=BookingAction.MANAGER_APPROVED,
        from_status=booking.status,
        by=None,
        actor_description=manager,
        reason=reason.strip(),
    )
    if booking.status == BookingStatus.WAITLISTED:
        _offer_freed_places(slot=slot, now=timezone.now())
    elif booking.programme.bookings_confirmed_automatically:
        _move(booking, slot=slot, to=BookingStatus.CONFIRMED, by=None)
    booking.refresh_from_db()
    return booking
