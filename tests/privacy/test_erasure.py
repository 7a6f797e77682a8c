"""Anonymising a person: what goes, what stays, the figures unchanged, and the team's pages."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from connecting.dashboard.selectors import DashboardFilter, dashboard_figures
from connecting.models import OutboxMessage
from connecting.privacy.services import PrivacyRefused, person_anonymise
from connecting.surveys.models import SurveyAnswer
from debriefs.models import (
    Debrief,
    DebriefAction,
    PartnerFeedback,
    Preparation,
    ReviewEvent,
    RollupDebriefText,
    ThemeQuote,
)
from debriefs.services.rollup import theme_rollup_refresh
from placements.models import BookingEvent
from tests.audit.support import audit_rows, described
from tests.dashboard.support import known_visits
from tests.debriefs.rollup_support import rollup_snapshot
from tests.factories import TEST_PASSWORD, OutboxMessageFactory, ParticipantFactory, ProgrammeTeamFactory
from tests.privacy.support import person_with_data

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
YEAR_2026 = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 12, 31)}


def test_anonymising_replaces_the_person_and_everything_written_by_or_about_them():
    team = ProgrammeTeamFactory()
    ada = ParticipantFactory(email="ada@dhsc.gov.uk", full_name="Ada Lovelace", directorate="Policy")
    data = person_with_data(ada, day=DAY, tag="ADA")
    pending = OutboxMessageFactory(recipient=ada, to=["ada@dhsc.gov.uk"], status="pending")

    person_anonymise(person=ada, by=team)

    ada.refresh_from_db()
    assert (ada.full_name, ada.email, ada.job_title, ada.is_active, ada.has_usable_password()) == (
        f"Anonymised person {ada.pk}",
        f"anonymised-{ada.pk}@anonymised.invalid",
        "",
        False,
        False,
    )
    # Kept for the figures:
    assert (ada.directorate, ada.organisation, ada.grade, ada.role) == (
        "Policy",
        "Department of Health and Social Care",
        "G7",
        "participant",
    )
    assert EmailAddress.objects.filter(user=ada).count() == 0
    booking = data["booking"]
    booking.refresh_from_db()
    assert (booking.status, booking.line_manager_email) == ("attended", "")
    assert list(BookingEvent.objects.filter(booking=booking).values_list("reason", "actor_description")) == [
        ("", ""),
        ("", "Line manager"),
    ]
    assert list(
        Preparation.objects.filter(booking=booking).values_list("objectives", "questions", "access_needs")
    ) == [("", "", "")]
    debrief = Debrief.objects.get(booking=booking)
    assert (debrief.what_i_saw, debrief.what_i_learnt, debrief.status, debrief.usefulness, debrief.tags) == (
        "",
        "",
        "approved",
        4,
        ["discharge"],
    )
    assert [theme.name for theme in debrief.themes.all()] == ["Theme ADA"]
    assert list(DebriefAction.objects.values_list("description", "owner")) == [("[removed]", "[removed]")]
    assert list(ReviewEvent.objects.values_list("comment", flat=True)) == [""]
    assert list(PartnerFeedback.objects.values_list("comments", "value_to_partner")) == [("", 5)]
    assert list(SurveyAnswer.objects.values_list("text", flat=True)) == ["[removed]"]
    assert list(
        OutboxMessage.objects.order_by("pk").values_list("pk", "to", "body_text", "body_html", "status")
    ) == [
        (OutboxMessage.objects.order_by("pk").first().pk, [], "", "", "sent"),
        (pending.pk, [], "", "", "skipped"),
    ]
    assert audit_rows(verb="person_anonymised") == [
        (
            team.pk,
            described(team),
            "person_anonymised",
            "accounts.user",
            str(ada.pk),
            f"Person {ada.pk} anonymised",
            ada.pk,
        )
    ]


def test_anonymising_leaves_other_people_alone():
    team = ProgrammeTeamFactory()
    ada, ben = ParticipantFactory(), ParticipantFactory(email="ben@dhsc.gov.uk")
    person_with_data(ada, day=DAY, tag="ADA")
    ben_data = person_with_data(ben, day=DAY, tag="BEN")

    person_anonymise(person=ada, by=team)

    ben.refresh_from_db()
    assert (ben.email, ben.is_active) == ("ben@dhsc.gov.uk", True)
    assert Debrief.objects.get(booking=ben_data["booking"]).what_i_saw == "Saw BEN"
    assert list(
        PartnerFeedback.objects.filter(booking=ben_data["booking"]).values_list("comments", flat=True)
    ) == ["Feedback BEN"]


def test_an_anonymised_person_cannot_sign_in_and_their_session_ends(client):
    ada = ParticipantFactory(email="ada@dhsc.gov.uk")
    other = ProgrammeTeamFactory()
    session_client = client.__class__()
    session_client.force_login(ada)

    person_anonymise(person=ada, by=other)

    response = client.post(reverse("account_login"), {"login": "ada@dhsc.gov.uk", "password": TEST_PASSWORD})
    assert (response.status_code, "_auth_user_id" in client.session) == (200, False)
    assert session_client.get(reverse("accounts:participant_home")).status_code == 302


def test_anonymising_removes_two_factor_records():
    member, other = ProgrammeTeamFactory(), ProgrammeTeamFactory()

    person_anonymise(person=member, by=other)

    assert (
        Authenticator.objects.filter(user=member).count(),
        Authenticator.objects.filter(user=other).count(),
    ) == (
        0,
        1,
    )


def test_the_dashboard_figures_and_theme_rollup_are_the_same_after_anonymising():
    known = known_visits()
    ada = known["people"]["ada"]
    Debrief.objects.get(booking__participant=ada).themes.set(
        [person_with_data(ParticipantFactory(), day=DAY, tag="X")["debrief"].themes.get()]
    )
    theme_rollup_refresh()
    figures = dashboard_figures(DashboardFilter(programme=known["programme"], **YEAR_2026), today=DAY)
    everywhere = dashboard_figures(DashboardFilter(programme=None, **YEAR_2026), today=DAY)
    rollup = rollup_snapshot()

    person_anonymise(person=ada, by=ProgrammeTeamFactory())
    theme_rollup_refresh()

    assert dashboard_figures(DashboardFilter(programme=known["programme"], **YEAR_2026), today=DAY) == figures
    assert dashboard_figures(DashboardFilter(programme=None, **YEAR_2026), today=DAY) == everywhere
    # Counts, shares and changes are the same; only the quotes taken from Ada's words are gone.
    after = rollup_snapshot()
    assert {k: v for k, v in after.items() if k != "quotes"} == {
        k: v for k, v in rollup.items() if k != "quotes"
    }
    assert (
        len(rollup["quotes"]) > 0,
        ThemeQuote.objects.filter(debrief__booking__participant=ada).count(),
    ) == (
        True,
        0,
    )


def test_anonymising_blanks_the_rollups_stored_words_and_quotes_of_their_debriefs_at_once():
    ada_person = ParticipantFactory()
    ada = person_with_data(ada_person, day=DAY, tag="A")  # an approved debrief, quotable
    ben = person_with_data(ParticipantFactory(), day=DAY, tag="B")
    theme_rollup_refresh()
    texts = RollupDebriefText.objects.filter(fact__debrief__in=[ada["debrief"], ben["debrief"]])
    assert texts.count() == 2
    assert all(text.words and text.quote for text in texts)

    person_anonymise(person=ada_person, by=ProgrammeTeamFactory())

    ada_text = RollupDebriefText.objects.get(fact__debrief=ada["debrief"])
    ben_text = RollupDebriefText.objects.get(fact__debrief=ben["debrief"])
    assert (bytes(ada_text.words), ada_text.quote) == (b"", "")
    assert ben_text.words and ben_text.quote
    theme_rollup_refresh()  # and the next refresh rebuilds from the erased debrief without a hitch
    assert RollupDebriefText.objects.get(fact__debrief=ada["debrief"]).quote == ""


def test_anonymising_twice_changes_nothing_more():
    team = ProgrammeTeamFactory()
    ada = ParticipantFactory()
    person_with_data(ada, day=DAY, tag="ADA")
    person_anonymise(person=ada, by=team)

    person_anonymise(person=ada, by=team)

    assert len(audit_rows(verb="person_anonymised")) == 1


def test_nobody_anonymises_themselves():
    team = ProgrammeTeamFactory(email="rita@dhsc.gov.uk")

    with pytest.raises(PrivacyRefused):
        person_anonymise(person=team, by=team)

    team.refresh_from_db()
    assert (team.email, team.is_active) == ("rita@dhsc.gov.uk", True)


# --- The team's pages -------------------------------------------------------------------------------------

PEOPLE = reverse("privacy:people")


def test_the_team_finds_a_person_by_email_and_sees_the_action(client):
    client.force_login(ProgrammeTeamFactory())
    ada = ParticipantFactory(email="ada@dhsc.gov.uk", full_name="Ada Lovelace")

    response = client.get(PEOPLE, {"email": "ADA@dhsc.gov.uk"})

    assert (response.status_code, response.context["person"]) == (200, ada)
    assert reverse("privacy:anonymise", args=[ada.pk]) in response.content.decode()


def test_a_bad_address_is_shown_in_the_error_summary(client):
    client.force_login(ProgrammeTeamFactory())

    response = client.get(PEOPLE, {"email": "not an address"})

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


@pytest.mark.parametrize("url_name", ["privacy:people", "privacy:anonymise"])
def test_anyone_but_the_team_is_refused(client, url_name):
    ada = ParticipantFactory()
    client.force_login(ParticipantFactory())
    url = reverse(url_name, args=[ada.pk]) if url_name == "privacy:anonymise" else reverse(url_name)

    assert (client.get(url).status_code, client.post(url, {"confirm": "on"}).status_code) == (403, 403)
    ada.refresh_from_db()
    assert ada.is_active is True


def test_the_confirm_page_needs_the_box_ticked(client):
    client.force_login(ProgrammeTeamFactory())
    ada = ParticipantFactory(email="ada@dhsc.gov.uk")
    url = reverse("privacy:anonymise", args=[ada.pk])

    page = client.get(url)
    refused = client.post(url, {})

    assert (page.status_code, refused.status_code) == (200, 400)
    assert "Confirm that you understand this cannot be undone" in refused.content.decode()
    ada.refresh_from_db()
    assert ada.email == "ada@dhsc.gov.uk"


def test_confirming_anonymises_and_returns_to_the_person(client):
    team = ProgrammeTeamFactory()
    client.force_login(team)
    ada = ParticipantFactory(email="ada@dhsc.gov.uk")

    response = client.post(reverse("privacy:anonymise", args=[ada.pk]), {"confirm": "on"})

    ada.refresh_from_db()
    assert response["Location"] == f"{PEOPLE}?email=anonymised-{ada.pk}%40anonymised.invalid"
    assert (ada.email, ada.is_active) == (f"anonymised-{ada.pk}@anonymised.invalid", False)
    assert [row[2] for row in audit_rows()] == ["person_anonymised"]


def test_the_team_cannot_anonymise_themselves_from_the_page(client):
    team = ProgrammeTeamFactory()
    client.force_login(team)

    assert client.post(reverse("privacy:anonymise", args=[team.pk]), {"confirm": "on"}).status_code == 403


def test_an_unknown_person_is_404(client):
    client.force_login(ProgrammeTeamFactory())

    assert client.get(reverse("privacy:anonymise", args=[999999])).status_code == 404
