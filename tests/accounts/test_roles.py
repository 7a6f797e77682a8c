import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from connecting.accounts.models import Role
from connecting.accounts.roles import (
    home_url_name,
    is_participant,
    is_partner_contact,
    is_programme_team,
)
from tests.factories import ParticipantFactory, PartnerContactFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


def test_role_predicates_give_each_person_exactly_their_role():
    people = {
        "participant": ParticipantFactory(),
        "partner_contact": PartnerContactFactory(),
        "programme_team": ProgrammeTeamFactory(),
        "anonymous": AnonymousUser(),
        "deactivated": ParticipantFactory(is_active=False),
    }

    table = {
        name: (is_participant(user), is_partner_contact(user), is_programme_team(user))
        for name, user in people.items()
    }

    assert table == {
        "participant": (True, False, False),
        "partner_contact": (False, True, False),
        "programme_team": (False, False, True),
        "anonymous": (False, False, False),
        "deactivated": (False, False, False),
    }


def test_home_url_name_sends_each_role_to_its_own_home():
    assert [
        home_url_name(ParticipantFactory()),
        home_url_name(PartnerContactFactory()),
        home_url_name(ProgrammeTeamFactory()),
    ] == ["accounts:participant_home", "partners:dashboard", "accounts:programme_home"]


def test_role_is_a_database_enforced_choice():
    from django.db import IntegrityError, transaction

    user = ParticipantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(role="superhero")


ROLE_PAGES = {
    "accounts:participant_home": {Role.PARTICIPANT},
    "accounts:programme_home": {Role.PROGRAMME_TEAM},
    "partners:dashboard": {Role.PARTNER_CONTACT},
    "partners:list": {Role.PROGRAMME_TEAM},
}
FACTORIES = {
    Role.PARTICIPANT: ParticipantFactory,
    Role.PARTNER_CONTACT: PartnerContactFactory,
    Role.PROGRAMME_TEAM: ProgrammeTeamFactory,
}


@pytest.mark.parametrize("url_name", sorted(ROLE_PAGES))
@pytest.mark.parametrize("role", list(Role))
def test_role_pages_answer_200_for_their_role_and_403_for_others(client, url_name, role):
    client.force_login(FACTORIES[role]())

    response = client.get(reverse(url_name))

    assert response.status_code == (200 if role in ROLE_PAGES[url_name] else 403)


# Pages an anonymous visitor may open. Everything else must send them to sign in.
PUBLIC_URL_NAMES = {"home", "privacy", "healthz"}
PUBLIC_PREFIXES = ("/accounts/", "/partners/invitations/", "/django-admin/login/")


def _all_urls_without_arguments():
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}"

    names = []
    for name in sorted(set(walk(get_resolver().url_patterns))):
        try:
            names.append((name, reverse(name)))
        except NoReverseMatch:  # needs arguments: covered by the object-level tests
            continue
    return names


def test_every_page_outside_the_public_list_sends_anonymous_visitors_to_sign_in(client):
    checked = []
    for name, url in _all_urls_without_arguments():
        if name in PUBLIC_URL_NAMES or url.startswith(PUBLIC_PREFIXES):
            continue
        response = client.get(url)
        checked.append(name)
        assert response.status_code == 302, (name, url, response.status_code)
        assert response["Location"].startswith(("/accounts/login/", "/django-admin/login/")), (
            name,
            response["Location"],
        )
    assert {
        "accounts:participant_home",
        "accounts:programme_home",
        "partners:list",
        "partners:dashboard",
    } <= set(checked)


def test_grant_programme_team_changes_the_role_of_an_existing_participant():
    from django.core.management import call_command

    participant = ParticipantFactory(email="lead@dhsc.gov.uk")

    call_command("grant_programme_team", "Lead@DHSC.gov.uk", "--staff")

    participant.refresh_from_db()
    assert (participant.role, participant.is_staff) == (Role.PROGRAMME_TEAM, True)


def test_grant_programme_team_refuses_unknown_addresses_and_partner_contacts():
    from django.core.management import CommandError, call_command

    from tests.factories import PartnerMembershipFactory

    contact = PartnerMembershipFactory().user
    with pytest.raises(CommandError, match="No account uses"):
        call_command("grant_programme_team", "nobody@dhsc.gov.uk")
    with pytest.raises(CommandError, match="acts for a partner organisation"):
        call_command("grant_programme_team", contact.email)
    contact.refresh_from_db()
    assert contact.role == Role.PARTNER_CONTACT
