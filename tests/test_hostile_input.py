"""Malformed and hostile input gets a clear form error or a safe redirect: never a 500, never a partial write."""

import pytest
from django.urls import reverse

from connecting.accounts.models import User
from partners import services
from partners.models import PartnerInvitation
from tests.factories import TEST_PASSWORD, ParticipantFactory, PartnerFactory, ProgrammeTeamFactory
from tests.support import invitation_token_from

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "\x00",
    "a\x00b@dhsc.gov.uk",
    "x" * 10_000,
    "<script>alert(1)</script>",
    "'; DROP TABLE accounts_user; --",
    "\u202eevil\u202c@dhsc.gov.uk",
    "😀@dhsc.gov.uk",
    " ",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_signup_with_hostile_values_in_every_field_answers_with_form_errors(client, value):
    data = dict.fromkeys(("email", "full_name", "job_title", "organisation", "directorate", "grade"), value)
    data.update(password1=value, password2=value)

    response = client.post(reverse("account_signup"), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_invitation_acceptance_with_hostile_values_creates_nothing(
    client, value, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(
            partner=PartnerFactory(), email="host@hospice.example.org", invited_by=None
        )

    response = client.post(
        reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])]),
        {"full_name": value, "job_title": value, "password1": value, "password2": value + "x"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors
    assert User.objects.count() == 0
    assert PartnerInvitation.objects.get().accepted_at is None


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_invite_form_with_hostile_email_sends_nothing(client, value, mailoutbox):
    partner = PartnerFactory()
    client.force_login(ProgrammeTeamFactory())

    response = client.post(reverse("partners:invite", args=[partner.pk]), {"email": value, "is_admin": value})

    assert response.status_code == 400
    assert (PartnerInvitation.objects.count(), mailoutbox) == (0, [])


@pytest.mark.parametrize("partner_id", ["0", "999999999", "-1", "abc", "1.5", "%00"])
def test_partner_urls_with_odd_ids_answer_404(client, partner_id):
    client.force_login(ProgrammeTeamFactory())

    assert client.get(f"/partners/{partner_id}/").status_code == 404


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example"]
)
def test_login_never_redirects_off_site(client, target):
    participant = ParticipantFactory()

    response = client.post(
        reverse("account_login"), {"login": participant.email, "password": TEST_PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:participant_home")
