"""Exports produced in the background, kept privately until downloaded."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportDataset(models.TextChoices):
    BOOKINGS = "bookings", _("Bookings")
    DEBRIEFS = "debriefs", _("Debriefs")
    ACTIONS = "actions", _("Debrief actions and policy actions")
    PARTNER_ACTIVITY = "partner_activity", _("Partner activity")


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


_S = ExportStatus
# The whole life of an export job. Each move is one conditional UPDATE in `connecting.reports.services`
# (`WHERE status = <from>`), so two workers, or a worker and the expiry sweep, can never both make one.
EXPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.QUEUED: frozenset({_S.RUNNING}),
    _S.RUNNING: frozenset({_S.READY, _S.FAILED}),
    _S.READY: frozenset({_S.EXPIRED}),
    _S.FAILED: frozenset(),
    _S.EXPIRED: frozenset(),
}


class ExportJob(models.Model):
    """One export too large to send back at once: written to the private storage by a worker, then
    offered to the person who asked for it, and only to them, until it expires."""

    # Kept when the account goes, so the expiry sweep still finds and deletes the file.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="export_jobs"
    )
    dataset = models.CharField(_("data"), max_length=32, choices=ExportDataset.choices)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    # Ids and ISO dates (see `connecting.reports.datasets.ExportFilters`), read again by the worker.
    filters = models.JSONField(_("filters"), default=dict)
    # The filters in words, written when asked for, so the list never looks up programmes again.
    description = models.CharField(_("description"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ExportStatus.choices, default=_S.QUEUED)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # The name in the private storage; blank until ready, and again once expired.
    file_name = models.CharField(max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="reports_exportjob_mine"),
            models.Index(fields=["expires_at"], condition=Q(status="ready"), name="reports_exportjob_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="reports_exportjob_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(dataset__in=ExportDataset.values), name="reports_exportjob_dataset_valid"
            ),
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values), name="reports_exportjob_format_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="ready")
                | (
                    ~Q(file_name="")
                    & Q(row_count__isnull=False)
                    & Q(finished_at__isnull=False)
                    & Q(expires_at__isnull=False)
                ),
                name="reports_exportjob_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} ({self.get_format_display()}) #{self.pk}"

    @property
    def download_filename(self) -> str:
        return export_filename(self.dataset, self.format, timezone.localdate(self.created_at))


def export_filename(dataset: str, file_format: str, day) -> str:
    """The name the browser saves an export as: the data and the day it was asked for."""
    return f"{dataset.replace('_', '-')}-{day.isoformat()}.{file_format}"
