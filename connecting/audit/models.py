"""The audit log: who did what sensitive thing, when; read by the programme team, never edited.

Rows are written only by `connecting.audit.services.audit_record`. Nothing in the portal changes or
deletes one: the admin is read-only, there is no edit page, and on PostgreSQL a trigger refuses
UPDATE and DELETE outright (see migration 0001). Users are never deleted (they are anonymised,
`connecting.privacy.services.person_anonymise`), so the SET_NULL of the keys below never fires; a
deletion of a user who appears in the log is refused by the same trigger, on purpose.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditVerb(models.TextChoices):
    SIGNED_IN = "signed_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    ROLE_CHANGED = "role_changed", _("Role or access changed")
    DEBRIEF_VIEWED = "debrief_viewed", _("Debrief read by the programme team")
    EXPORTED = "exported", _("Data exported")
    EXPORT_DOWNLOADED = "export_downloaded", _("Export downloaded")
    BOOKING_CHANGED = "booking_changed", _("Booking state changed")
    DATA_DOWNLOADED = "data_downloaded", _("Personal data downloaded (subject access)")
    PERSON_ANONYMISED = "person_anonymised", _("Person anonymised")
    RETENTION_APPLIED = "retention_applied", _("Old personal data removed (retention)")


class AuditEvent(models.Model):
    # Who acted: the key, and a description written at the time (their e-mail address and role,
    # or what acted when nobody signed in did), so the entry stays readable whatever happens later.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_description = models.CharField(max_length=300, blank=True)
    verb = models.CharField(max_length=32, choices=AuditVerb.choices)
    # What it was done to: "placements.booking" and its key, and a short description.
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500, blank=True)
    # Whose personal data the action concerned (the booking's participant, the debrief's author,
    # the person whose role changed): what a subject access request finds.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["verb", "-created_at"], name="audit_event_verb"),
            models.Index(fields=["actor", "-created_at"], name="audit_event_actor"),
            models.Index(fields=["person", "-created_at"], name="audit_event_person"),
            models.Index(fields=["object_type", "object_id"], name="audit_event_object"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verb__in=AuditVerb.values), name="audit_event_verb_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verb_display()} by {self.actor_description or '-'} at {self.created_at:%Y-%m-%d %H:%M}"
