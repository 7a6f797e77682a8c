"""What each export holds: its filters, its header and its rows, whatever the file format.

Rows are lists of typed values (numbers, dates, London times without a zone, text, None), in the
header's order; `writers` turns them into CSV or XLSX. Every dataset reads its querysets a chunk at
a time, so a worker writing a large export keeps a flat memory.

The debriefs and actions rows come from `debriefs.exports` and their querysets from
`debriefs.selectors.review`, so the consent rules are the review exports' own: debriefs shared with
the programme team only are left out unless asked for, and an author is named only when they
shared with their name.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connecting.reports.models import ExportDataset
from connecting.reports.selectors import booking_export_rows, partner_activity_rows
from debriefs.exports import ACTION_HEADER, DEBRIEF_HEADER, action_rows, debrief_rows
from debriefs.selectors.review import STATUS_ALL, action_export_rows, debrief_export_rows
from placements.models import Cohort, Programme

# Rows read from the database at a time, by the page and by the worker alike.
CHUNK_SIZE = 2000


class ExportFiltersGone(Exception):
    """A job's programme or cohort was deleted between asking and running."""


@dataclass(frozen=True)
class ExportFilters:
    """The dashboard's filters: a programme (None: all), a cohort of it, visit dates from and to
    (London dates, both included); and whether debriefs shared with the team only are in."""

    programme: Programme | None = None
    cohort: Cohort | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    include_team_only: bool = False

    def visit_window(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """The first moment of the first day, and the first moment after the last (London midnights)."""
        start = _london_midnight(self.date_from) if self.date_from else None
        end = _london_midnight(self.date_to + datetime.timedelta(days=1)) if self.date_to else None
        return start, end

    def selector_kwargs(self) -> dict:
        starts_from, starts_before = self.visit_window()
        return {
            "programme": self.programme,
            "cohort": self.cohort,
            "starts_from": starts_from,
            "starts_before": starts_before,
        }

    def to_json(self) -> dict:
        return {
            "programme": self.programme.pk if self.programme else None,
            "cohort": self.cohort.pk if self.cohort else None,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "include_team_only": self.include_team_only,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ExportFilters":
        """The filters a job was asked with; ExportFiltersGone if its programme or cohort was deleted."""
        programme = cohort = None
        if data.get("programme") is not None:
            programme = Programme.objects.filter(pk=data["programme"]).first()
            if programme is None:
                raise ExportFiltersGone("The programme of this export no longer exists.")
        if data.get("cohort") is not None:
            cohort = Cohort.objects.filter(pk=data["cohort"]).first()
            if cohort is None:
                raise ExportFiltersGone("The cohort of this export no longer exists.")
        return cls(
            programme=programme,
            cohort=cohort,
            date_from=_date_or_none(data.get("date_from")),
            date_to=_date_or_none(data.get("date_to")),
            include_team_only=bool(data.get("include_team_only")),
        )

    def describe(self, dataset: str) -> str:
        """The filters in words, for the list of exports."""
        parts = [self.programme.name if self.programme else _("All programmes")]
        if self.cohort:
            parts.append(_("cohort %(name)s") % {"name": self.cohort.name})
        if self.date_from and self.date_to:
            parts.append(
                _("visits from %(first)s to %(last)s")
                % {"first": _day(self.date_from), "last": _day(self.date_to)}
            )
        elif self.date_from:
            parts.append(_("visits from %(first)s") % {"first": _day(self.date_from)})
        elif self.date_to:
            parts.append(_("visits up to %(last)s") % {"last": _day(self.date_to)})
        if dataset in CONSENT_DATASETS:
            parts.append(
                _("including debriefs for the programme team only")
                if self.include_team_only
                else _("without debriefs for the programme team only")
            )
        return "; ".join(parts)


def _london_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _date_or_none(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "j M Y")


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A London wall-clock time without a zone: what a spreadsheet shows, and what XLSX can hold."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


# --- Bookings ---------------------------------------------------------------------------------------

BOOKING_HEADER = [
    gettext_lazy("Booking ID"),
    gettext_lazy("Status"),
    gettext_lazy("Visit starts"),
    gettext_lazy("Visit ends"),
    gettext_lazy("Programme"),
    gettext_lazy("Cohort"),
    gettext_lazy("Participant name"),
    gettext_lazy("Participant e-mail address"),
    gettext_lazy("Directorate"),
    gettext_lazy("Partner"),
    gettext_lazy("Partner sector"),
    gettext_lazy("Partner region"),
    gettext_lazy("Opportunity"),
    gettext_lazy("Requested"),
]


def _booking_rows(filters: ExportFilters, *, user, chunk_size: int) -> Iterator[list]:
    for booking in booking_export_rows(**filters.selector_kwargs()).iterator(chunk_size=chunk_size):
        slot, participant = booking.slot, booking.participant
        partner = slot.opportunity.partner
        yield [
            booking.pk,
            booking.get_status_display(),
            _local(slot.starts_at),
            _local(slot.ends_at),
            booking.programme.name,
            booking.cohort_name,
            participant.full_name,
            participant.email,
            participant.directorate,
            partner.name,
            partner.get_sector_display(),
            partner.get_region_display(),
            slot.opportunity.title,
            _local(booking.created_at),
        ]


def _booking_count(filters: ExportFilters, *, user) -> int:
    return booking_export_rows(**filters.selector_kwargs()).count()


# --- Debriefs and actions -------------------------------------------------------------------------------


def _debriefs(filters: ExportFilters, *, user):
    starts_from, starts_before = filters.visit_window()
    debriefs = debrief_export_rows(
        user=user,
        include_team_only=filters.include_team_only,
        programme=filters.programme,
        cohort=filters.cohort,
        status=STATUS_ALL,
    )
    if starts_from is not None:
        debriefs = debriefs.filter(booking__slot__starts_at__gte=starts_from)
    if starts_before is not None:
        debriefs = debriefs.filter(booking__slot__starts_at__lt=starts_before)
    return debriefs


def _debrief_rows(filters: ExportFilters, *, user, chunk_size: int) -> Iterator[list]:
    return debrief_rows(_debriefs(filters, user=user), chunk_size=chunk_size)


def _debrief_count(filters: ExportFilters, *, user) -> int:
    return _debriefs(filters, user=user).count()


def _actions(filters: ExportFilters, *, user):
    starts_from, starts_before = filters.visit_window()
    participant_actions, policy_actions = action_export_rows(
        user=user,
        include_team_only=filters.include_team_only,
        programme=filters.programme,
        cohort=filters.cohort,
        status=STATUS_ALL,
    )
    if starts_from is not None:
        participant_actions = participant_actions.filter(debrief__booking__slot__starts_at__gte=starts_from)
        policy_actions = policy_actions.filter(debrief__booking__slot__starts_at__gte=starts_from)
    if starts_before is not None:
        participant_actions = participant_actions.filter(debrief__booking__slot__starts_at__lt=starts_before)
        policy_actions = policy_actions.filter(debrief__booking__slot__starts_at__lt=starts_before)
    return participant_actions, policy_actions


def _action_rows(filters: ExportFilters, *, user, chunk_size: int) -> Iterator[list]:
    return action_rows(*_actions(filters, user=user), chunk_size=chunk_size)


def _action_count(filters: ExportFilters, *, user) -> int:
    participant_actions, policy_actions = _actions(filters, user=user)
    return participant_actions.count() + policy_actions.count()


# --- Partner activity -----------------------------------------------------------------------------------

PARTNER_ACTIVITY_HEADER = [
    gettext_lazy("Partner ID"),
    gettext_lazy("Partner"),
    gettext_lazy("Partner sector"),
    gettext_lazy("Partner region"),
    gettext_lazy("Opportunities"),
    gettext_lazy("Slots offered"),
    gettext_lazy("Places"),
    gettext_lazy("Visits requested"),
    gettext_lazy("Visits confirmed"),
    gettext_lazy("Visits attended"),
    gettext_lazy("Visits cancelled"),
    gettext_lazy("Feedback given"),
    gettext_lazy("Average value score (1 to 5)"),
]


def _partner_activity_rows(filters: ExportFilters, *, user, chunk_size: int) -> Iterator[list]:
    for partner in partner_activity_rows(**filters.selector_kwargs()).iterator(chunk_size=chunk_size):
        yield [
            partner.pk,
            partner.name,
            partner.get_sector_display(),
            partner.get_region_display(),
            partner.opportunity_count,
            partner.slots_offered,
            partner.places,
            partner.visits_requested,
            partner.visits_confirmed,
            partner.visits_attended,
            partner.visits_cancelled,
            partner.feedback_given,
            round(partner.average_value, 2) if partner.average_value is not None else None,
        ]


def _partner_activity_count(filters: ExportFilters, *, user) -> int:
    return partner_activity_rows(**filters.selector_kwargs()).count()


# --- The register ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    header: list
    rows: Callable[..., Iterator[list]]  # (filters, *, user, chunk_size)
    count: Callable[..., int]  # (filters, *, user)
    sheet_title: str  # lazy: translated when written


DATASETS: dict[str, Dataset] = {
    ExportDataset.BOOKINGS: Dataset(BOOKING_HEADER, _booking_rows, _booking_count, gettext_lazy("Bookings")),
    ExportDataset.DEBRIEFS: Dataset(DEBRIEF_HEADER, _debrief_rows, _debrief_count, gettext_lazy("Debriefs")),
    ExportDataset.ACTIONS: Dataset(ACTION_HEADER, _action_rows, _action_count, gettext_lazy("Actions")),
    ExportDataset.PARTNER_ACTIVITY: Dataset(
        PARTNER_ACTIVITY_HEADER,
        _partner_activity_rows,
        _partner_activity_count,
        gettext_lazy("Partner activity"),
    ),
}
# The datasets made of debriefs, where consent decides which are in.
CONSENT_DATASETS = (ExportDataset.DEBRIEFS, ExportDataset.ACTIONS)
