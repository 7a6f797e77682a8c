import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import TEST_PASSWORD, ParticipantFactory, PartnerContactFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")


def test_login_with_right_password_lands_on_the_role_home(client):
    ParticipantFactory(email="aisha@dhsc.gov.uk")

    response = client.post(LOGIN_URL, {"login": "aisha@dhsc.gov.uk", "password": TEST_PASSWORD})

    assert response["Location"] == reverse("accounts:participant_home")


@pytest.mark.parametrize("login", ["aisha@dhsc.gov.uk", "nobody@dhsc.gov.uk"])
def test_login_with_wrong_password_or_unknown_email_gives_the_same_clear_error(client, login):
    ParticipantFactory(email="aisha@dhsc.gov.uk")

    response = client.post(LOGIN_URL, {"login": login, "password": "not-the-password"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Enter a correct e-mail address and password"]
    assert "There is a problem" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_rate_limited_after_repeated_failures_even_with_the_right_password(client):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    for _ in range(5):
        client.post(LOGIN_URL, {"login": "aisha@dhsc.gov.uk", "password": "wrong-guess"})

    response = client.post(LOGIN_URL, {"login": "aisha@dhsc.gov.uk", "password": TEST_PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Too many failed login attempts. Try again later."]
    assert "_auth_user_id" not in client.session


def test_partner_contact_signs_in_with_an_emailed_code_and_no_password(
    client, django_capture_on_commit_callbacks
):
    PartnerContactFactory(email="host@trust.nhs.example.org", password="!unusable-not-known-to-anyone")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": "host@trust.nhs.example.org"})
    code = re.search(r"^\s*([A-Z0-9]{3,4}-?[A-Z0-9]{3,4})\s*$", mail.outbox[0].body, re.MULTILINE).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert response["Location"] == reverse("partners:dashboard")
    assert client.session["_auth_user_id"]


def test_login_code_that_is_wrong_does_not_sign_in(client):
    PartnerContactFactory(email="host@trust.nhs.example.org")
    client.post(reverse("account_request_login_code"), {"email": "host@trust.nhs.example.org"})

    response = client.post(reverse("account_confirm_login_code"), {"code": "WRONG1"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Incorrect code."]}
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_to_a_known_address_only(client, django_capture_on_commit_callbacks):
    ParticipantFactory(email="aisha@dhsc.gov.uk")

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": "aisha@dhsc.gov.uk"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@dhsc.gov.uk"})

    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    assert [m.to for m in mail.outbox if "password" in m.subject.lower()][0] == ["aisha@dhsc.gov.uk"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_reset_works_for_partner_contacts_outside_the_signup_domains(
    client, django_capture_on_commit_callbacks
):
    PartnerContactFactory(email="host@trust.nhs.example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "host@trust.nhs.example.org"})

    assert response["Location"] == reverse("account_reset_password_done")
    assert [m.to for m in mail.outbox] == [["host@trust.nhs.example.org"]]


def test_participant_cannot_change_email_to_a_disallowed_domain(client):
    participant = ParticipantFactory(email="aisha@dhsc.gov.uk")
    client.force_login(participant)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "aisha@gmail.com"})

    assert "email" in response.context["form"].errors
    assert list(participant.emailaddress_set.values_list("email", flat=True)) == ["aisha@dhsc.gov.uk"]


def test_participant_can_change_email_to_another_allowed_address(client):
    participant = ParticipantFactory(email="aisha@dhsc.gov.uk")
    client.force_login(participant)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "aisha@cabinetoffice.gov.uk"}
    )

    assert response.status_code == 302
    assert sorted(participant.emailaddress_set.values_list("email", "verified")) == [
        ("aisha@cabinetoffice.gov.uk", False),
        ("aisha@dhsc.gov.uk", True),
    ]


def test_partner_contact_can_change_email_to_any_domain(client):
    contact = PartnerContactFactory(email="host@trust.nhs.example.org")
    client.force_login(contact)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "host@newtrust.nhs.example.org"}
    )

    assert response.status_code == 302
    assert contact.emailaddress_set.filter(email="host@newtrust.nhs.example.org").exists()


def test_single_sign_on_button_appears_only_when_configured(client, settings):
    assert "Sign in with Microsoft Entra ID" not in client.get(LOGIN_URL).content.decode()

    settings.OIDC_ENABLED = True
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "entra",
                    "name": "Microsoft Entra ID",
                    "client_id": "client-id",
                    "secret": "client-secret",
                    "settings": {"server_url": "https://login.example.org/tenant/v2.0"},
                }
            ]
        }
    }

    html = client.get(LOGIN_URL).content.decode()
    assert "Sign in with Microsoft Entra ID" in html
    assert 'href="/accounts/oidc/entra/login/' in html


def test_sign_out_ends_the_session(client):
    participant = ParticipantFactory()
    client.force_login(participant)

    confirm = client.get(reverse("account_logout"))
    response = client.post(reverse("account_logout"))

    assert confirm.status_code == 200
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:participant_home"))["Location"].startswith(reverse("account_login"))
