"""The partner dashboard's activity: visits hosted, feedback given and received, insights about the
partner; each organisation on its own, and nothing of another organisation's."""

import datetime
import re
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from debriefs.models import Insight
from debriefs.selectors.people import (
    FeedbackGiven,
    FeedbackReceived,
    insight_list_latest_for_partners,
    partner_feedback_received,
)
from partners.selectors import PartnerActivity, partner_activity_list_for_user
from tests.factories import (
    BookingFactory,
    DebriefFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerContactFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    PartnerMembershipFactory,
    SlotFactory,
    insight_of,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("partners:dashboard")
NOW = timezone.make_aware(datetime.datetime(2026, 6, 15, 12))
DEBRIEF_TEXT = "Most delays start with waiting for a care package, not with the ward."


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _visit(opportunity, day: datetime.date, status: str = "attended", **booking):
    start = _at(day)
    slot = SlotFactory(opportunity=opportunity, starts_at=start, ends_at=start + datetime.timedelta(hours=8))
    return BookingFactory(slot=slot, status=status, **booking)


def _insight(debrief, title: str, published_at: datetime.datetime, partner=None) -> Insight:
    return insight_of(debrief, title=title, published_at=published_at, partner=partner)


@pytest.fixture
def oakfield():
    return PartnerFactory(name="Oakfield Care Home")


@pytest.fixture
def riverside():
    return PartnerFactory(name="Riverside Hospice")


@pytest.fixture
def oakfield_contact(oakfield):
    return PartnerMembershipFactory(partner=oakfield).user


@pytest.fixture
def riverside_contact(riverside):
    return PartnerMembershipFactory(partner=riverside).user


@pytest.fixture
def activity(oakfield, riverside):
    """Visits, feedback, debriefs and insights of both partners, at fixed dates around NOW."""
    ward = OpportunityFactory(partner=oakfield, title="A day on the ward")
    v1 = _visit(ward, datetime.date(2026, 6, 10))
    v2 = _visit(ward, datetime.date(2026, 3, 1))
    v3 = _visit(ward, datetime.date(2025, 11, 20))
    started = _visit(ward, datetime.date(2026, 6, 14), status="confirmed")
    _visit(ward, datetime.date(2026, 7, 1), status="confirmed")
    _visit(ward, datetime.date(2026, 5, 1), status="no_show")
    _visit(ward, datetime.date(2026, 5, 2), status="cancelled")
    PartnerFeedbackFactory(booking=v1, value_to_partner=5, would_host_again="yes")
    PartnerFeedbackFactory(booking=v2, value_to_partner=2, would_host_again="maybe")
    published = DebriefFactory(booking=v1, status="published", consent="named", usefulness=5)
    DebriefFactory(booking=v2, status="approved", consent="anonymised", usefulness=2)
    DebriefFactory(booking=v3, status="approved", consent="team_only", usefulness=1)
    insight = _insight(published, "Weekend discharge", _at(datetime.date(2026, 6, 12)))

    hospice = OpportunityFactory(partner=riverside, title="Night shift at the hospice")
    r1 = _visit(hospice, datetime.date(2026, 6, 1))
    r_started = _visit(hospice, datetime.date(2026, 6, 13), status="confirmed")
    PartnerFeedbackFactory(booking=r1, value_to_partner=1, would_host_again="no")
    r_insight = _insight(
        DebriefFactory(booking=r1, status="published", consent="anonymised", usefulness=1),
        "Hospice nights",
        _at(datetime.date(2026, 6, 5)),
    )
    return {
        "oakfield": {"visits": [v1, v2, v3], "started": started, "insight": insight},
        "riverside": {"visits": [r1], "started": r_started, "insight": r_insight},
    }


def _expected_oakfield(oakfield, activity) -> PartnerActivity:
    v1, v2, v3 = activity["oakfield"]["visits"]
    return PartnerActivity(
        partner=oakfield,
        year_starts_on=datetime.date(2026, 1, 1),
        hosted_this_year=2,
        hosted_all_time=3,
        recent_visits=[v1, v2, v3],
        feedback_given=FeedbackGiven(count=2, average_value=3.5, percent_would_host_again=50),
        awaiting_feedback=[activity["oakfield"]["started"], v3],
        awaiting_feedback_count=2,
        feedback_received=FeedbackReceived(debriefs=2, scored=2, average_usefulness=None),
        latest_insights=[activity["oakfield"]["insight"]],
        insight_count=1,
    )


def _expected_riverside(riverside, activity) -> PartnerActivity:
    return PartnerActivity(
        partner=riverside,
        year_starts_on=datetime.date(2026, 1, 1),
        hosted_this_year=1,
        hosted_all_time=1,
        recent_visits=activity["riverside"]["visits"],
        feedback_given=FeedbackGiven(count=1, average_value=1.0, percent_would_host_again=0),
        awaiting_feedback=[activity["riverside"]["started"]],
        awaiting_feedback_count=1,
        feedback_received=FeedbackReceived(debriefs=1, scored=1, average_usefulness=None),
        latest_insights=[activity["riverside"]["insight"]],
        insight_count=1,
    )


# --- The selector ----------------------------------------------------------------------------------


def test_activity_counts_hosted_visits_feedback_and_insights_of_the_contacts_partner_only(
    oakfield, oakfield_contact, activity
):
    result = partner_activity_list_for_user(user=oakfield_contact, now=NOW)

    assert result == [_expected_oakfield(oakfield, activity)]
    assert [b.partner_total for b in result[0].awaiting_feedback] == [2, 2]


def test_activity_of_a_contact_of_two_partners_is_per_partner_a_to_z(
    oakfield, riverside, oakfield_contact, activity
):
    PartnerMembershipFactory(partner=riverside, user=oakfield_contact)

    result = partner_activity_list_for_user(user=oakfield_contact, now=NOW)

    assert result == [_expected_oakfield(oakfield, activity), _expected_riverside(riverside, activity)]


def test_activity_is_empty_for_a_participant_and_a_contact_of_no_partner(activity):
    assert partner_activity_list_for_user(user=ParticipantFactory(), now=NOW) == []
    assert partner_activity_list_for_user(user=PartnerContactFactory(), now=NOW) == []


def test_activity_of_a_partner_with_nothing_yet_is_all_zero(activity):
    membership = PartnerMembershipFactory()

    assert partner_activity_list_for_user(user=membership.user, now=NOW) == [
        PartnerActivity(partner=membership.partner, year_starts_on=datetime.date(2026, 1, 1))
    ]


def test_team_only_and_unapproved_debriefs_contribute_nothing_to_feedback_received(oakfield):
    ward = OpportunityFactory(partner=oakfield)
    DebriefFactory(booking=_visit(ward, datetime.date(2026, 6, 1)), status="approved", consent="team_only")
    DebriefFactory(booking=_visit(ward, datetime.date(2026, 6, 2)), status="approved", consent="team_only")
    for status in ("draft", "submitted", "in_review", "changes_requested"):
        DebriefFactory(booking=_visit(ward, datetime.date(2026, 5, 1)), status=status, consent="named")

    assert partner_feedback_received(partner_ids=[oakfield.pk]) == {}


def test_latest_insights_are_the_five_newest_of_each_partner_with_the_whole_count(oakfield, riverside):
    ward = OpportunityFactory(partner=oakfield)
    days = [datetime.date(2026, 5, d) for d in (3, 9, 1, 7, 5, 8)]
    insights = [
        _insight(
            DebriefFactory(booking=_visit(ward, day), status="published", consent="anonymised"),
            f"Insight {day.day}",
            _at(day, 15),
        )
        for day in days
    ]
    hospice_insight = _insight(
        DebriefFactory(
            booking=_visit(OpportunityFactory(partner=riverside), days[0]),
            status="published",
            consent="named",
        ),
        "Hospice",
        _at(days[0], 15),
    )

    latest = insight_list_latest_for_partners(partner_ids=[oakfield.pk, riverside.pk], limit=5)

    by_day = dict(zip(days, insights, strict=True))
    assert latest == {
        oakfield.pk: [by_day[datetime.date(2026, 5, d)] for d in (9, 8, 7, 5, 3)],
        riverside.pk: [hospice_insight],
    }
    assert [i.partner_total for i in latest[oakfield.pk]] == [6] * 5


# --- The page --------------------------------------------------------------------------------------


def test_dashboard_shows_own_activity_and_links_and_never_another_partners_or_debrief_text(
    client, oakfield, oakfield_contact, activity
):
    client.force_login(oakfield_contact)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert [a.partner for a in response.context["activity"]] == [oakfield]
    html = response.content.decode()
    v1, v2, v3 = activity["oakfield"]["visits"]
    started = activity["oakfield"]["started"]
    r1 = activity["riverside"]["visits"][0]
    assert "Oakfield Care Home: visits, feedback and insights" in html
    assert all(escape(v.participant.full_name) in html for v in (v1, v2, v3))  # O'Connor is O&#x27;Connor
    assert f'href="/bookings/{started.pk}/feedback/"' in html
    assert f'href="/bookings/{v3.pk}/feedback/"' in html
    assert f'href="/library/{activity["oakfield"]["insight"].pk}/"' in html
    assert f'href="/library/you-said-we-did/?partner={oakfield.pk}"' in html
    assert 'href="/bookings/?status=attended"' in html
    assert "Riverside Hospice" not in html
    assert escape(r1.participant.full_name) not in html
    assert f'href="/library/{activity["riverside"]["insight"].pk}/"' not in html
    assert f'href="/bookings/{activity["riverside"]["started"].pk}/feedback/"' not in html
    assert DEBRIEF_TEXT not in html
    # The latest visits hosted scroll in their own box on a phone, not the whole page.
    assert re.search(
        r'<div class="app-table-scroll"[^>]*>\s*<table class="govuk-table">\s*<caption[^>]*>The latest 3 visits hosted',
        html,
    )


def test_dashboard_of_a_contact_of_two_partners_shows_each_organisation_separately(
    client, oakfield, riverside, oakfield_contact, riverside_contact, activity
):
    PartnerMembershipFactory(partner=riverside, user=oakfield_contact)
    client.force_login(oakfield_contact)

    response = client.get(DASHBOARD)

    assert [a.partner for a in response.context["activity"]] == [oakfield, riverside]
    html = response.content.decode()
    assert "Oakfield Care Home: visits, feedback and insights" in html
    assert "Riverside Hospice: visits, feedback and insights" in html


def test_dashboard_of_the_other_partners_contact_shows_only_theirs(
    client, riverside, riverside_contact, activity
):
    client.force_login(riverside_contact)

    response = client.get(DASHBOARD)

    assert [a.partner for a in response.context["activity"]] == [riverside]
    html = response.content.decode()
    assert "Oakfield Care Home" not in html
    assert all(escape(v.participant.full_name) not in html for v in activity["oakfield"]["visits"])


def test_dashboard_is_forbidden_to_a_participant(client):
    client.force_login(ParticipantFactory())

    assert client.get(DASHBOARD).status_code == 403


def test_dashboard_query_count_is_the_same_for_one_and_three_visits_feedback_and_insights(
    client, oakfield, oakfield_contact
):
    ward = OpportunityFactory(partner=oakfield)
    client.force_login(oakfield_contact)

    def add_activity(days_ago: int) -> None:
        day = timezone.localdate() - datetime.timedelta(days=days_ago)
        visit = _visit(ward, day)
        PartnerFeedbackFactory(booking=visit)
        _visit(ward, day, status="confirmed")
        debrief = DebriefFactory(booking=visit, status="published", consent="named")
        _insight(debrief, f"Insight {days_ago}", timezone.now())

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    add_activity(3)
    one = queries()
    add_activity(4)
    add_activity(5)
    three = queries()

    assert len(client.get(DASHBOARD).context["activity"][0].recent_visits) == 3
    assert one == three


def test_feedback_received_shows_an_average_only_from_three_scores(db):
    from debriefs.selectors.people import partner_feedback_received
    from tests.factories import DebriefFactory, PartnerFactory, PastVisitFactory

    partner = PartnerFactory()
    scores = [2, 4, 5]
    debriefs = [
        DebriefFactory(
            booking=PastVisitFactory(slot__opportunity__partner=partner, status="attended"),
            status="published",
            consent="named",
            usefulness=score,
        )
        for score in scores
    ]
    three = partner_feedback_received(partner_ids=[partner.pk])
    debriefs[2].delete()

    assert three[partner.pk] == FeedbackReceived(debriefs=3, scored=3, average_usefulness=3.7)
    assert partner_feedback_received(partner_ids=[partner.pk])[partner.pk] == FeedbackReceived(
        debriefs=2, scored=2, average_usefulness=None
    )


def test_every_table_of_the_partner_dashboard_scrolls_in_its_own_box(
    client, oakfield, oakfield_contact, activity
):
    """At 375 px the requests, visitors and opportunities tables widened the page to 582 px."""
    from placements.models import BookingStatus
    from tests.dashboard.support import tables_outside_a_scroll_box
    from tests.factories import BookingFactory, OpportunityFactory, SlotFactory

    opportunity = OpportunityFactory(partner=oakfield)
    BookingFactory(slot=SlotFactory(opportunity=opportunity), status=BookingStatus.REQUESTED)
    BookingFactory(slot=SlotFactory(opportunity=opportunity), status=BookingStatus.CONFIRMED)
    client.force_login(oakfield_contact)

    html = client.get(DASHBOARD).content.decode()

    assert html.count("<table") >= 4
    assert tables_outside_a_scroll_box(html) == 0
