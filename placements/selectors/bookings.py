import datetime

from django.db.models import Case, DateTimeField, F, Prefetch, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from connecting.working_days import working_days_between
from partners.models import Partner
from placements.models import Booking, BookingEvent, BookingStatus, ManagerApproval, Programme, Slot


def booking_list_for_participant(*, participant) -> QuerySet[Booking]:
    """A participant's own bookings, soonest visit first."""
    return (
        Booking.objects.filter(participant=participant)
        .select_related("slot__opportunity__partner", "programme")
        .order_by("slot__starts_at", "pk")
    )


def booking_list_for_user(*, user) -> QuerySet[Booking]:
    """Every booking the person may see: all for the team, their partners' for a contact, their own
    for a participant, none for anyone else. Each row carries its slot, opportunity, partner,
    participant and programme."""
    bookings = Booking.objects.select_related("slot__opportunity__partner", "participant", "programme")
    if is_programme_team(user):
        return bookings
    if is_partner_contact(user):
        return bookings.filter(slot__opportunity__partner__in=Partner.objects.filter(memberships__user=user))
    if is_participant(user):
        return bookings.filter(participant=user)
    return bookings.none()


def booking_get_for_user(*, booking_id: int, user) -> Booking:
    """The one door from a URL to a booking, with its history (events, oldest first, and who acted)
    loaded: a booking the user may not see answers 404."""
    booking = (
        booking_list_for_user(user=user)
        # The records of the visit, for the booking page's "Before and after the visit".
        .select_related("preparation", "joining_instructions", "debrief", "partner_feedback")
        .prefetch_related(
            Prefetch(
                "events", queryset=BookingEvent.objects.select_related("actor").order_by("created_at", "pk")
            )
        )
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        raise Http404("No such booking.")
    return booking


def booking_list_awaiting_answer(*, user) -> QuerySet[Booking]:
    """Requests the user may confirm or decline (their partners' for a contact, all for the team),
    oldest first. Participants answer none. A request still waiting for the participant's line
    manager is not among them: the partner is asked only once the manager approves."""
    if not (is_programme_team(user) or is_partner_contact(user)):
        return Booking.objects.none()
    return (
        booking_list_for_user(user=user)
        .filter(status=BookingStatus.REQUESTED)
        .exclude(manager_approval=ManagerApproval.PENDING)
        .order_by("created_at", "pk")
    )


def booking_list_awaiting_manager(*, user) -> QuerySet[Booking]:
    """Requests still waiting for the participant's line manager, oldest first: for the programme
    team only, who may chase them. Partners have not been asked yet, so they see none."""
    if not is_programme_team(user):
        return Booking.objects.none()
    return (
        booking_list_for_user(user=user)
        .filter(status=BookingStatus.REQUESTED, manager_approval=ManagerApproval.PENDING)
        .order_by("created_at", "pk")
    )


def booking_list_filtered(
    *, user, status: str = "", when: str = "", now: datetime.datetime | None = None
) -> QuerySet[Booking]:
    """The bookings list: every booking the user may see, of one status if given.

    `when` is "upcoming" (the visit has not ended: soonest first), "past" (it has: latest first) or
    "" for both, upcoming ones first.
    """
    now = now or timezone.now()
    bookings = booking_list_for_user(user=user)
    if status:
        bookings = bookings.filter(status=status)
    upcoming = Q(slot__ends_at__gt=now)
    if when == "upcoming":
        return bookings.filter(upcoming).order_by("slot__starts_at", "pk")
    if when == "past":
        return bookings.exclude(upcoming).order_by("-slot__starts_at", "-pk")
    if when:
        raise ValueError(f"when must be 'upcoming', 'past' or '', not {when!r}")
    # Upcoming rows sort on their start, soonest first; past rows (NULL there) follow, latest first.
    upcoming_start = Case(When(upcoming, then=F("slot__starts_at")), output_field=DateTimeField())
    return bookings.order_by(upcoming_start.asc(nulls_last=True), F("slot__starts_at").desc(), "-pk")


def booking_list_confirmed_upcoming(*, user, limit: int = 10) -> QuerySet[Booking]:
    """The next confirmed visits the user may see (a contact: their partners'), soonest first, with
    the visitor's preparation and the joining instructions, so the host sees what is ready."""
    return booking_list_filtered(user=user, status=BookingStatus.CONFIRMED, when="upcoming").select_related(
        "preparation", "joining_instructions"
    )[:limit]


def booking_programme_choices(*, slot: Slot, participant) -> list[Programme]:
    """The programmes a booking of this slot could count towards: those the participant is enrolled
    on that offer the slot's opportunity, by name."""
    return list(
        Programme.objects.filter(opportunities=slot.opportunity_id, enrolments__participant=participant)
        .distinct()
        .order_by("name", "pk")
    )


def booking_waitlist_position(*, booking: Booking) -> int:
    """Where a booking on the waiting list stands in its slot's queue: 1 is next in line."""
    return (
        Booking.objects.filter(slot_id=booking.slot_id, status=BookingStatus.WAITLISTED)
        .filter(Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lte=booking.pk))
        .count()
    )


def booking_cancel_would_be_late(*, booking: Booking, by, now: datetime.datetime | None = None) -> bool:
    """Whether `by` cancelling now is late: a confirmed visit inside the opportunity's minimum
    notice, in working days of the partner's nation, called off by the visitor (or the team for
    them); a partner calling off a visit is never "late". The notice in force when cancelling is
    what counts. The cancel page warns with this and `booking_transition` records it."""
    if booking.status != BookingStatus.CONFIRMED or is_partner_contact(by):
        return False
    opportunity = booking.slot.opportunity
    days_left = working_days_between(
        timezone.localdate(now or timezone.now()),
        timezone.localdate(booking.slot.starts_at),
        opportunity.partner.nation,
    )
    return days_left < opportunity.minimum_notice_working_days
