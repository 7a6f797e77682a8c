import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from connecting.accounts.models import Role, User
from partners import services
from partners.models import PartnerInvitation, PartnerMembership
from tests.factories import (
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
)
from tests.support import invitation_token_from

pytestmark = pytest.mark.django_db

PASSWORD = "hospice-visits-2026"


def accept_data(**overrides):
    return {
        "full_name": "Iona MacDonald",
        "job_title": "Director of Care",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


@pytest.fixture
def partner():
    return PartnerFactory(name="St Columba's Hospice")


def test_invite_stores_only_a_hash_and_emails_a_single_link(
    partner, django_capture_on_commit_callbacks, mailoutbox
):
    team = ProgrammeTeamFactory()

    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.partner_contact_invite(
            partner=partner, email="New.Host@Hospice.example.org", invited_by=team
        )

    assert invitation.email == "new.host@hospice.example.org"
    assert [m.to for m in mailoutbox] == [["new.host@hospice.example.org"]]
    token = invitation_token_from(mailoutbox[0])
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert mailoutbox[0].subject == "Connecting: You are invited to join St Columba's Hospice"
    assert "St Columba's Hospice" in mailoutbox[0].body
    assert mailoutbox[0].alternatives[0][1] == "text/html"
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)


def test_invite_is_not_sent_when_the_transaction_rolls_back(
    partner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.partner_contact_invite(partner=partner, email="host@hospice.example.org", invited_by=None)

    assert len(callbacks) == 1
    assert mailoutbox == []


def test_invite_refuses_an_address_with_a_participant_account(partner):
    ParticipantFactory(email="civil.servant@dhsc.gov.uk")

    with pytest.raises(ValidationError) as error:
        services.partner_contact_invite(partner=partner, email="civil.servant@dhsc.gov.uk", invited_by=None)

    assert error.value.message_dict == {
        "email": ["This e-mail address belongs to a participant account, which cannot act for a partner."]
    }
    assert PartnerInvitation.objects.count() == 0


def test_reinviting_revokes_the_earlier_link(client, partner, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="host@hospice.example.org", invited_by=None)
        services.partner_contact_invite(partner=partner, email="host@hospice.example.org", invited_by=None)
    old_token, new_token = invitation_token_from(mailoutbox[0]), invitation_token_from(mailoutbox[1])

    old = client.get(reverse("partners:invitation_accept", args=[old_token]))
    new = client.get(reverse("partners:invitation_accept", args=[new_token]))

    assert (old.status_code, new.status_code) == (410, 200)
    assert "This invitation is no longer valid" in old.content.decode()


def test_accepting_creates_a_verified_partner_contact_and_lands_on_the_dashboard(
    client, partner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(
            partner=partner, email="iona@hospice.example.org", invited_by=None, is_admin=True
        )
    url = reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])])

    page = client.get(url)
    assert page.status_code == 200
    assert "iona@hospice.example.org" in page.content.decode()

    response = client.post(url, accept_data())

    assert response["Location"] == reverse("partners:dashboard")
    user = User.objects.get(email="iona@hospice.example.org")
    assert (user.role, user.full_name, user.organisation) == (
        Role.PARTNER_CONTACT,
        "Iona MacDonald",
        "St Columba's Hospice",
    )
    assert list(EmailAddress.objects.filter(user=user).values_list("verified", "primary")) == [(True, True)]
    assert list(PartnerMembership.objects.values_list("partner__name", "user__email", "is_admin")) == [
        ("St Columba's Hospice", "iona@hospice.example.org", True)
    ]
    dashboard = client.get(reverse("partners:dashboard"))
    assert [p.name for p in dashboard.context["partners"]] == ["St Columba's Hospice"]
    client.logout()
    assert client.login(email="iona@hospice.example.org", password=PASSWORD)


def test_an_invitation_link_works_only_once(client, partner, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="iona@hospice.example.org", invited_by=None)
    url = reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])])
    client.post(url, accept_data())
    client.logout()

    again = client.post(url, accept_data(full_name="Someone Else"))

    assert again.status_code == 410
    assert "This invitation has already been used" in again.content.decode()
    assert (
        User.objects.filter(email="iona@hospice.example.org").values_list("full_name", flat=True).get()
        == "Iona MacDonald"
    )


def test_an_expired_invitation_is_refused_with_a_clear_message(
    client, partner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.partner_contact_invite(
            partner=partner, email="iona@hospice.example.org", invited_by=None
        )
    PartnerInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = client.post(
        reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])]), accept_data()
    )

    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "token", ["not-a-real-token", "x" * 300, "%00", "'; DROP TABLE partners_partner; --"]
)
def test_a_tampered_invitation_link_answers_404_without_an_error(client, token):
    response = client.get(f"/partners/invitations/{token}/")

    assert response.status_code == 404
    assert User.objects.count() == 0


def test_accepting_with_bad_input_shows_every_error_and_creates_nothing(
    client, partner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="iona@hospice.example.org", invited_by=None)
    url = reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])])

    response = client.post(url, {"full_name": "", "password1": "short", "password2": "different"})

    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["full_name", "password1", "password2"]
    assert "There is a problem" in response.content.decode()
    assert User.objects.count() == 0
    assert PartnerInvitation.objects.get().accepted_at is None


def test_partner_domains_cannot_self_sign_up(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "host@hospice.example.org",
            "full_name": "Host",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert "email" in response.context["form"].errors
    assert User.objects.count() == 0


def test_existing_partner_contact_accepts_while_signed_in(
    client, partner, django_capture_on_commit_callbacks, mailoutbox
):
    contact = PartnerMembershipFactory(user__email="host@trust.example.org").user
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="host@trust.example.org", invited_by=None)
    url = reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])])
    client.force_login(contact)

    assert client.get(url).status_code == 200
    response = client.post(url)

    assert response["Location"] == reverse("partners:dashboard")
    assert sorted(contact.partner_memberships.values_list("partner__name", flat=True)) == sorted(
        [partner.name, PartnerMembership.objects.exclude(partner=partner).get().partner.name]
    )


def test_someone_else_signed_in_cannot_use_the_invitation(
    client, partner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="iona@hospice.example.org", invited_by=None)
    client.force_login(PartnerContactFactory(email="intruder@elsewhere.example.org"))

    response = client.post(reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])]))

    assert response.status_code == 403
    assert PartnerMembership.objects.filter(partner=partner).count() == 0
    assert PartnerInvitation.objects.get().accepted_at is None


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_create_one_account(
    postgres, partner, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="iona@hospice.example.org", invited_by=None)
    token = invitation_token_from(mailoutbox[0])
    barrier = threading.Barrier(4)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            services.partner_invitation_accept_new_account(
                token=token, full_name="Iona", job_title="", password=PASSWORD
            )
            outcomes.append("created")
        except services.InvitationUnusable as problem:
            outcomes.append(problem.title)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["This invitation has already been used"] * 3 + ["created"]
    assert User.objects.filter(email="iona@hospice.example.org").count() == 1
    assert PartnerMembership.objects.count() == 1


class TestInvitePage:
    def test_programme_team_invites_from_the_partner_page(
        self, client, partner, django_capture_on_commit_callbacks, mailoutbox
    ):
        client.force_login(ProgrammeTeamFactory())

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("partners:invite", args=[partner.pk]), {"email": "host@hospice.example.org"}
            )

        assert response["Location"] == reverse("partners:detail", args=[partner.pk])
        assert [m.to for m in mailoutbox] == [["host@hospice.example.org"]]

    def test_invite_form_errors_are_shown_and_nothing_is_sent(self, client, partner, mailoutbox):
        client.force_login(ProgrammeTeamFactory())

        response = client.post(reverse("partners:invite", args=[partner.pk]), {"email": "not an address"})

        assert response.status_code == 400
        assert list(response.context["invite_form"].errors) == ["email"]
        assert "There is a problem" in response.content.decode()
        assert (PartnerInvitation.objects.count(), mailoutbox) == (0, [])

    def test_partner_admin_may_invite_colleagues(
        self, client, partner, django_capture_on_commit_callbacks, mailoutbox
    ):
        admin = PartnerMembershipFactory(partner=partner, is_admin=True).user
        client.force_login(admin)

        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("partners:invite", args=[partner.pk]), {"email": "colleague@hospice.example.org"}
            )

        assert [m.to for m in mailoutbox] == [["colleague@hospice.example.org"]]

    def test_partner_contact_who_is_not_admin_may_not_invite(self, client, partner):
        contact = PartnerMembershipFactory(partner=partner, is_admin=False).user
        client.force_login(contact)

        assert client.get(reverse("partners:detail", args=[partner.pk])).context["can_invite"] is False
        response = client.post(
            reverse("partners:invite", args=[partner.pk]), {"email": "colleague@hospice.example.org"}
        )

        assert response.status_code == 403
        assert PartnerInvitation.objects.count() == 0

    def test_contact_of_another_partner_gets_404(self, client, partner):
        outsider = PartnerMembershipFactory(is_admin=True).user
        client.force_login(outsider)

        detail = client.get(reverse("partners:detail", args=[partner.pk]))
        invite_post = client.post(
            reverse("partners:invite", args=[partner.pk]), {"email": "x@hospice.example.org"}
        )

        assert (detail.status_code, invite_post.status_code) == (404, 404)
        assert PartnerInvitation.objects.count() == 0

    def test_participant_cannot_reach_partner_pages(self, client, partner):
        client.force_login(ParticipantFactory())

        assert client.get(reverse("partners:detail", args=[partner.pk])).status_code == 403
        assert (
            client.post(reverse("partners:invite", args=[partner.pk]), {"email": "x@y.org"}).status_code
            == 403
        )


def test_invitee_who_already_has_an_account_is_asked_to_sign_in_first(
    client, partner, django_capture_on_commit_callbacks, mailoutbox
):
    PartnerMembershipFactory(user__email="host@trust.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_contact_invite(partner=partner, email="host@trust.example.org", invited_by=None)
    url = reverse("partners:invitation_accept", args=[invitation_token_from(mailoutbox[0])])

    response = client.get(url)

    assert response.status_code == 409
    html = response.content.decode()
    assert "You already have an account" in html
    assert f'href="/accounts/login/?next={url.replace("/", "%2F")}"' in html
