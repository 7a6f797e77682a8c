import re

import pytest
from django.urls import reverse

from tests.factories import ParticipantFactory, PartnerContactFactory, PartnerFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


def _navigation_labels(response) -> list[str]:
    html = response.content.decode()
    nav = html[
        html.index('class="govuk-service-navigation__list"') : html.index(
            "</ul>", html.index("govuk-service-navigation__list")
        )
    ]
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r'class="govuk-service-navigation__link"[^>]*>(.*?)</a>', nav, re.S)
    ]


def test_home_page_has_the_govuk_frame_for_anonymous_visitors(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#main-content" class="govuk-skip-link"' in html
    assert 'class="govuk-header"' in html
    assert 'class="govuk-phase-banner"' in html
    assert 'class="govuk-footer"' in html
    assert '<main class="govuk-main-wrapper" id="main-content">' in html
    assert "/static/css/application.css" in html
    assert "<script>" not in html  # no inline script: everything loads from static files
    assert _navigation_labels(response) == ["Sign in", "Create an account"]


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (
            ParticipantFactory,
            [
                "My connecting",
                "My visits",
                "Find an opportunity",
                "Learning library",
                "Your account",
                "Sign out",
            ],
        ),
        (
            PartnerContactFactory,
            [
                "Partner dashboard",
                "Opportunities",
                "Bookings",
                "Learning library",
                "Your account",
                "Sign out",
            ],
        ),
        (
            ProgrammeTeamFactory,
            [
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
            ],
        ),
    ],
)
def test_service_navigation_follows_the_role(client, factory, expected):
    user = factory()
    client.force_login(user)

    response = client.get(reverse("home"), follow=True)

    assert _navigation_labels(response) == expected


def test_signed_in_home_redirects_to_the_role_home(client):
    client.force_login(ParticipantFactory())

    assert client.get(reverse("home"))["Location"] == reverse("accounts:participant_home")


def test_profile_edit_saves_and_reports_errors(client):
    participant = ParticipantFactory(full_name="Old Name")
    client.force_login(participant)

    bad = client.post(reverse("accounts:profile"), {"full_name": " ", "grade": "not-a-grade"})
    assert bad.status_code == 400
    assert sorted(bad.context["form"].errors) == ["full_name", "grade"]
    participant.refresh_from_db()
    assert participant.full_name == "Old Name"

    good = client.post(
        reverse("accounts:profile"),
        {
            "full_name": "New  Name",
            "job_title": "Adviser",
            "organisation": "DHSC",
            "directorate": "Analysis",
            "grade": "SEO",
        },
    )
    assert good["Location"] == reverse("accounts:profile")
    participant.refresh_from_db()
    assert (participant.full_name, participant.directorate, participant.grade) == (
        "New Name",
        "Analysis",
        "SEO",
    )


# /healthz is tested in tests/security/test_health.py.


def test_unknown_page_is_a_govuk_404(client):
    client.force_login(ParticipantFactory())

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_partner_list_query_count_does_not_grow_with_rows(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = ProgrammeTeamFactory()
    client.force_login(member)
    counts = {}
    for total in (1, 3):
        PartnerFactory.create_batch(total - PartnerFactory._meta.model.objects.count())
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("partners:list"))
        assert len(response.context["page"].object_list) == total
        counts[total] = len(captured)

    assert counts[1] == counts[3]
    assert counts[3] <= 12


def test_partner_list_is_paginated_in_name_order(client):
    member = ProgrammeTeamFactory()
    for name in ["Zeta Hospice", "Alpha Trust", "Mid Council"]:
        PartnerFactory(name=name)
    PartnerFactory.create_batch(25)
    client.force_login(member)

    first = client.get(reverse("partners:list"))
    second = client.get(reverse("partners:list"), {"page": 2})
    junk = client.get(reverse("partners:list"), {"page": "'; DROP TABLE"})

    assert [p.name for p in first.context["page"]][:2] == ["Alpha Trust", "Mid Council"]
    assert len(second.context["page"]) == 3
    assert second.context["page"][2].name == "Zeta Hospice"
    assert junk.status_code == 200 and junk.context["page"].number == 1
    assert 'class="govuk-pagination"' in first.content.decode()


def test_current_navigation_item_is_marked_for_screen_readers(client):
    client.force_login(ProgrammeTeamFactory())

    html = client.get(reverse("partners:list")).content.decode()

    assert re.findall(r'aria-current="page">\s*<strong[^>]*>([^<]+)</strong>', html) == ["Partners"]


def test_the_account_page_and_the_programme_dashboard_link_to_the_privacy_and_audit_pages(client):
    from tests.factories import ParticipantFactory, ProgrammeTeamFactory

    client.force_login(ParticipantFactory())
    profile = client.get(reverse("accounts:profile")).content.decode()
    client.force_login(ProgrammeTeamFactory())
    dashboard = client.get(reverse("accounts:programme_home")).content.decode()

    assert f'href="{reverse("privacy:my_data")}"' in profile
    assert f'href="{reverse("audit:list")}"' in dashboard
    assert f'href="{reverse("privacy:people")}"' in dashboard
