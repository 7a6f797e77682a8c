"""Turning reminders and digests off and on: the account page, and the link in every reminder
(which works without signing in, and by a mail client's one-click unsubscribe)."""

import datetime
import re
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connecting.accounts.services import user_reminders_set
from connecting.outbox import UNSUBSCRIBE_SALT, unsubscribe_token, unsubscribe_url
from tests.factories import ParticipantFactory, PartnerMembershipFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db
REMINDERS = reverse("accounts:reminders")
EARLIER = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _unsubscribe(user) -> str:
    return reverse("accounts:unsubscribe", kwargs={"token": unsubscribe_token(user)})


def _reminders_off_at(user):
    user.refresh_from_db()
    return user.reminders_off_at


def _checked(response) -> list[str]:
    return re.findall(r'<input[^>]*value="(\w+)"[^>]*checked', response.content.decode())


# --- The service ----------------------------------------------------------------------------------


def test_service_turns_reminders_off_then_on(db):
    person = ParticipantFactory()

    user_reminders_set(user=person, on=False)
    turned_off = _reminders_off_at(person)
    user_reminders_set(user=person, on=True)

    assert turned_off is not None
    assert abs(timezone.now() - turned_off) < datetime.timedelta(minutes=1)
    assert _reminders_off_at(person) is None


def test_service_turning_off_twice_keeps_the_first_time(db):
    person = ParticipantFactory(reminders_off_at=EARLIER)

    returned = user_reminders_set(user=person, on=False)

    assert (returned.reminders_off_at, _reminders_off_at(person)) == (EARLIER, EARLIER)


# --- The account page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory", [ParticipantFactory, ProgrammeTeamFactory, lambda: PartnerMembershipFactory().user]
)
def test_reminders_page_opens_for_every_role_with_the_current_choice(client, factory):
    person = factory()
    client.force_login(person)

    response = client.get(REMINDERS)

    html = response.content.decode()
    assert response.status_code == 200
    assert _checked(response) == ["on"]
    assert '<h1 class="govuk-fieldset__heading">' in html
    assert "Reminders and digests by e-mail" in html
    assert "Send me reminders" in html
    assert "Do not send me reminders" in html
    assert "Confirmations, cancellations and other essential e-mails are still sent." in html
    assert html.count('name="csrfmiddlewaretoken"') == 1


def test_reminders_page_turns_reminders_off_and_on(client):
    person = ParticipantFactory()
    client.force_login(person)

    off = client.post(REMINDERS, {"reminders": "off"}, follow=True)
    turned_off = _reminders_off_at(person)
    assert turned_off is not None
    assert off.redirect_chain == [(REMINDERS, 302)]
    assert _checked(off) == ["off"]
    assert "We will not send you reminders." in off.content.decode()

    client.post(REMINDERS, {"reminders": "off"})
    assert _reminders_off_at(person) == turned_off

    on = client.post(REMINDERS, {"reminders": "on"}, follow=True)
    assert _reminders_off_at(person) is None
    assert _checked(on) == ["on"]
    assert "We will send you reminders." in on.content.decode()


@pytest.mark.parametrize("data", [{}, {"reminders": "sometimes"}])
def test_reminders_page_without_a_choice_shows_the_error_and_changes_nothing(client, data):
    person = ParticipantFactory(reminders_off_at=EARLIER)
    client.force_login(person)

    response = client.post(REMINDERS, data)

    assert response.status_code == 400
    assert response.context["form"].errors == {"reminders": ["Select whether you want reminders"]}
    assert 'class="govuk-error-summary"' in response.content.decode()
    assert _reminders_off_at(person) == EARLIER


def test_reminders_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(REMINDERS)

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(REMINDERS)}",
    )
    assert client.post(REMINDERS, {"reminders": "off"}).status_code == 302


def test_profile_page_links_to_the_reminders_page(client):
    client.force_login(ParticipantFactory())

    html = client.get(reverse("accounts:profile")).content.decode()

    assert f'<a class="govuk-link" href="{REMINDERS}">Reminders and digests by e-mail</a>' in html


# --- The link in every reminder --------------------------------------------------------------------


def test_unsubscribe_url_in_emails_is_this_page(db):
    person = ParticipantFactory()

    assert unsubscribe_url(person) == f"http://testserver{_unsubscribe(person)}"
    assert _unsubscribe(person).startswith("/account/reminders/unsubscribe/")


def test_reminder_email_without_details_has_no_empty_table(db):
    """A debrief chaser has no details: its HTML part must not carry an empty table (a blank gap)."""
    from django.template.loader import render_to_string

    from placements.notifications import Notice

    def html(details):
        notice = Notice(
            to=["a@example.org"],
            subject="Reminder: your debrief",
            lines=["We have not yet had your debrief."],
            link_url="http://testserver/bookings/1/debrief/",
            link_label="Write your debrief",
            details=details,
        )
        return render_to_string("placements/email/booking_message.html", {"notice": notice})

    assert "<table" not in html([])
    with_details = html([("Partner", "St Columba's Hospice")])
    assert "<table" in with_details
    assert "St Columba&#x27;s Hospice</td>" in with_details


def test_unsubscribe_get_asks_and_changes_nothing(client):
    person = ParticipantFactory()

    response = client.get(_unsubscribe(person))

    html = response.content.decode()
    assert response.status_code == 200
    assert _reminders_off_at(person) is None
    assert '<h1 class="govuk-heading-l">Turn off reminders</h1>' in html
    assert re.findall(r'<input type="submit"[^>]*value="([^"]*)"', html) == ["Turn off reminders"]
    assert html.count('name="csrfmiddlewaretoken"') == 1


def test_unsubscribe_post_turns_reminders_off_without_signing_in(client):
    person = ParticipantFactory()

    response = client.post(_unsubscribe(person))

    html = response.content.decode()
    assert response.status_code == 200
    assert _reminders_off_at(person) is not None
    assert '<h1 class="govuk-panel__title">Reminders turned off</h1>' in html
    assert f'<a class="govuk-link" href="{REMINDERS}">reminders and digests</a>' in html


def test_unsubscribe_twice_keeps_the_first_time(client):
    person = ParticipantFactory()

    client.post(_unsubscribe(person))
    first = _reminders_off_at(person)
    second = client.post(_unsubscribe(person))

    assert second.status_code == 200
    assert _reminders_off_at(person) == first


def test_unsubscribe_one_click_post_without_csrf_token_works():
    person = ParticipantFactory()
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        _unsubscribe(person),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert _reminders_off_at(person) is not None


def test_unsubscribe_turns_off_the_tokens_owner_whoever_is_signed_in(client):
    owner, other = ParticipantFactory(), ParticipantFactory()
    client.force_login(other)

    client.post(_unsubscribe(owner))

    assert (_reminders_off_at(owner) is not None, _reminders_off_at(other)) == (True, None)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "tampered",
        signing.dumps({"u": 1}, salt="another.salt"),
        signing.dumps({"u": "1"}, salt=UNSUBSCRIBE_SALT),
        signing.dumps({"u": 2**40}, salt=UNSUBSCRIBE_SALT),
    ],
)
def test_unsubscribe_with_a_bad_token_is_404_and_changes_nothing(client, token):
    person = ParticipantFactory()
    if token == "tampered":
        real = unsubscribe_token(person)
        token = real[:-2] + ("aa" if not real.endswith("aa") else "bb")
    url = reverse("accounts:unsubscribe", kwargs={"token": token})

    assert (client.get(url).status_code, client.post(url).status_code) == (404, 404)
    assert _reminders_off_at(person) is None


def test_unsubscribe_for_a_deleted_account_is_404(client):
    person = ParticipantFactory()
    url = _unsubscribe(person)
    person.delete()

    assert (client.get(url).status_code, client.post(url).status_code) == (404, 404)
