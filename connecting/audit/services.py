"""Writing the audit log. Every hook in the portal is one call to `audit_record`."""

import ipaddress
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models

from connecting.audit.models import AuditEvent, AuditVerb

logger = logging.getLogger(__name__)

PORTAL = "The portal"


def actor_describe(actor) -> str:
    """How the log names an actor at the time: e-mail address and role, never the password or name."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return f"{actor.email} ({actor.get_role_display()})"[:300]


def client_ip(request) -> str | None:
    """The client's address, read as allauth reads it for its rate limits: behind N trusted
    proxies (TRUSTED_PROXY_COUNT), the address the outermost trusted proxy saw."""
    if request is None:
        return None
    from allauth.core.internal.httpkit import get_client_ip

    try:
        return str(ipaddress.ip_address(get_client_ip(request) or ""))
    except (ValueError, PermissionDenied):
        return None


def _person_id_of(obj) -> int | None:
    """Whose personal data `obj` is: a user is their own; a booking its participant's; anything
    hanging off a booking (debrief, preparation, feedback) the booking's participant's."""
    if obj is None:
        return None
    if obj._meta.label == settings.AUTH_USER_MODEL:
        return obj.pk
    if hasattr(obj, "participant_id"):
        return obj.participant_id
    if hasattr(obj, "booking_id"):
        return obj.booking.participant_id
    return None


def audit_record(
    *,
    actor,
    verb: AuditVerb | str,
    obj: models.Model | None = None,
    description: str = "",
    request=None,
    person=None,
    actor_description: str = "",
    **extra,
) -> AuditEvent:
    """Append one event to the audit log and return it.

    `actor` is the user who acted (None for the portal itself, a line manager by e-mail, or an
    unknown visitor: say who in `actor_description`). `person` is whose data it concerns; it
    defaults to the person `obj` belongs to. `extra` is kept as JSON: ids and codes, not free text.
    It joins the caller's transaction, so an action that is rolled back leaves no entry.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser
    event = AuditEvent.objects.create(
        actor=actor,
        actor_description=actor_describe(actor) or actor_description[:300] or PORTAL,
        verb=AuditVerb(verb),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        description=description[:500],
        person_id=person.pk if person is not None else _person_id_of(obj),
        ip_address=client_ip(request),
        extra=extra,
    )
    logger.info("audit: %s by %s on %s %s", event.verb, event.actor_id, event.object_type, event.object_id)
    return event
