"""What the audit tests share: the log as comparable tuples."""

from connecting.audit.models import AuditEvent

FIELDS = ("actor_id", "actor_description", "verb", "object_type", "object_id", "description", "person_id")


def audit_rows(**filters) -> list[tuple]:
    """Every event (or those matching `filters`), oldest first, as tuples of FIELDS."""
    return list(AuditEvent.objects.filter(**filters).order_by("pk").values_list(*FIELDS))


def described(user) -> str:
    return f"{user.email} ({user.get_role_display()})"
