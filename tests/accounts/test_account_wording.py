"""allauth's account pages in GOV.UK words: sentence-case headings and buttons, labels without
colons, messages that say what to enter, and no way out of the two-factor step but "Cancel"."""

import re

import pytest
from django.core import mail
from django.template import Context, Template
from django.template.base import Origin
from django.urls import reverse

from tests.factories import (
    TEST_PASSWORD,
    ParticipantFactory,
    PartnerContactFactory,
    ProgrammeTeamFactory,
    totp_code_for,
)
from tests.test_form_csrf import _assert_one_token_per_post_form

pytestmark = pytest.mark.django_db


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index('<main class="govuk-main-wrapper"') : html.index("</main>")]


def _wording(response) -> dict:
    """What a reader of the page's main part sees as headings, labels and buttons, in page order."""
    main = _main(response)
    return {
        "h1": [_text(h) for h in re.findall(r"<h1\b.*?</h1>", main, re.S)],
        "labels": [_text(label) for label in re.findall(r"<label\b.*?</label>", main, re.S)],
        "buttons": [
            _text(b) for b in re.findall(r'<button\b.*?</button>|<a\b[^>]*role="button".*?</a>', main, re.S)
        ],
    }


def _error_summary(response) -> list[str]:
    main = _main(response)
    summary = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', main, re.S)
    return [_text(item) for item in re.findall(r"<li>.*?</li>", summary.group(1), re.S)] if summary else []


def _navigation(response) -> list[str]:
    """The menu's links; no menu at all (not even an empty one with its toggle) reads as []."""
    found = re.search(r'<nav aria-label="Menu".*?</nav>', response.content.decode(), re.S)
    if found is None:
        return []
    nav = found.group(0)
    return [_text(a) for a in re.findall(r'<a class="govuk-service-navigation__link".*?</a>', nav, re.S)]


def _signed_in_participant(client):
    participant = ParticipantFactory(email="aisha@dhsc.gov.uk")
    client.force_login(participant)
    return participant


def _reauthenticated_participant(client):
    """A participant who has just typed their password again, as allauth asks before MFA changes."""
    participant = _signed_in_participant(client)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    return participant


def _at_the_two_factor_step(client):
    member = ProgrammeTeamFactory()
    response = client.post(reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    return member


# --- Signing in and creating an account --------------------------------------------------------


def test_login_page_wording(client):
    assert _wording(client.get(reverse("account_login"))) == {
        "h1": ["Sign in"],
        "labels": ["E-mail address", "Password"],
        "buttons": ["Sign in", "E-mail me a sign-in code"],
    }


def test_login_with_wrong_password_says_what_to_enter_once_in_govuk_style(client):
    ParticipantFactory(email="aisha@dhsc.gov.uk")

    response = client.post(
        reverse("account_login"), {"login": "aisha@dhsc.gov.uk", "password": "wrong-guess"}
    )

    assert _error_summary(response) == ["Enter a correct e-mail address and password"]
    main = _main(response)
    assert main.count("Enter a correct e-mail address and password") == 1
    assert "alert-danger" not in main


def test_login_empty_says_what_to_enter(client):
    response = client.post(reverse("account_login"), {})

    assert _error_summary(response) == ["Enter your e-mail address", "Enter your password"]


def test_signup_page_wording(client):
    assert _wording(client.get(reverse("account_signup"))) == {
        "h1": ["Create an account"],
        "labels": [
            "Work e-mail address",
            "Full name",
            "Job title",
            "Department or organisation",
            "Directorate or team",
            "Grade",
            "Password",
            "Confirm password",
        ],
        "buttons": ["Create account"],
    }


def test_signup_with_different_passwords_gives_one_plain_message(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.person@dhsc.gov.uk",
            "full_name": "New Person",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD + "x",
        },
    )

    assert response.context["form"].errors == {"password2": ["Enter the same password twice"]}


def test_request_login_code_page_wording_and_empty_message(client):
    url = reverse("account_request_login_code")

    assert _wording(client.get(url)) == {
        "h1": ["Get a sign-in code"],
        "labels": ["E-mail address"],
        "buttons": ["Send me a code"],
    }
    assert _error_summary(client.post(url, {})) == ["Enter your e-mail address"]


def test_confirm_login_code_page_wording_and_empty_message(client):
    PartnerContactFactory(email="host@trust.nhs.example.org")
    client.post(reverse("account_request_login_code"), {"email": "host@trust.nhs.example.org"})
    url = reverse("account_confirm_login_code")

    assert _wording(client.get(url)) == {
        "h1": ["Enter your sign-in code"],
        "labels": ["Sign-in code"],
        "buttons": ["Confirm", "Cancel"],
    }
    assert _error_summary(client.post(url, {"code": ""})) == ["Enter the sign-in code from the e-mail"]


def test_logout_page_wording(client):
    _signed_in_participant(client)

    assert _wording(client.get(reverse("account_logout"))) == {
        "h1": ["Sign out"],
        "labels": [],
        "buttons": ["Sign out"],
    }


# --- Passwords -----------------------------------------------------------------------------------


def test_password_change_page_wording(client):
    _signed_in_participant(client)

    assert _wording(client.get(reverse("account_change_password"))) == {
        "h1": ["Change your password"],
        "labels": ["Current password", "New password", "Confirm new password"],
        "buttons": ["Change password"],
    }


def test_password_change_empty_says_what_to_enter_in_each_box(client):
    _signed_in_participant(client)

    response = client.post(reverse("account_change_password"), {})

    assert response.context["form"].errors == {
        "oldpassword": ["Enter your current password"],
        "password1": ["Enter a new password"],
        "password2": ["Enter the new password again"],
    }
    assert _error_summary(response) == [
        "Enter your current password",
        "Enter a new password",
        "Enter the new password again",
    ]
    assert "This field is required." not in response.content.decode()


def test_password_change_with_wrong_current_or_different_new_passwords(client):
    participant = _signed_in_participant(client)

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "not-my-password",
            "password1": "a-new-long-password-7",
            "password2": "another-one-8",
        },
    )

    assert response.context["form"].errors == {
        "oldpassword": ["Your current password is not correct"],
        "password2": ["Enter the same password twice"],
    }
    participant.refresh_from_db()
    assert participant.check_password(TEST_PASSWORD)


def test_password_set_page_wording_for_an_account_without_a_password(client):
    contact = PartnerContactFactory()
    contact.set_unusable_password()
    contact.save()
    client.force_login(contact)
    url = reverse("account_set_password")

    assert _wording(client.get(url)) == {
        "h1": ["Set a password"],
        "labels": ["Password", "Confirm password"],
        "buttons": ["Set password"],
    }
    assert client.post(url, {}).context["form"].errors == {
        "password1": ["Enter a password"],
        "password2": ["Enter the password again"],
    }


def test_password_reset_page_wording_and_empty_message(client):
    url = reverse("account_reset_password")

    assert _wording(client.get(url)) == {
        "h1": ["Reset your password"],
        "labels": ["E-mail address"],
        "buttons": ["Send reset link"],
    }
    assert _error_summary(client.post(url, {})) == ["Enter your e-mail address"]


def test_password_reset_link_pages_wording(client, django_capture_on_commit_callbacks):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("account_reset_password"), {"email": "aisha@dhsc.gov.uk"}, follow=True)
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)

    choose = client.get(link, follow=True)
    expired = client.get(reverse("account_reset_password_from_key", args=["1", "not-a-key"]))

    assert _wording(done)["h1"] == ["Check your e-mail"]
    assert _wording(choose) == {
        "h1": ["Choose a new password"],
        "labels": ["New password", "Confirm new password"],
        "buttons": ["Change password"],
    }
    assert client.post(choose.redirect_chain[-1][0], {}).context["form"].errors == {
        "password1": ["Enter a new password"],
        "password2": ["Enter the new password again"],
    }
    assert _wording(expired)["h1"] == ["This link has expired"]


def test_reauthenticate_page_wording_and_empty_message(client):
    _signed_in_participant(client)
    url = reverse("account_reauthenticate")

    assert _wording(client.get(url)) == {
        "h1": ["Confirm it is you"],
        "labels": ["Password"],
        "buttons": ["Continue"],
    }
    assert _error_summary(client.post(url, {})) == ["Enter your password"]


# --- E-mail address ------------------------------------------------------------------------------


def test_email_page_wording(client):
    _signed_in_participant(client)

    response = client.get(reverse("account_email"))

    assert _wording(response) == {
        "h1": ["Change your e-mail address"],
        "labels": ["New e-mail address"],
        "buttons": ["Change e-mail address"],
    }
    assert re.findall(r"<dt[^>]*>(.*?)</dt>", _main(response)) == ["Current e-mail address"]


def test_email_page_while_a_change_waits_for_confirmation(client):
    _signed_in_participant(client)
    client.post(reverse("account_email"), {"action_add": "", "email": "aisha.khan@dhsc.gov.uk"})

    response = client.get(reverse("account_email"))

    assert re.findall(r"<dt[^>]*>(.*?)</dt>", _main(response)) == ["Current e-mail address", "Changing to"]
    assert _wording(response)["buttons"] == [
        "Send the link again",
        "Cancel the change",
        "Change e-mail address",
    ]


def test_email_change_empty_says_what_to_enter(client):
    _signed_in_participant(client)

    response = client.post(reverse("account_email"), {"action_add": ""})

    assert _error_summary(response) == ["Enter the new e-mail address"]


def test_allauth_field_element_drops_a_trailing_colon_from_its_label():
    template = Template(
        "{% load allauth %}{% element field id='id_email' name='email' type='email' %}"
        "{% slot label %} Change to: {% endslot %}{% endelement %}",
        origin=Origin(name="test.html", template_name="test.html"),
    )

    html = template.render(Context({}))

    assert re.findall(r"<label[^>]*>(.*?)</label>", html) == ["Change to"]


# --- Two-factor authentication -------------------------------------------------------------------


def test_mfa_index_wording(client):
    _signed_in_participant(client)

    response = client.get(reverse("mfa_index"))

    assert _wording(response) == {
        "h1": ["Two-factor authentication"],
        "labels": [],
        "buttons": ["Set up an authenticator app"],
    }
    assert [_text(h) for h in re.findall(r"<h2\b.*?</h2>", _main(response), re.S)] == [
        "Authenticator app",
        "Recovery codes",
    ]


def test_mfa_activate_page_wording_and_empty_message(client):
    _reauthenticated_participant(client)
    url = reverse("mfa_activate_totp")

    assert _wording(client.get(url)) == {
        "h1": ["Set up an authenticator app"],
        "labels": ["Secret key", "Authenticator code"],
        "buttons": ["Turn on two-factor authentication"],
    }
    assert _error_summary(client.post(url, {})) == ["Enter the code from your authenticator app"]


def test_mfa_authenticate_page_wording_and_empty_message(client):
    _at_the_two_factor_step(client)
    url = reverse("mfa_authenticate")

    assert _wording(client.get(url)) == {
        "h1": ["Two-factor authentication"],
        "labels": ["Authenticator code"],
        "buttons": ["Sign in", "Cancel"],
    }
    assert _error_summary(client.post(url, {"code": ""})) == ["Enter the code from your authenticator app"]


def test_mfa_reauthenticate_page_wording(client):
    member = ProgrammeTeamFactory()
    client.force_login(member)

    assert _wording(client.get(reverse("mfa_reauthenticate"))) == {
        "h1": ["Confirm it is you"],
        "labels": ["Authenticator code"],
        "buttons": ["Continue", "Use your password"],
    }


# --- Navigation during the two-factor step -------------------------------------------------------


def test_navigation_offers_no_sign_in_or_create_account_during_the_two_factor_step(client):
    assert _navigation(client.get(reverse("account_login"))) == ["Sign in", "Create an account"]
    member = _at_the_two_factor_step(client)

    response = client.get(reverse("mfa_authenticate"))

    assert response.context["service_navigation"] == []
    assert "govuk-service-navigation" not in response.content.decode()
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code_for(member)})
    assert _navigation(client.get(right["Location"])) == [
        "Programme dashboard",
        "Programmes",
        "Partners",
        "Opportunities",
        "Bookings",
        "Review",
        "Outbox",
        "Learning library",
        "Your account",
        "Sign out",
    ]


def test_navigation_comes_back_after_cancelling_the_two_factor_step(client):
    _at_the_two_factor_step(client)

    client.post(reverse("account_logout"), {"next": reverse("account_login")})

    assert _navigation(client.get(reverse("account_login"))) == ["Sign in", "Create an account"]


# --- One CSRF token per form on the allauth pages ------------------------------------------------


def test_allauth_form_pages_have_one_csrf_token_per_post_form(client):
    _assert_one_token_per_post_form(
        client,
        [
            reverse("account_login"),
            reverse("account_signup"),
            reverse("account_reset_password"),
            reverse("account_request_login_code"),
        ],
    )
    _signed_in_participant(client)
    client.post(reverse("account_email"), {"action_add": "", "email": "aisha.khan@dhsc.gov.uk"})
    _assert_one_token_per_post_form(
        client,
        [
            reverse("account_change_password"),
            reverse("account_email"),
            reverse("account_reauthenticate"),
            reverse("account_logout"),
        ],
    )
