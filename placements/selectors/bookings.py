import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from connecting.working_days import working_days_between
from partners.models import Partner
from placements.models import Booking, BookingEvent, BookingStatus


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
    oldest first. Participants answer none."""
    if not (is_programme_team(user) or is_partner_contact(user)):
        return Booking.objects.none()
    return (
        booking_list_for_user(user=user).filter(status=BookingStatus.REQUESTED).order_by("created_at", "pk")
    )


def booking_waitlist_position(*, booking: Booking) -> int:
    """Where a booking on the waiting list stands in its slot's queue: 1 is next in line."""
    return (
        Booking.objects.filter(slot_id=booking.slot_id, status=BookingStatus.WAITLISTED)
        .filter(Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lte=booking.pk))
        .count()
    )


def booking_cancel_would_be_late(*, booking: Booking, now: datetime.datetime | None = None) -> bool:
    """Whether cancelling now is late: a confirmed visit inside the opportunity's minimum notice,
    in working days of the partner's nation. The notice in force when cancelling is what counts.
    The cancel page warns with this and `booking_transition` records it: one rule for both."""
    if booking.status != BookingStatus.CONFIRMED:
        return False
    opportunity = booking.slot.opportunity
    days_left = working_days_between(
        timezone.localdate(now or timezone.now()),
        timezone.localdate(booking.slot.starts_at),
        opportunity.partner.nation,
    )
    return days_left < opportunity.minimum_notice_working_days
