"""Every POST form on a page carries the CSRF token exactly once; a GET form carries none."""

import re

import pytest
from django.urls import reverse

from partners import services as partner_services
from tests.factories import (
    CohortFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)
from tests.support import invitation_token_from

pytestmark = pytest.mark.django_db

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)


def _tokens_per_form(html: str) -> list[tuple[str, int]]:
    """Each form on the page as (method, number of CSRF token inputs in it)."""
    forms = []
    for attributes, body in FORM.findall(html):
        method = re.search(r'method="?(\w+)', attributes)
        forms.append(
            ((method.group(1) if method else "get").lower(), body.count('name="csrfmiddlewaretoken"'))
        )
    return forms


def _assert_one_token_per_post_form(client, urls):
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = _tokens_per_form(response.content.decode())
    assert all(found.values())
    assert found == {
        url: [(method, 1 if method == "post" else 0) for method, _count in forms]
        for url, forms in found.items()
    }


def test_programme_team_form_pages_have_one_csrf_token_per_post_form(client):
    client.force_login(ProgrammeTeamFactory())
    cohort = CohortFactory()
    programme = cohort.programme
    enrolment = EnrolmentFactory(programme=programme)
    partner = PartnerFactory()
    urls = [
        reverse("programmes:create"),
        reverse("programmes:edit", args=[programme.pk]),
        reverse("programmes:cohort_create", args=[programme.pk]),
        reverse("programmes:cohort_edit", args=[programme.pk, cohort.pk]),
        reverse("programmes:enrolment_add", args=[programme.pk]),
        reverse("programmes:enrolment_upload", args=[programme.pk]),
        reverse("programmes:enrolment_move", args=[programme.pk, enrolment.pk]),
        reverse("programmes:enrolment_remove", args=[programme.pk, enrolment.pk]),
        reverse("partners:list"),
        reverse("partners:create"),
        reverse("partners:detail", args=[partner.pk]),
        reverse("partners:edit", args=[partner.pk]),
        reverse("partners:status", args=[partner.pk]),
        reverse("partners:capacity", args=[partner.pk]),
    ]
    _assert_one_token_per_post_form(client, urls)


def test_partner_contact_form_pages_have_one_csrf_token_per_post_form(client):
    membership = PartnerMembershipFactory(is_admin=True)
    client.force_login(membership.user)
    opportunity = OpportunityFactory(partner=membership.partner)
    slot = SlotFactory(opportunity=opportunity)
    urls = [
        reverse("opportunities:create"),
        reverse("opportunities:edit", args=[opportunity.pk]),
        reverse("opportunities:detail", args=[opportunity.pk]),
        reverse("opportunities:slot_add", args=[opportunity.pk]),
        reverse("opportunities:slot_series_add", args=[opportunity.pk]),
        reverse("opportunities:slot_edit", args=[slot.pk]),
        reverse("opportunities:slot_delete", args=[slot.pk]),
    ]
    _assert_one_token_per_post_form(client, urls)


def test_participant_form_pages_have_one_csrf_token_per_post_form(client):
    client.force_login(ParticipantFactory())
    _assert_one_token_per_post_form(
        client, [reverse("browse:list"), reverse("browse:interests"), reverse("accounts:profile")]
    )


def test_invitation_page_has_one_csrf_token(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.partner_contact_invite(
            partner=PartnerFactory(), email="host@hospice.example.org", invited_by=None
        )
    token = invitation_token_from(mailoutbox[0])

    _assert_one_token_per_post_form(client, [reverse("partners:invitation_accept", args=[token])])
