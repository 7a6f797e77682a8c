"""Sessions end after SESSION_IDLE_SECONDS idle and SESSION_MAX_SECONDS in all; a password change
or reset ends every other session."""

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from connecting.middleware import (
    SESSION_ACTIVITY_KEY,
    SESSION_ACTIVITY_RESOLUTION_SECONDS,
    SESSION_STARTED_KEY,
)
from tests.factories import TEST_PASSWORD, ParticipantFactory, ProgrammeTeamFactory, totp_code_for

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:participant_home")
LOGIN = reverse("account_login")
NEW_PASSWORD = "a-brand-new-password-77"


def _signed_in(client, *, idle: int = 0, age: int = 0, user=None):
    """Sign a participant in, then wind the session's clocks back: `idle` seconds since the last
    request, `age` seconds since sign-in."""
    user = user or ParticipantFactory()
    client.force_login(user)
    now = int(time.time())
    session = client.session
    session[SESSION_STARTED_KEY] = now - max(age, idle)
    session[SESSION_ACTIVITY_KEY] = now - idle
    session.save()
    return user


def _banner(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_session_idle_for_longer_than_the_limit_is_signed_out_and_sent_to_sign_in(client):
    _signed_in(client, idle=30 * 60 + 1)

    response = client.get(HOME)

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={HOME}")
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"])
    assert _banner(login_page) == [
        "You were signed out because you had not used Connecting for 30 minutes. Sign in again to continue."
    ]


def test_a_session_idle_for_just_under_the_limit_carries_on_and_its_clock_restarts(client):
    _signed_in(client, idle=30 * 60 - 5)
    before = int(time.time())

    response = client.get(HOME)

    assert response.status_code == 200
    assert client.session[SESSION_ACTIVITY_KEY] >= before


def _session_writes(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith('UPDATE "django_session"')]


def test_a_request_within_a_minute_of_the_last_stamp_writes_no_session(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _signed_in(client, idle=SESSION_ACTIVITY_RESOLUTION_SECONDS - 5)
    stamp = client.session[SESSION_ACTIVITY_KEY]

    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200

    assert (_session_writes(captured), client.session[SESSION_ACTIVITY_KEY]) == ([], stamp)


def test_a_request_a_minute_after_the_last_stamp_restamps_the_session(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _signed_in(client, idle=SESSION_ACTIVITY_RESOLUTION_SECONDS)
    before = int(time.time())

    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200

    assert len(_session_writes(captured)) == 1
    assert client.session[SESSION_ACTIVITY_KEY] >= before


def test_a_busy_session_still_ends_after_the_hard_limit(client):
    _signed_in(client, idle=10, age=12 * 60 * 60 + 1)

    response = client.get(HOME)

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={HOME}")
    assert _banner(client.get(response["Location"])) == [
        "You were signed out because you had been signed in for 12 hours. Sign in again to continue."
    ]
    assert client.get(HOME).status_code == 302


def test_the_limits_come_from_settings(client, settings):
    settings.SESSION_IDLE_SECONDS = 60
    settings.SESSION_MAX_SECONDS = 90 * 60
    _signed_in(client, idle=61)

    response = client.get(HOME)

    assert _banner(client.get(response["Location"])) == [
        "You were signed out because you had not used Connecting for 1 minute. Sign in again to continue."
    ]
    _signed_in(client, idle=5, age=90 * 60 + 1)
    response = client.get(HOME)
    assert _banner(client.get(response["Location"])) == [
        "You were signed out because you had been signed in for 90 minutes. Sign in again to continue."
    ]


def test_an_expired_post_is_not_acted_on(client):
    participant = _signed_in(client, idle=30 * 60 + 1)

    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Changed", "job_title": "x", "organisation": "x", "directorate": "x", "grade": "G7"},
    )

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/")
    participant.refresh_from_db()
    assert participant.full_name != "Changed"


def test_signing_in_starts_both_clocks(client):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    before = int(time.time())

    client.post(LOGIN, {"login": "aisha@dhsc.gov.uk", "password": TEST_PASSWORD})

    started, last = client.session[SESSION_STARTED_KEY], client.session[SESSION_ACTIVITY_KEY]
    assert before <= started == last <= int(time.time())


def test_a_session_signed_in_by_the_test_client_has_its_clocks_started(client):
    before = int(time.time())

    client.force_login(ParticipantFactory())

    started, last = client.session[SESSION_STARTED_KEY], client.session[SESSION_ACTIVITY_KEY]
    assert before <= started == last <= int(time.time())


def test_signing_in_with_an_authenticator_starts_the_clocks_only_once_signed_in(client):
    member = ProgrammeTeamFactory()

    client.post(LOGIN, {"login": member.email, "password": TEST_PASSWORD})
    assert SESSION_STARTED_KEY not in client.session  # half-way: the code is still to come
    client.post(reverse("mfa_authenticate"), {"code": totp_code_for(member)})

    assert client.session["_auth_user_id"] == str(member.pk)
    assert client.session[SESSION_STARTED_KEY] >= int(time.time()) - 5


def test_a_session_signed_in_again_after_expiry_starts_afresh(client):
    participant = _signed_in(client, idle=30 * 60 + 1)
    client.get(HOME)

    client.post(LOGIN, {"login": participant.email, "password": TEST_PASSWORD})

    assert client.get(HOME).status_code == 200


def test_anonymous_visitors_get_no_session_clocks(client):
    client.get(reverse("privacy"))

    assert SESSION_STARTED_KEY not in client.session


def test_a_password_change_keeps_this_session_and_ends_the_others():
    participant = ParticipantFactory()
    here, elsewhere = Client(), Client()
    here.force_login(participant)
    elsewhere.force_login(participant)
    assert elsewhere.get(HOME).status_code == 200

    changed = here.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    participant.refresh_from_db()
    assert participant.check_password(NEW_PASSWORD)
    assert here.get(HOME).status_code == 200
    signed_out = elsewhere.get(HOME)
    assert (signed_out.status_code, signed_out["Location"]) == (302, f"{LOGIN}?next={HOME}")
    assert "_auth_user_id" not in elsewhere.session


def test_a_password_reset_ends_every_session_and_signs_nobody_in(django_capture_on_commit_callbacks):
    participant = ParticipantFactory(email="aisha@dhsc.gov.uk")
    signed_in, resetting = Client(), Client()
    signed_in.force_login(participant)
    with django_capture_on_commit_callbacks(execute=True):
        resetting.post(reverse("account_reset_password"), {"email": "aisha@dhsc.gov.uk"})
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_url = resetting.get(link)["Location"]

    done = resetting.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done["Location"] == reverse("account_reset_password_from_key_done")
    participant.refresh_from_db()
    assert participant.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in resetting.session
    assert signed_in.get(HOME).status_code == 302
    assert "_auth_user_id" not in signed_in.session
