import datetime

from django.db.models import Q, QuerySet

from connecting.audit.models import AuditEvent
from connecting.working_days import london_at


def audit_event_list(
    *,
    verb: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first, narrowed by each filter given. `actor` matches the actor's description
    (e-mail address) in part; dates are London days, both ends included. Reads no other table."""
    events = AuditEvent.objects.all()
    if verb:
        events = events.filter(verb=verb)
    if actor:
        events = events.filter(actor_description__icontains=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if date_from:
        events = events.filter(created_at__gte=london_at(date_from))
    if date_to:
        events = events.filter(created_at__lt=london_at(date_to + datetime.timedelta(days=1)))
    return events.order_by("-created_at", "-pk")


def audit_event_list_about_person(*, person) -> QuerySet[AuditEvent]:
    """What the log holds about `person`: what they did and what was done to their data."""
    return AuditEvent.objects.filter(Q(actor=person) | Q(person=person)).order_by("created_at", "pk")


def audit_object_type_choices() -> list[str]:
    return list(AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct())
