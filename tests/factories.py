import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from connecting.accounts.models import Grade, Role, User
from partners.models import Partner, PartnerMembership, PartnerStatus, Region, Sector
from placements.models import (
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    Cohort,
    Duration,
    Enrolment,
    Opportunity,
    OpportunityStatus,
    Programme,
    Slot,
    Theme,
)

TEST_PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@dhsc.gov.uk")
    full_name = factory.Faker("name", locale="en_GB")
    job_title = "Policy adviser"
    organisation = "Department of Health and Social Care"
    directorate = "Adult Social Care"
    grade = Grade.G7
    role = Role.PARTICIPANT

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


class ParticipantFactory(UserFactory):
    role = Role.PARTICIPANT


class PartnerContactFactory(UserFactory):
    email = factory.Sequence(lambda n: f"contact{n}@trust.nhs.example.org")
    organisation = "Northbridge NHS Trust"
    role = Role.PARTNER_CONTACT


class ProgrammeTeamFactory(UserFactory):
    """A programme-team member with TOTP on, as the portal requires; `totp_secret` is kept for tests."""

    email = factory.Sequence(lambda n: f"team{n}@dhsc.gov.uk")
    role = Role.PROGRAMME_TEAM

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        if create and extracted is not False:
            self.totp_secret = generate_totp_secret()
            TOTP.activate(self, self.totp_secret)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner organisation {n:03d}")
    sector = Sector.ACUTE_NHS_TRUST
    region = Region.NORTH_WEST
    status = PartnerStatus.ACTIVE


class PartnerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerMembership

    partner = factory.SubFactory(PartnerFactory)
    user = factory.SubFactory(PartnerContactFactory)
    is_admin = False


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    owner_organisation = "Department of Health and Social Care"
    starts_on = factory.Faker("date_this_year")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.SubFactory(ProgrammeFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    starts_on = datetime.date(2026, 9, 1)
    ends_on = datetime.date(2027, 7, 31)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    programme = factory.SubFactory(ProgrammeFactory)
    participant = factory.SubFactory(ParticipantFactory)


class ThemeFactory(factory.django.DjangoModelFactory):
    """The migration seeds the real taxonomy; tests that need their own themes make them here."""

    class Meta:
        model = Theme
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Test policy area {n}")
    slug = factory.Sequence(lambda n: f"test-policy-area-{n}")


class OpportunityFactory(factory.django.DjangoModelFactory):
    """A published opportunity of an active partner, in one programme."""

    class Meta:
        model = Opportunity
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"A day with team {n}")
    summary = "Spend a day alongside the team and see how the service works."
    what_you_will_do = "Shadow the team lead, join the morning huddle and meet patients."
    duration = Duration.DAY
    host_name = "Sam Host"
    host_email = factory.Sequence(lambda n: f"host{n}@trust.nhs.example.org")
    status = OpportunityStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def programmes(self, create, extracted, **kwargs):
        if create:
            self.programmes.set(extracted if extracted is not None else [ProgrammeFactory()])

    @factory.post_generation
    def policy_areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.policy_areas.set(extracted)


def _in_days(days: int, hour: int) -> datetime.datetime:
    local_day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(local_day, datetime.time(hour)))


class SlotFactory(factory.django.DjangoModelFactory):
    """A day-long slot about a month ahead, comfortably outside any notice period."""

    class Meta:
        model = Slot

    class Params:
        days_ahead = 30

    opportunity = factory.SubFactory(OpportunityFactory)
    starts_at = factory.LazyAttribute(lambda o: _in_days(o.days_ahead, 9))
    ends_at = factory.LazyAttribute(lambda o: _in_days(o.days_ahead, 17))
    capacity = 4


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking row as it would stand; it does not move `places_held` (services do that)."""

    class Meta:
        model = Booking

    slot = factory.SubFactory(SlotFactory)
    participant = factory.SubFactory(ParticipantFactory)
    programme = factory.LazyAttribute(lambda o: o.slot.opportunity.programmes.first())
    status = BookingStatus.REQUESTED


def totp_code_for(user) -> str:
    """The code the user's authenticator app would show now."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(user.totp_secret, counters[len(counters) // 2]))


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class BookingEventFactory(factory.django.DjangoModelFactory):
    """One step of a booking's history, written directly (services record their own)."""

    class Meta:
        model = BookingEvent

    booking = factory.SubFactory(BookingFactory)
    action = BookingAction.REQUESTED
    from_status = ""
    to_status = BookingStatus.REQUESTED
    actor = factory.LazyAttribute(lambda o: o.booking.participant)


# --- Before and after a visit ----------------------------------------------------------------------


class PastVisitFactory(BookingFactory):
    """A confirmed booking whose visit (a day, three days ago) has happened."""

    slot = factory.SubFactory(SlotFactory, days_ahead=-3)
    status = BookingStatus.CONFIRMED


class PreparationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "debriefs.Preparation"

    booking = factory.SubFactory(BookingFactory, status=BookingStatus.CONFIRMED)
    objectives = "Understand how discharge decisions are made at the weekend."
    questions = "What stops a patient going home on a Saturday?"


class DebriefFactory(factory.django.DjangoModelFactory):
    """A draft debrief of a visit that happened; pass status (and submitted_at) for later states."""

    class Meta:
        model = "debriefs.Debrief"

    booking = factory.SubFactory(PastVisitFactory, status=BookingStatus.ATTENDED)
    what_i_saw = "The discharge hub's morning huddle and two ward rounds."
    what_i_learnt = "Most delays start with waiting for a care package, not with the ward."
    what_works = "A single daily huddle with social care in the room."
    what_does_not_work = "Funding decisions that wait for a weekly panel."
    policy_implications = "Guidance should let trusts commission short-term care directly."
    usefulness = 4
    submitted_at = factory.LazyAttribute(lambda o: None if o.status == "draft" else timezone.now())
    status = "draft"


class PartnerFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "debriefs.PartnerFeedback"

    booking = factory.SubFactory(PastVisitFactory, status=BookingStatus.ATTENDED)
    visitor_prepared = "yes"
    value_to_partner = 4
    would_host_again = "yes"
    comments = "Asked good questions and listened to the team."


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """An e-mail waiting in the outbox; pass status (and sent_at for "sent") for later states."""

    class Meta:
        model = "connecting.OutboxMessage"

    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    kind = "booking_confirmed"
    to = factory.LazyFunction(lambda: ["person@dhsc.gov.uk"])
    subject = factory.Sequence(lambda n: f"Connecting: message {n}")
    body_text = "Your visit is confirmed."
    body_html = "<p>Your visit is confirmed.</p>"
    sent_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == "sent" else None)
    status = "pending"


def insight_of(debrief, *, title: str = "Discharge lounge", published_at=None, partner=None):
    """The library's insight of `debrief`, its partner, programme and visit copied from the booking
    as publishing copies them (`partner` overrides the visit's)."""
    from debriefs.models import Insight

    booking = debrief.booking
    partner = partner or booking.slot.opportunity.partner
    return Insight.objects.create(
        debrief=debrief,
        title=title,
        body="What the visit taught us.",
        partner=partner,
        programme=booking.programme,
        sector=partner.sector,
        region=partner.region,
        visited_on=timezone.localdate(booking.slot.starts_at),
        published_at=published_at or timezone.now(),
    )
