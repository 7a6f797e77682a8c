import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command

from connecting import demo
from connecting.accounts.models import Role, User
from partners.models import Partner, PartnerMembership, Sector
from placements.models import Programme

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "programmes": Programme.objects.count(),
        "partners": Partner.objects.count(),
        "users": User.objects.count(),
        "memberships": PartnerMembership.objects.count(),
        "authenticators": Authenticator.objects.count(),
    }


def test_demo_data_builds_the_programme_world_and_is_idempotent():
    call_command("demo_data")
    first = _counts()
    call_command("demo_data")

    assert _counts() == first
    assert first["programmes"] == 2
    assert first["partners"] == 12
    assert first["memberships"] == 13
    roles = dict(
        User.objects.values_list("role").annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count("pk")
        )
    )
    assert roles == {Role.PARTICIPANT: 8, Role.PARTNER_CONTACT: 13, Role.PROGRAMME_TEAM: 1}
    assert User.objects.filter(role=Role.PARTICIPANT).values("directorate").distinct().count() >= 5
    assert {Sector.ACUTE_NHS_TRUST, Sector.HOSPICE, Sector.LOCAL_AUTHORITY, Sector.POLICE, Sector.CARE_HOME,
            Sector.CHARITY, Sector.PRIMARY_CARE} <= set(Partner.objects.values_list("sector", flat=True))  # fmt: skip


def test_demo_accounts_can_sign_in_with_the_printed_password(client):
    call_command("demo_data")

    assert client.login(email=demo.PARTICIPANTS[0].email, password=demo.DEMO_PASSWORD)


def test_demo_data_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError):
        call_command("demo_data")
    assert User.objects.count() == 0


def test_demo_data_gives_every_partner_opportunities_with_slots_over_three_months():
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from placements.models import Booking, Enrolment, Opportunity, Slot

    call_command("demo_data")
    first = (
        Opportunity.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        Enrolment.objects.count(),
    )
    call_command("demo_data")

    assert (
        Opportunity.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        Enrolment.objects.count(),
    ) == first
    per_partner = dict(Partner.objects.annotate(n=Count("opportunities")).values_list("name", "n"))
    assert set(per_partner) == {p.name for p in demo.PARTNERS}
    assert all(1 <= n <= 4 for n in per_partner.values()), per_partner
    span = Slot.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    today = timezone.localdate()
    assert today < timezone.localdate(span["first"]) <= today + timezone.timedelta(days=28)
    assert 70 <= (timezone.localdate(span["last"]) - today).days <= 100
    assert Partner.objects.exclude(postcode="").count() == 12
    assert first[2] >= 1  # some requests wait on partner dashboards
