import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from connecting.accounts.forms import email_domain_is_allowed
from connecting.accounts.models import Role, User
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("account_signup")
GOOD_PASSWORD = "frontline-visits-2026"


def signup_data(**overrides) -> dict:
    data = {
        "email": "new.person@dhsc.gov.uk",
        "full_name": "New Person",
        "job_title": "Policy adviser",
        "organisation": "Department of Health and Social Care",
        "directorate": "Adult Social Care",
        "grade": "G7",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("someone@gov.uk", True),
        ("someone@dhsc.gov.uk", True),
        ("someone@DHSC.GOV.UK", True),
        ("someone@cabinetoffice.gov.uk.", True),
        ("someone@notgov.uk", False),
        ("someone@gov.uk.evil.example", False),
        ("someone@nhs.net", False),
        ("someone@gmail.com", False),
    ],
)
def test_email_domain_is_allowed_matches_whole_labels(email, allowed):
    assert email_domain_is_allowed(email) is allowed


def test_email_domain_is_allowed_follows_the_setting(settings):
    settings.SIGNUP_ALLOWED_EMAIL_DOMAINS = ["gov.scot"]
    assert [email_domain_is_allowed(e) for e in ("a@gov.scot", "a@dhsc.gov.uk")] == [True, False]


def test_signup_with_allowed_domain_creates_unverified_participant_and_sends_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert (user.email, user.full_name, user.role, user.directorate, user.grade) == (
        "new.person@dhsc.gov.uk",
        "New Person",
        Role.PARTICIPANT,
        "Adult Social Care",
        "G7",
    )
    assert list(EmailAddress.objects.values_list("email", "verified")) == [("new.person@dhsc.gov.uk", False)]
    assert [m.to for m in mail.outbox] == [["new.person@dhsc.gov.uk"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_signup_with_disallowed_domain_is_refused_on_the_field_and_creates_nothing(client):
    response = client.post(SIGNUP_URL, signup_data(email="host@trust.nhs.net"))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert "ending in gov.uk" in response.context["form"].errors["email"][0]
    content = response.content.decode()
    assert "There is a problem" in content
    assert '<a href="#id_email">' in content
    assert response.context["form"]["email"].value() == "host@trust.nhs.net"
    assert User.objects.count() == 0
    assert mail.outbox == []


def test_signup_error_summary_names_each_problem(client):
    response = client.post(
        SIGNUP_URL, signup_data(email="not-an-email", full_name="   ", password2="something-else-entirely")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert sorted(errors) == ["email", "full_name", "password2"]
    content = response.content.decode()
    summary = content[
        content.index("govuk-error-summary") : content.index("</ul>", content.index("govuk-error-summary"))
    ]
    assert re.findall(r'href="#(id_\w+)"', summary) == ["id_email", "id_full_name", "id_password2"]
    assert content.count("<title>Error: ") == 1
    assert errors["full_name"] == ["Enter your full name"]
    assert "placeholder=" not in content
    assert User.objects.count() == 0


def test_signup_with_nothing_filled_in_says_what_to_enter(client):
    response = client.post(SIGNUP_URL, {})

    assert response.context["form"].errors == {
        "email": ["Enter your work e-mail address"],
        "full_name": ["Enter your full name"],
        "password1": ["Enter a password"],
        "password2": ["Enter the password again"],
    }


def test_signup_with_existing_address_does_not_create_a_second_account(client):
    ParticipantFactory(email="taken@dhsc.gov.uk")

    client.post(SIGNUP_URL, signup_data(email="Taken@DHSC.gov.uk"))

    assert User.objects.filter(email__iexact="taken@dhsc.gov.uk").count() == 1


def test_signup_with_weak_password_is_refused(client):
    response = client.post(SIGNUP_URL, signup_data(password1="password", password2="password"))

    assert "password1" in response.context["form"].errors
    assert User.objects.count() == 0


def test_email_verification_link_verifies_and_allows_sign_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP_URL, signup_data())
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", mail.outbox[0].body).group(1)

    before = client.post(
        reverse("account_login"), {"login": "new.person@dhsc.gov.uk", "password": GOOD_PASSWORD}
    )
    assert before["Location"] == reverse("account_email_verification_sent")

    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    client.post(link)
    assert EmailAddress.objects.get().verified is True

    after = client.post(
        reverse("account_login"), {"login": "new.person@dhsc.gov.uk", "password": GOOD_PASSWORD}
    )
    assert after["Location"] == reverse("accounts:participant_home")


def test_email_verification_with_tampered_key_does_not_verify(client):
    client.post(SIGNUP_URL, signup_data())

    response = client.post("/accounts/confirm-email/not-a-real-key/")

    assert response.status_code in (200, 404)
    assert EmailAddress.objects.get().verified is False
