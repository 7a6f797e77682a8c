import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner

# --- Programmes and cohorts ---------------------------------------------------------------------


class Programme(models.Model):
    """A scheme that sends people out to partners, such as a department's "Connecting" programme."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    owner_organisation = models.CharField(_("owner organisation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_days_per_participant = models.PositiveSmallIntegerField(
        _("target days per participant per year"), default=2
    )
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"), null=True, blank=True)
    bookings_confirmed_automatically = models.BooleanField(
        _("confirm bookings automatically"),
        default=False,
        help_text=_("If not, the partner confirms or declines each request."),
    )
    line_manager_approval_required = models.BooleanField(
        _("line manager must approve each booking first"), default=False
    )
    max_places_per_slot = models.PositiveSmallIntegerField(
        _("most places a partner may offer in one slot"), default=12
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="placements_programme_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(max_places_per_slot__gte=1),
                name="placements_programme_slot_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """Participants going through a programme together."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint("programme", Lower("name"), name="placements_cohort_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="placements_cohort_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """A participant's place on a programme, optionally in one of its cohorts."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["participant__full_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "participant"], name="placements_enrolment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} on {self.programme}"


# --- The shared policy-area taxonomy ------------------------------------------------------------


class Theme(models.Model):
    """A policy area. Opportunities are tagged with themes and debriefs roll learning up into them."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="placements_theme_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


# --- Opportunities and slots --------------------------------------------------------------------


class OpportunityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class Duration(models.TextChoices):
    HALF_DAY = "half_day", _("Half a day")
    DAY = "day", _("A day")
    SEVERAL_DAYS = "several_days", _("Several days")


class VettingLevel(models.TextChoices):
    NONE = "none", _("No vetting needed")
    BASIC_DBS = "basic_dbs", _("Basic DBS check")
    STANDARD_DBS = "standard_dbs", _("Standard DBS check")
    ENHANCED_DBS = "enhanced_dbs", _("Enhanced DBS check")
    ENHANCED_DBS_BARRED = "enhanced_dbs_barred", _("Enhanced DBS check with barred lists")
    POLICE_VETTING = "police_vetting", _("Police vetting (NPPV)")
    OTHER = "other", _("Other (see the partner's vetting requirements)")


MAX_NOTICE_WORKING_DAYS = 60


class Opportunity(models.Model):
    """What a partner offers, such as "A day with the discharge team"."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="opportunities")
    programmes = models.ManyToManyField(Programme, related_name="opportunities", verbose_name=_("programmes"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400)
    what_you_will_do = models.TextField(_("what the visitor will see and do"))
    is_remote = models.BooleanField(_("remote"), default=False)
    site_address = models.TextField(_("site address"), blank=True)
    site_postcode = models.CharField(_("site postcode"), max_length=8, blank=True)
    duration = models.CharField(_("duration"), max_length=16, choices=Duration.choices, default=Duration.DAY)
    policy_areas = models.ManyToManyField(
        Theme, related_name="opportunities", blank=True, verbose_name=_("policy areas")
    )
    vetting_level = models.CharField(
        _("vetting level"), max_length=32, choices=VettingLevel.choices, default=VettingLevel.NONE
    )
    ppe = models.CharField(_("personal protective equipment"), max_length=300, blank=True)
    dress_code = models.CharField(_("dress code"), max_length=300, blank=True)
    minimum_notice_working_days = models.PositiveSmallIntegerField(
        _("minimum notice in working days"), default=10
    )
    accessibility = models.TextField(_("accessibility"), blank=True)
    host_name = models.CharField(_("host name"), max_length=150)
    host_email = models.EmailField(_("host e-mail address"))
    host_phone = models.CharField(_("host telephone"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OpportunityStatus.choices, default=OpportunityStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The browse search document: title (weight A), summary and policy area names (B), what you
    # will do, partner name, site address and partner's town (C). PostgreSQL keeps it up to date
    # with triggers, whoever writes the opportunity, its policy areas, a theme's name or the
    # partner's name or town (the opportunity_search_document migration); empty on SQLite.
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["status", "partner"], name="placements_opp_status_partner"),
            # Created on PostgreSQL only (see the migration).
            GinIndex(fields=["search_document"], name="placements_opp_search"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OpportunityStatus.values),
                name="placements_opportunity_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(duration__in=Duration.values),
                name="placements_opportunity_duration_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(vetting_level__in=VettingLevel.values),
                name="placements_opportunity_vetting_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_notice_working_days__lte=MAX_NOTICE_WORKING_DAYS),
                name="placements_opportunity_notice_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def location_postcode(self) -> str:
        """Where the visit happens, for distances: the site if given, else the partner's address."""
        return self.site_postcode or self.partner.postcode


# The largest id a row of these tables can have (BigAutoField): an id in an address or a form
# beyond it names no row, and a database driver may refuse it outright.
ROW_ID_MAX = 2**63 - 1


class Slot(models.Model):
    """One dated session of an opportunity, with a number of places.

    `places_held` counts the bookings that take a place (see `PLACE_TAKING_STATUSES`). It is kept by
    the booking services under a row lock, and the database refuses any value above `capacity`.
    """

    # Indexed by `placements_slot_opp_start` (opportunity, starts_at), which serves every look-up
    # by opportunity too: a second index on the column alone only made writes and plans slower.
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="slots", db_index=False
    )
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    places_held = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["opportunity", "starts_at"], name="placements_slot_opp_start"),
            # The dashboard, exports and reminders select visits by date across all opportunities.
            models.Index(fields=["starts_at"], name="placements_slot_start"),
            models.Index(fields=["ends_at"], name="placements_slot_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="placements_slot_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="placements_slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(places_held__gte=0) & models.Q(places_held__lte=models.F("capacity")),
                name="placements_slot_never_overbooked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {timezone.localtime(self.starts_at):%a %d %b %Y %H:%M}"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.places_held, 0)


# --- Bookings ------------------------------------------------------------------------------------


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    WAITLISTED = "waitlisted", _("On the waiting list")
    OFFERED = "offered", _("Offered a place")
    EXPIRED = "expired", _("Offer expired")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not attend")


# A request holds a place while the partner decides, so a partner is never asked to confirm more
# people than it has room for. Visits that happened keep their place: they count against caps.
PLACE_TAKING_STATUSES = (
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.OFFERED,
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
)
ACTIVE_STATUSES = (
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.WAITLISTED,
    BookingStatus.OFFERED,
)

_S = BookingStatus
# The whole booking state machine. `placements.services.bookings.booking_transition` is the only
# code that moves a booking, and it refuses any move this table does not list.
BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.REQUESTED: frozenset({_S.CONFIRMED, _S.DECLINED, _S.CANCELLED}),
    _S.CONFIRMED: frozenset({_S.ATTENDED, _S.NO_SHOW, _S.CANCELLED}),
    # Declined from the waiting list: the line manager said no before a place came up.
    _S.WAITLISTED: frozenset({_S.OFFERED, _S.CANCELLED, _S.DECLINED}),
    _S.OFFERED: frozenset({_S.CONFIRMED, _S.EXPIRED, _S.CANCELLED}),
    # Attendance can be corrected by whoever recorded it.
    _S.ATTENDED: frozenset({_S.NO_SHOW}),
    _S.NO_SHOW: frozenset({_S.ATTENDED}),
    _S.DECLINED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.EXPIRED: frozenset(),
}


class ManagerApproval(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not needed")
    PENDING = "pending", _("Waiting for the line manager")
    APPROVED = "approved", _("Approved by the line manager")
    DECLINED = "declined", _("Declined by the line manager")


class Booking(models.Model):
    """One participant's claim on one slot, made through one of the programmes they are on."""

    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("status"), max_length=16, choices=BookingStatus.choices)
    line_manager_email = models.EmailField(_("line manager's e-mail address"), blank=True)
    manager_approval = models.CharField(
        _("line manager approval"),
        max_length=16,
        choices=ManagerApproval.choices,
        default=ManagerApproval.NOT_REQUIRED,
    )
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    cancelled_late = models.BooleanField(_("cancelled inside the notice period"), default=False)
    # Bumped whenever the calendar event changes, so calendars replace the old copy (RFC 5545).
    calendar_sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(fields=["slot", "status"], name="placements_booking_slot_status"),
            models.Index(fields=["participant", "status"], name="placements_booking_person"),
            models.Index(
                fields=["offer_expires_at"],
                condition=models.Q(status="offered"),
                name="placements_booking_offers",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=BookingStatus.values), name="placements_booking_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(manager_approval__in=ManagerApproval.values),
                name="placements_booking_manager_approval_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="offered") | models.Q(offer_expires_at__isnull=False),
                name="placements_booking_offer_has_deadline",
            ),
            models.UniqueConstraint(
                fields=["participant", "slot"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="placements_booking_one_active_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} for {self.slot}"

    @property
    def holds_place(self) -> bool:
        return self.status in PLACE_TAKING_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def days(self) -> float:
        """Days of connecting this visit is worth: half a day, or each local date the slot spans."""
        if self.slot.opportunity.duration == Duration.HALF_DAY:
            return 0.5
        first = timezone.localdate(self.slot.starts_at)
        last = timezone.localdate(self.slot.ends_at - datetime.timedelta(microseconds=1))
        return float((last - first).days + 1)


class BookingAction(models.TextChoices):
    REQUESTED = "requested", _("Requested a place")
    WAITLISTED = "waitlisted", _("Joined the waiting list")
    MANAGER_APPROVED = "manager_approved", _("Line manager approved")
    MANAGER_DECLINED = "manager_declined", _("Line manager declined")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    OFFERED = "offered", _("Offered a place from the waiting list")
    OFFER_ACCEPTED = "offer_accepted", _("Accepted the offer")
    EXPIRED = "expired", _("Offer expired")
    ATTENDED = "attended", _("Marked as attended")
    NO_SHOW = "no_show", _("Marked as not attended")
    RESCHEDULED = "rescheduled", _("Visit moved to a new time")


class BookingEvent(models.Model):
    """One step in a booking's history: who moved it, when, from what, to what and why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=BookingAction.choices)
    from_status = models.CharField(max_length=16, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=BookingStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when there is no account: a line manager by e-mail, or the portal itself.
    actor_description = models.CharField(max_length=254, blank=True)
    reason = models.TextField(blank=True)
    late = models.BooleanField(default=False)
    # The booking's calendar sequence after this step: an invite sent later, or out of order with
    # another step's, still carries the right one, so calendars apply them in the right order.
    calendar_sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=BookingAction.values),
                name="placements_bookingevent_action_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(to_status__in=BookingStatus.values),
                name="placements_bookingevent_to_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.booking_id})"

    @property
    def actor_name(self) -> str:
        if self.actor_id:
            return self.actor.full_name or self.actor.email
        return self.actor_description


class CalendarFeed(models.Model):
    """A person's private calendar address. The token is the only secret; resetting it changes the URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar of {self.user}"


# --- What a participant is interested in, for recommendations -----------------------------------


class ParticipantInterests(models.Model):
    participant = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interests"
    )
    policy_areas = models.ManyToManyField(Theme, blank=True, related_name="+", verbose_name=_("policy areas"))
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    base_postcode = models.CharField(_("base postcode"), max_length=8, blank=True)
    learning_objective = models.TextField(_("learning objective"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "participant interests"

    def __str__(self) -> str:
        return f"Interests of {self.participant}"
