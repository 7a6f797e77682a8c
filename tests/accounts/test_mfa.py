import pytest
from django.urls import reverse

from tests.factories import (
    TEST_PASSWORD,
    ParticipantFactory,
    ProgrammeTeamFactory,
    has_totp,
    totp_code_for,
)

pytestmark = pytest.mark.django_db


def test_programme_team_without_totp_is_sent_to_set_it_up_from_every_page(client):
    member = ProgrammeTeamFactory(totp=False)
    client.force_login(member)

    for url in (reverse("accounts:programme_home"), reverse("partners:list"), reverse("accounts:profile")):
        response = client.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, reverse("mfa_activate_totp"))


def test_programme_team_without_totp_can_still_reach_setup_and_sign_out(client):
    member = ProgrammeTeamFactory(totp=False)
    client.force_login(member)

    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200


def test_programme_team_activates_totp_and_then_reaches_the_dashboard(client):
    member = ProgrammeTeamFactory(totp=False)
    client.post(reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD})

    # allauth asks for the password again before a security change, even just after sign-in.
    first = client.get(reverse("mfa_activate_totp"))
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    member.totp_secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code_for(member)})

    assert response.status_code == 302
    assert has_totp(member)
    assert client.get(reverse("accounts:programme_home")).status_code == 200


def test_programme_team_sign_in_asks_for_the_authenticator_code(client):
    member = ProgrammeTeamFactory()

    response = client.post(reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code_for(member)})
    assert right["Location"] == reverse("accounts:programme_home")
    assert client.get(reverse("accounts:programme_home")).status_code == 200


def test_programme_team_sign_in_by_emailed_code_still_asks_for_the_authenticator(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    import re

    member = ProgrammeTeamFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": member.email})
    code = re.search(r"^\s*([A-Z0-9]{3,4}-?[A-Z0-9]{3,4})\s*$", mailoutbox[0].body, re.MULTILINE).group(1)

    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_participant_may_use_totp_but_is_not_forced_to(client):
    participant = ParticipantFactory()
    client.force_login(participant)

    assert client.get(reverse("accounts:participant_home")).status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code in (200, 302)


def test_django_admin_login_goes_through_allauth_so_mfa_applies(client):
    response = client.get("/django-admin/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_two_factor_post_without_a_code_field_is_asked_for_the_code_not_a_server_error(client):
    member = ProgrammeTeamFactory()
    client.post(reverse("account_login"), {"login": member.email, "password": TEST_PASSWORD})

    response = client.post(reverse("mfa_authenticate"), {})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session


def _every_view_address():
    """(view name, an address for it) for every named route, arguments filled with placeholders:
    the MFA check runs before the view, so the objects need not exist. A new view cannot escape it."""
    import uuid

    from django.urls import URLPattern, URLResolver, get_resolver

    samples = {"int": 1, "str": "x", "slug": "x", "uuid": uuid.uuid4(), "path": "x"}

    def converter_name(converter) -> str:
        name = type(converter).__name__.lower().removesuffix("converter")
        return name if name in samples else "str"

    def walk(patterns, namespace="", kwargs=None):
        for pattern in patterns:
            found = dict(kwargs or {})
            for key, converter in getattr(pattern.pattern, "converters", {}).items():
                found[key] = samples[converter_name(converter)]
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, ns, found)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}", found

    from django.urls import NoReverseMatch

    addresses = {}
    for name, kwargs in walk(get_resolver().url_patterns):
        try:
            addresses.setdefault(name, reverse(name, kwargs=kwargs))
        except NoReverseMatch:  # a regex route (the admin's app lists): tried with no arguments
            try:
                addresses.setdefault(name, reverse(name))
            except NoReverseMatch:
                continue
    return sorted(addresses.items())


def test_programme_team_without_totp_reaches_nothing_but_the_setup_on_any_address(client):
    from connecting.accounts.middleware import MFA_SETUP_VIEW_NAMES

    client.force_login(ProgrammeTeamFactory(totp=False, is_staff=True))
    setup = reverse("mfa_activate_totp")
    reached = []

    addresses = _every_view_address()
    for name, url in addresses:
        if name in MFA_SETUP_VIEW_NAMES:
            continue
        for method in (client.get, client.post):
            response = method(url)
            if (response.status_code, response.get("Location")) != (302, setup):
                reached.append((method.__name__, name, url, response.status_code))

    assert len(addresses) > 100
    assert {"admin:index", "review:export_debriefs", "reports:download", "healthz"} <= dict(addresses).keys()
    assert reached == []


# --- The TOTP check is read once a session, not on every request ----------------------------------


def _authenticator_queries(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if '"mfa_authenticator"' in query["sql"]]


def test_programme_team_s_totp_is_checked_at_sign_in_not_on_every_page(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(ProgrammeTeamFactory())

    with CaptureQueriesContext(connection) as captured:
        for url in (
            reverse("accounts:programme_home"),
            reverse("partners:list"),
            reverse("accounts:profile"),
        ):
            assert client.get(url).status_code == 200

    assert _authenticator_queries(captured) == []


def test_removing_the_authenticator_sends_the_session_back_to_set_it_up(client):
    from allauth.mfa.base.internal.flows import delete_and_cleanup
    from allauth.mfa.models import Authenticator
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    member = ProgrammeTeamFactory()
    client.force_login(member)
    assert client.get(reverse("accounts:programme_home")).status_code == 200

    # What allauth's "deactivate" does, in the same session.
    request = RequestFactory().post(reverse("mfa_deactivate_totp"))
    request.user, request.session = member, SessionStore(client.session.session_key)
    delete_and_cleanup(request, Authenticator.objects.get(user=member, type=Authenticator.Type.TOTP))
    request.session.save()

    response = client.get(reverse("accounts:programme_home"))
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))


def test_a_new_sign_in_checks_the_authenticator_afresh(client):
    from allauth.mfa.models import Authenticator

    member = ProgrammeTeamFactory()
    client.force_login(member)
    assert client.get(reverse("accounts:programme_home")).status_code == 200
    Authenticator.objects.filter(user=member).delete()  # e.g. from the Django admin

    client.force_login(member)

    response = client.get(reverse("accounts:programme_home"))
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))
