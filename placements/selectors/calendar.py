import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from connecting.accounts.roles import is_partner_contact
from partners.models import PartnerMembership
from placements.models import Booking, BookingStatus

# Visits that are (or were) going ahead. Requests, declines and cancellations never reach a calendar.
CALENDAR_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
# How far back a feed reaches: enough for "when did I go there?", small enough to stay quick.
CALENDAR_HISTORY = datetime.timedelta(days=365)


def calendar_booking_list_for_user(*, user) -> QuerySet[Booking]:
    """The visits in a person's calendar feed, soonest first.

    A partner contact sees their partners' visits; everyone else (participants, and the programme
    team, who rarely book for themselves) sees the bookings they hold as the participant.
    """
    if not (user and user.is_active):
        return Booking.objects.none()
    if is_partner_contact(user):
        whose = Q(
            slot__opportunity__partner_id__in=PartnerMembership.objects.filter(user=user).values("partner_id")
        )
    else:
        whose = Q(participant=user)
    return (
        Booking.objects.filter(
            whose,
            status__in=CALENDAR_STATUSES,
            slot__starts_at__gte=timezone.now() - CALENDAR_HISTORY,
        )
        .select_related("slot__opportunity__partner", "participant", "programme")
        .order_by("slot__starts_at", "pk")
    )
