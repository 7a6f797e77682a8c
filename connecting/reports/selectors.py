"""What the exports read: the bookings, the partners' activity, and each person's export jobs.

The debriefs and actions exports read `debriefs.selectors.review` (see `datasets`), where the
consent rules live. Filters here are the dashboard's: a programme, a cohort of it (the cohort of
the participant's enrolment in the booking's programme), and a visit window given as the first
moment in and the first moment after it (`ExportFilters.visit_window`).
"""

import datetime

from django.db.models import (
    Avg,
    Count,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from connecting.reports.models import ExportJob, ExportStatus
from connecting.reports.permissions import can_download_export
from debriefs.models import PartnerFeedback
from partners.models import Partner
from placements.models import Booking, BookingStatus, Enrolment, Programme, Slot

# A booking that was confirmed and not cancelled: still to come, or the visit happened (or not).
CONFIRMED_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)


def _visit_q(path: str, starts_from, starts_before) -> Q:
    """The slot at `path` ("" for the slot itself) starts inside the window (either end may be open)."""
    starts_at = f"{path}__starts_at" if path else "starts_at"
    q = Q()
    if starts_from is not None:
        q &= Q(**{f"{starts_at}__gte": starts_from})
    if starts_before is not None:
        q &= Q(**{f"{starts_at}__lt": starts_before})
    return q


def _booking_q(prefix: str, *, programme, cohort, starts_from, starts_before) -> Q:
    """The bookings in the export, for a queryset whose booking is at `prefix` ("" or "booking__")."""
    q = _visit_q(f"{prefix}slot", starts_from, starts_before)
    if programme is not None:
        q &= Q(**{f"{prefix}programme": programme})
    if cohort is not None:
        q &= Q(
            Exists(
                Enrolment.objects.filter(
                    participant=OuterRef(f"{prefix}participant"),
                    programme=OuterRef(f"{prefix}programme"),
                    cohort=cohort,
                )
            )
        )
    return q


def booking_export_rows(
    *,
    programme: Programme | None = None,
    cohort=None,
    starts_from: datetime.datetime | None = None,
    starts_before: datetime.datetime | None = None,
) -> QuerySet[Booking]:
    """Every booking of the filters, whatever its state, by visit start; with the participant,
    programme, slot, opportunity and partner loaded and the cohort's name annotated (`cohort_name`)."""
    cohort_name = Enrolment.objects.filter(
        participant=OuterRef("participant"), programme=OuterRef("programme")
    ).values("cohort__name")[:1]
    return (
        Booking.objects.filter(
            _booking_q(
                "", programme=programme, cohort=cohort, starts_from=starts_from, starts_before=starts_before
            )
        )
        .select_related("participant", "programme", "slot__opportunity__partner")
        .annotate(cohort_name=Subquery(cohort_name))
        .order_by("slot__starts_at", "pk")
    )


def _per_partner(queryset: QuerySet, partner_path: str, expression, output_field, default=None):
    """One aggregate of `queryset`'s rows for the partner of the outer row (a correlated subquery,
    so counting slots and bookings side by side never multiplies one by the other)."""
    value = Subquery(
        queryset.filter(**{partner_path: OuterRef("pk")})
        .order_by()
        .values(partner_path)
        .annotate(value=expression)
        .values("value")[:1],
        output_field=output_field,
    )
    return value if default is None else Coalesce(value, Value(default), output_field=output_field)


def partner_activity_rows(
    *,
    programme: Programme | None = None,
    cohort=None,
    starts_from: datetime.datetime | None = None,
    starts_before: datetime.datetime | None = None,
) -> QuerySet[Partner]:
    """Each partner with a slot in the window (of an opportunity in the programme), by name, with:

    - `opportunity_count`, `slots_offered`, `places`: the opportunities with slots in the window, those
      slots, and their places (capacity); a cohort does not narrow these, it has no slots of its own;
    - `visits_requested`: every booking of those slots by the programme (and cohort), whatever
      happened to it; `visits_confirmed`: confirmed and not cancelled (to come, attended or not);
      `visits_attended`; `visits_cancelled`;
    - `feedback_given`: the partner's feedback on those bookings; `average_value`: its mean
      "value to your organisation" (1 to 5), None without any.
    """
    slot_q = _visit_q("", starts_from, starts_before)
    if programme is not None:
        slot_q &= Q(opportunity__programmes=programme)
    slots = Slot.objects.filter(slot_q)
    booking_q = _booking_q(
        "", programme=programme, cohort=cohort, starts_from=starts_from, starts_before=starts_before
    )
    bookings = Booking.objects.filter(booking_q)
    feedback = PartnerFeedback.objects.filter(
        _booking_q(
            "booking__",
            programme=programme,
            cohort=cohort,
            starts_from=starts_from,
            starts_before=starts_before,
        )
    )
    integer = IntegerField()

    def booking_count(status_q: Q | None = None):
        return _per_partner(
            bookings, "slot__opportunity__partner", Count("pk", filter=status_q), integer, default=0
        )

    return (
        Partner.objects.filter(Exists(slots.filter(opportunity__partner=OuterRef("pk"))))
        .annotate(
            opportunity_count=_per_partner(
                slots, "opportunity__partner", Count("opportunity", distinct=True), integer, default=0
            ),
            slots_offered=_per_partner(slots, "opportunity__partner", Count("pk"), integer, default=0),
            places=_per_partner(slots, "opportunity__partner", Sum("capacity"), integer, default=0),
            visits_requested=booking_count(),
            visits_confirmed=booking_count(Q(status__in=CONFIRMED_STATUSES)),
            visits_attended=booking_count(Q(status=BookingStatus.ATTENDED)),
            visits_cancelled=booking_count(Q(status=BookingStatus.CANCELLED)),
            feedback_given=_per_partner(
                feedback, "booking__slot__opportunity__partner", Count("pk"), integer, default=0
            ),
            average_value=_per_partner(
                feedback,
                "booking__slot__opportunity__partner",
                Avg("value_to_partner", output_field=FloatField()),
                FloatField(),
            ),
        )
        .order_by("name", "pk")
    )


# --- Export jobs ------------------------------------------------------------------------------------


def export_job_list_for_user(*, user) -> QuerySet[ExportJob]:
    """The exports the user asked for, newest first (the list needs nothing else loaded)."""
    return ExportJob.objects.filter(requested_by=user).order_by("-created_at", "-pk")


def export_job_get_for_download(*, job_id: int, user) -> ExportJob:
    """The one door from a download URL to an export: 404 unless it is the user's own and ready."""
    job = ExportJob.objects.filter(pk=job_id, status=ExportStatus.READY).first()
    if job is None or not can_download_export(user, job):
        raise Http404("No such export.")
    return job
