import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from connecting.accounts.models import Grade, Role, User
from partners.models import Partner, PartnerMembership, PartnerStatus, Region, Sector
from placements.models import Programme

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


def totp_code_for(user) -> str:
    """The code the user's authenticator app would show now."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(user.totp_secret, counters[len(counters) // 2]))


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
