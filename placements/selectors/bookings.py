from django.db.models import QuerySet

from placements.models import Booking


def booking_list_for_participant(*, participant) -> QuerySet[Booking]:
    """A participant's own bookings, soonest visit first."""
    return (
        Booking.objects.filter(participant=participant)
        .select_related("slot__opportunity__partner", "programme")
        .order_by("slot__starts_at", "pk")
    )
