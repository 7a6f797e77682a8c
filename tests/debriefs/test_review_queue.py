"""The review queue: what it holds by default, each filter, its pages and who may open it."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from debriefs.services.debriefs import policy_action_create
from tests.debriefs.review_support import handed_in
from tests.factories import (
    CohortFactory,
    EnrolmentFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
QUEUE = reverse("review:queue")


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory(full_name="Rita Reviewer")
    client.force_login(member)
    return member


def _queue(client, **params):
    return client.get(QUEUE, params)


def _ids(response) -> list[int]:
    return [debrief.pk for debrief in response.context["rows"]]


def test_queue_holds_debriefs_waiting_for_review_oldest_submitted_first(client, team):
    handed_in(status="draft")
    newest = handed_in(status="submitted", days_ago=1)
    oldest = handed_in(status="in_review", days_ago=20)
    middle = handed_in(status="changes_requested", days_ago=5)
    handed_in(status="approved", days_ago=30)
    handed_in(status="published", days_ago=40)

    response = _queue(client)

    assert response.status_code == 200
    assert _ids(response) == [oldest.pk, middle.pk, newest.pk]


def test_queue_row_shows_participant_visit_age_status_reviewer_and_flag(client, team):
    partner = PartnerFactory(name="Oakfield Hospice")
    debrief = handed_in(
        status="in_review",
        days_ago=9,
        partner=partner,
        participant=ParticipantFactory(full_name="Ada Lovelace"),
    )
    debrief.reviewer = team
    debrief.save()
    policy_action_create(debrief=debrief, by=team, description="Raise with the care team", owner=team)

    response = _queue(client)

    row = response.context["rows"][0]
    assert (row.age_days, row.flagged) == (9, True)
    html = response.content.decode()
    for shown in (
        "Ada Lovelace",
        "A day at Oakfield Hospice",
        "Oakfield Hospice",
        "9 days ago",
        "In review",
        "Rita Reviewer",
        "Flagged",
    ):
        assert shown in html


def test_queue_status_filter_offers_approved_published_and_all(client, team):
    handed_in(status="draft")
    submitted = handed_in(status="submitted", days_ago=2)
    approved = handed_in(status="approved", days_ago=3)
    published = handed_in(status="published", days_ago=4)

    assert _ids(_queue(client, status="approved")) == [approved.pk]
    assert _ids(_queue(client, status="published")) == [published.pk]
    assert _ids(_queue(client, status="all")) == [published.pk, approved.pk, submitted.pk]


def test_queue_filters_by_programme(client, team):
    programme = ProgrammeFactory(name="Connecting 2026")
    wanted = handed_in(programme=programme)
    handed_in()

    assert _ids(_queue(client, programme=programme.pk)) == [wanted.pk]


def test_queue_filters_by_the_cohort_of_the_enrolment_in_the_bookings_programme(client, team):
    programme, other_programme = ProgrammeFactory(), ProgrammeFactory()
    cohort = CohortFactory(programme=programme, name="Autumn")
    other_cohort = CohortFactory(programme=other_programme, name="Spring")
    in_cohort = EnrolmentFactory(programme=programme, cohort=cohort).participant
    wanted = handed_in(programme=programme, participant=in_cohort)
    # In the cohort, but this visit counts towards another programme: not the cohort's debrief.
    EnrolmentFactory(programme=other_programme, participant=in_cohort, cohort=other_cohort)
    handed_in(programme=other_programme, participant=in_cohort)
    handed_in(programme=programme, participant=EnrolmentFactory(programme=programme).participant)

    assert _ids(_queue(client, cohort=cohort.pk)) == [wanted.pk]


def test_queue_filters_by_partner_sector(client, team):
    hospice = handed_in(partner=PartnerFactory(sector="hospice"))
    handed_in(partner=PartnerFactory(sector="police"))

    assert _ids(_queue(client, sector="hospice")) == [hospice.pk]


def test_queue_filters_by_theme_listing_each_debrief_once(client, team):
    theme, other = ThemeFactory(), ThemeFactory()
    wanted = handed_in(themes=[theme, other])
    handed_in(themes=[other])

    assert _ids(_queue(client, theme=theme.pk)) == [wanted.pk]


def test_queue_filters_by_how_long_ago_the_debrief_was_submitted(client, team):
    thirty = handed_in(days_ago=30)
    fifteen = handed_in(days_ago=15)
    eight = handed_in(days_ago=8)
    handed_in(days_ago=3)

    assert _ids(_queue(client, age=7)) == [thirty.pk, fifteen.pk, eight.pk]
    assert _ids(_queue(client, age=14)) == [thirty.pk, fifteen.pk]
    assert _ids(_queue(client, age=28)) == [thirty.pk]


def test_queue_filters_by_reviewer(client, team):
    colleague = ProgrammeTeamFactory(full_name="Colin Colleague")
    mine = handed_in(days_ago=3, reviewer=team)
    theirs = handed_in(days_ago=2, reviewer=colleague)
    nobodys = handed_in(days_ago=1)

    assert _ids(_queue(client, reviewer="me")) == [mine.pk]
    assert _ids(_queue(client, reviewer="none")) == [nobodys.pk]
    assert _ids(_queue(client, reviewer=colleague.pk)) == [theirs.pk]
    assert _ids(_queue(client)) == [mine.pk, theirs.pk, nobodys.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"programme": "abc"},
        {"cohort": "99999999"},
        {"sector": "space"},
        {"age": "3"},
        {"reviewer": "\x00"},
        {"theme": str(2**70)},
    ],
)
def test_queue_shows_a_bad_filter_as_an_error_and_ignores_it(client, team, params):
    waiting = handed_in()

    response = _queue(client, **params)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == list(params)
    assert _ids(response) == [waiting.pk]


def test_queue_pages_hold_25_and_keep_the_filters_in_their_links(client, team):
    partner = PartnerFactory(sector="hospice")
    debriefs = [handed_in(partner=partner, days_ago=40 - n) for n in range(26)]
    handed_in(partner=PartnerFactory(sector="police"))

    first = _queue(client, sector="hospice")
    second = _queue(client, sector="hospice", page=2)

    assert _ids(first) == [d.pk for d in debriefs[:25]]
    assert _ids(second) == [debriefs[25].pk]
    assert 'href="?sector=hospice&amp;page=2"' in first.content.decode()


def test_queue_query_count_does_not_grow_with_rows(client, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _queue(client).status_code == 200
        return len(captured)

    debrief = handed_in(reviewer=team)
    policy_action_create(debrief=debrief, by=team, description="Follow up", owner=team)
    one = queries()
    for _n in range(2):
        other = handed_in(reviewer=ProgrammeTeamFactory())
        policy_action_create(debrief=other, by=team, description="Follow up", owner=team)

    assert queries() == one


def test_queue_is_for_the_programme_team_only(client):
    handed_in()
    client.force_login(ParticipantFactory())
    assert _queue(client).status_code == 403
    client.force_login(PartnerMembershipFactory().user)
    assert _queue(client).status_code == 403
    client.logout()
    anonymous = _queue(client)
    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(QUEUE)}",
    )
