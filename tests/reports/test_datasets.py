"""What each export holds, for known data: whole rows, the dashboard's filters, and consent."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting.reports.datasets import (
    BOOKING_HEADER,
    DATASETS,
    PARTNER_ACTIVITY_HEADER,
    ExportFilters,
    ExportFiltersGone,
)
from debriefs.exports import ACTION_HEADER, DEBRIEF_HEADER
from debriefs.models import DebriefAction, PolicyAction
from tests.factories import (
    CohortFactory,
    DebriefFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)
from tests.reports.support import london, visit

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.datetime
MARCH_10, JUNE_10, JUNE_11 = D(2026, 3, 10), D(2026, 6, 10), D(2026, 6, 11)


class World:
    """Two programmes, a cohort, two participants, two partners and three bookings, at known times."""

    def __init__(self):
        self.programme = ProgrammeFactory(name="Connecting 2026")
        self.other_programme = ProgrammeFactory(name="Leaders 2026")
        self.autumn = CohortFactory(programme=self.programme, name="Autumn")
        self.ada = ParticipantFactory(
            full_name="Ada Lovelace", email="ada@dhsc.gov.uk", directorate="Adult Social Care"
        )
        self.bo = ParticipantFactory(
            full_name="Bo Brown", email="bo@dhsc.gov.uk", directorate="Public Health"
        )
        EnrolmentFactory(programme=self.programme, participant=self.ada, cohort=self.autumn)
        EnrolmentFactory(programme=self.programme, participant=self.bo)
        self.hospice = PartnerFactory(name="Oakfield Hospice", sector="hospice", region="london")
        self.police = PartnerFactory(name="Northshire Police", sector="police", region="north_east")
        # In winter London is on GMT; in summer on BST, an hour ahead of UTC.
        self.winter = visit(
            partner=self.hospice,
            programme=self.programme,
            day=MARCH_10,
            participant=self.ada,
            status="attended",
            created_at=london(D(2026, 2, 1), 10, 15),
        )
        self.summer = visit(
            partner=self.police,
            programme=self.programme,
            day=JUNE_10,
            hours=(9, 13),
            participant=self.bo,
            status="confirmed",
            created_at=london(D(2026, 5, 1), 8, 5),
        )
        self.elsewhere = visit(
            partner=self.hospice,
            programme=self.other_programme,
            day=JUNE_11,
            participant=self.ada,
            status="cancelled",
            created_at=london(D(2026, 5, 2), 23, 30),
        )


@pytest.fixture
def world():
    return World()


def rows(dataset, filters=None, user=None):
    return list(DATASETS[dataset].rows(filters or ExportFilters(), user=user, chunk_size=2))


def count(dataset, filters=None, user=None):
    return DATASETS[dataset].count(filters or ExportFilters(), user=user)


# --- Bookings ---------------------------------------------------------------------------------------


def test_bookings_rows_hold_the_visit_in_london_time_the_participant_and_the_partner(world):
    assert [str(name) for name in BOOKING_HEADER] == [
        "Booking ID",
        "Status",
        "Visit starts",
        "Visit ends",
        "Programme",
        "Cohort",
        "Participant name",
        "Participant e-mail address",
        "Directorate",
        "Partner",
        "Partner sector",
        "Partner region",
        "Opportunity",
        "Requested",
    ]
    assert rows("bookings") == [
        [
            world.winter.pk,
            "Attended",
            T(2026, 3, 10, 9, 0),
            T(2026, 3, 10, 17, 0),
            "Connecting 2026",
            "Autumn",
            "Ada Lovelace",
            "ada@dhsc.gov.uk",
            "Adult Social Care",
            "Oakfield Hospice",
            "Hospice",
            "London",
            "A day at Oakfield Hospice",
            T(2026, 2, 1, 10, 15),
        ],
        [
            world.summer.pk,
            "Confirmed",
            T(2026, 6, 10, 9, 0),
            T(2026, 6, 10, 13, 0),
            "Connecting 2026",
            None,
            "Bo Brown",
            "bo@dhsc.gov.uk",
            "Public Health",
            "Northshire Police",
            "Police",
            "North East",
            "A day at Northshire Police",
            T(2026, 5, 1, 8, 5),
        ],
        [
            world.elsewhere.pk,
            "Cancelled",
            T(2026, 6, 11, 9, 0),
            T(2026, 6, 11, 17, 0),
            "Leaders 2026",
            None,
            "Ada Lovelace",
            "ada@dhsc.gov.uk",
            "Adult Social Care",
            "Oakfield Hospice",
            "Hospice",
            "London",
            "A day at Oakfield Hospice",
            T(2026, 5, 2, 23, 30),
        ],
    ]
    assert count("bookings") == 3


def test_bookings_are_filtered_by_programme_cohort_and_london_visit_dates(world):
    def ids(**filters):
        return [row[0] for row in rows("bookings", ExportFilters(**filters))]

    assert ids(programme=world.programme) == [world.winter.pk, world.summer.pk]
    assert ids(programme=world.programme, cohort=world.autumn) == [world.winter.pk]
    assert ids(date_from=JUNE_10) == [world.summer.pk, world.elsewhere.pk]
    assert ids(date_to=JUNE_10) == [world.winter.pk, world.summer.pk]
    assert ids(date_from=JUNE_10, date_to=JUNE_10) == [world.summer.pk]
    assert ids(programme=world.other_programme, date_to=JUNE_10) == []
    assert count("bookings", ExportFilters(date_from=JUNE_10, date_to=JUNE_10)) == 1


def test_bookings_visit_dates_are_london_days_not_utc_days(world):
    # 00:30 on 1 July in London is 23:30 on 30 June in UTC: it is a visit of 1 July.
    july_1, june_30 = D(2026, 7, 1), D(2026, 6, 30)
    early = visit(
        partner=world.police,
        programme=world.programme,
        day=july_1,
        starts_at=london(july_1, 0, 30),
        ends_at=london(july_1, 12),
    )
    # 23:30 on 30 June in London is still 30 June (22:30 in UTC).
    late = visit(
        partner=world.police,
        programme=world.programme,
        day=june_30,
        starts_at=london(june_30, 23, 30),
        ends_at=london(july_1, 1),
    )

    def ids(day):
        return [row[0] for row in rows("bookings", ExportFilters(date_from=day, date_to=day))]

    assert (ids(july_1), ids(june_30)) == ([early.pk], [late.pk])


# --- Debriefs and actions ------------------------------------------------------------------------------


def _debrief(booking, *, consent, status="approved", **fields):
    return DebriefFactory(
        booking=booking, status=status, consent=consent, submitted_at=london(D(2026, 7, 1), 12), **fields
    )


def test_debriefs_rows_are_the_review_exports_rows_with_dates_as_dates(world):
    theme = ThemeFactory(name="Hospital discharge")
    debrief = _debrief(
        world.winter, consent="named", tags=["weekend"], reviewer=ProgrammeTeamFactory(full_name="Rev Iewer")
    )
    debrief.themes.set([theme])

    assert [str(name) for name in DEBRIEF_HEADER][:4] == ["Debrief ID", "Status", "Submitted", "Visit date"]
    assert rows("debriefs") == [
        [
            debrief.pk,
            "Approved",
            D(2026, 7, 1),
            MARCH_10,
            "Connecting 2026",
            "Autumn",
            "Oakfield Hospice",
            "Hospice",
            "A day at Oakfield Hospice",
            "Hospital discharge",
            "weekend",
            4,
            "Shareable with my name",
            "Ada Lovelace",
            "ada@dhsc.gov.uk",
            "Rev Iewer",
            "The discharge hub's morning huddle and two ward rounds.",
            "Most delays start with waiting for a care package, not with the ward.",
            "",
            "A single daily huddle with social care in the room.",
            "Funding decisions that wait for a weekly panel.",
            "Guidance should let trusts commission short-term care directly.",
        ]
    ]


def test_debriefs_leave_out_team_only_ones_unless_asked_and_name_only_named_authors(world):
    named = _debrief(world.winter, consent="named")
    anonymised = _debrief(world.summer, consent="anonymised", status="published")
    team_only = _debrief(world.elsewhere, consent="team_only", status="submitted")
    _debrief(
        visit(partner=world.police, programme=world.programme, day=JUNE_10), consent="named", status="draft"
    )

    def authors(include_team_only):
        return [
            (row[0], row[13], row[14])
            for row in rows("debriefs", ExportFilters(include_team_only=include_team_only))
        ]

    # Every state but draft; ordered by when they were handed in, then id.
    assert authors(False) == [(named.pk, "Ada Lovelace", "ada@dhsc.gov.uk"), (anonymised.pk, "", "")]
    assert authors(True) == [
        (named.pk, "Ada Lovelace", "ada@dhsc.gov.uk"),
        (anonymised.pk, "", ""),
        (team_only.pk, "", ""),
    ]
    assert (count("debriefs"), count("debriefs", ExportFilters(include_team_only=True))) == (2, 3)


def test_debriefs_are_filtered_by_programme_cohort_and_visit_dates(world):
    winter = _debrief(world.winter, consent="named")
    summer = _debrief(world.summer, consent="named")
    _debrief(world.elsewhere, consent="named")

    def ids(**filters):
        return [row[0] for row in rows("debriefs", ExportFilters(**filters))]

    assert ids(programme=world.programme) == [winter.pk, summer.pk]
    assert ids(programme=world.programme, cohort=world.autumn) == [winter.pk]
    assert ids(programme=world.programme, date_from=JUNE_10, date_to=JUNE_10) == [summer.pk]


def test_actions_follow_their_debriefs_consent_and_filters(world):
    owner = ProgrammeTeamFactory(full_name="Olu Owner")
    named = _debrief(world.winter, consent="named")
    anonymised = _debrief(world.summer, consent="anonymised")
    team_only = _debrief(world.elsewhere, consent="team_only")
    DebriefAction.objects.create(
        debrief=named, description="Brief my team", owner="Me", due_on=D(2026, 8, 31)
    )
    DebriefAction.objects.create(debrief=team_only, description="Hidden", owner="Me", due_on=D(2026, 8, 31))
    PolicyAction.objects.create(debrief=anonymised, description="Raise it", owner=owner, status="in_progress")

    assert [str(name) for name in ACTION_HEADER][:5] == ["Kind", "Debrief ID", "Action", "Owner", "Due date"]
    assert rows("actions") == [
        [
            "participant action",
            named.pk,
            "Brief my team",
            "Me",
            D(2026, 8, 31),
            "",
            "",
            "",
            "Shareable with my name",
            "Ada Lovelace",
            "ada@dhsc.gov.uk",
        ],
        [
            "policy follow-up",
            anonymised.pk,
            "Raise it",
            "Olu Owner",
            None,
            "In progress",
            "",
            "",
            "Shareable without my name",
            "",
            "",
        ],
    ]
    assert [row[2] for row in rows("actions", ExportFilters(include_team_only=True))] == [
        "Brief my team",
        "Hidden",
        "Raise it",
    ]
    assert [row[2] for row in rows("actions", ExportFilters(date_from=JUNE_10))] == ["Raise it"]
    assert (count("actions"), count("actions", ExportFilters(include_team_only=True))) == (2, 3)


# --- Partner activity -----------------------------------------------------------------------------------


def test_partner_activity_counts_each_partners_offer_visits_and_feedback(world):
    assert [str(name) for name in PARTNER_ACTIVITY_HEADER] == [
        "Partner ID",
        "Partner",
        "Partner sector",
        "Partner region",
        "Opportunities",
        "Slots offered",
        "Places",
        "Visits requested",
        "Visits confirmed",
        "Visits attended",
        "Visits cancelled",
        "Feedback given",
        "Average value score (1 to 5)",
    ]
    hospice_day = world.winter.slot.opportunity
    # A slot of the same opportunity with no bookings (2 places); a cancelled and a missed visit,
    # each on a slot of its own (4 places each).
    SlotFactory(
        opportunity=hospice_day,
        starts_at=london(D(2026, 3, 20), 9),
        ends_at=london(D(2026, 3, 20), 17),
        capacity=2,
    )
    visit(
        partner=world.hospice,
        programme=world.programme,
        day=MARCH_10,
        opportunity=hospice_day,
        status="cancelled",
    )
    missed = visit(
        partner=world.hospice,
        programme=world.programme,
        day=MARCH_10,
        opportunity=hospice_day,
        status="no_show",
    )
    PartnerFeedbackFactory(booking=world.winter, value_to_partner=5)
    PartnerFeedbackFactory(booking=missed, value_to_partner=2)
    # A partner with no slots is not in the export.
    OpportunityFactory(partner=PartnerFactory(name="Quiet Council"), programmes=[world.programme])

    assert rows("partner_activity", ExportFilters(programme=world.programme)) == [
        [world.police.pk, "Northshire Police", "Police", "North East", 1, 1, 4, 1, 1, 0, 0, 0, None],
        [world.hospice.pk, "Oakfield Hospice", "Hospice", "London", 1, 4, 14, 3, 2, 1, 1, 2, 3.5],
    ]
    assert rows("partner_activity") == [
        [world.police.pk, "Northshire Police", "Police", "North East", 1, 1, 4, 1, 1, 0, 0, 0, None],
        [world.hospice.pk, "Oakfield Hospice", "Hospice", "London", 2, 5, 18, 4, 2, 1, 2, 2, 3.5],
    ]
    assert count("partner_activity") == 2


def test_partner_activity_is_filtered_by_cohort_and_visit_dates(world):
    PartnerFeedbackFactory(booking=world.winter, value_to_partner=5)

    assert rows("partner_activity", ExportFilters(programme=world.programme, cohort=world.autumn)) == [
        [world.police.pk, "Northshire Police", "Police", "North East", 1, 1, 4, 0, 0, 0, 0, 0, None],
        [world.hospice.pk, "Oakfield Hospice", "Hospice", "London", 1, 1, 4, 1, 1, 1, 0, 1, 5.0],
    ]
    assert rows("partner_activity", ExportFilters(date_from=JUNE_11)) == [
        [world.hospice.pk, "Oakfield Hospice", "Hospice", "London", 1, 1, 4, 1, 0, 0, 1, 0, None],
    ]


# --- Filters ---------------------------------------------------------------------------------------------


def test_filters_go_to_json_and_back_and_say_what_they_are(world):
    filters = ExportFilters(
        programme=world.programme,
        cohort=world.autumn,
        date_from=MARCH_10,
        date_to=JUNE_10,
        include_team_only=True,
    )

    assert filters.to_json() == {
        "programme": world.programme.pk,
        "cohort": world.autumn.pk,
        "date_from": "2026-03-10",
        "date_to": "2026-06-10",
        "include_team_only": True,
    }
    assert ExportFilters.from_json(filters.to_json()) == filters
    assert filters.describe("debriefs") == (
        "Connecting 2026; cohort Autumn; visits from 10 Mar 2026 to 10 Jun 2026; "
        "including debriefs for the programme team only"
    )
    assert (
        filters.describe("bookings")
        == "Connecting 2026; cohort Autumn; visits from 10 Mar 2026 to 10 Jun 2026"
    )
    assert (
        ExportFilters().describe("actions") == "All programmes; without debriefs for the programme team only"
    )


def test_filters_of_a_deleted_programme_are_refused(world):
    data = ExportFilters(programme=world.other_programme).to_json()
    world.elsewhere.delete()
    world.other_programme.delete()

    with pytest.raises(ExportFiltersGone):
        ExportFilters.from_json(data)


@pytest.mark.parametrize("dataset", ["bookings", "debriefs", "actions", "partner_activity"])
def test_reading_an_export_takes_the_same_queries_for_one_row_or_three(dataset):
    programme = ProgrammeFactory()
    owner = ProgrammeTeamFactory()

    def one_more():
        booking = visit(partner=PartnerFactory(), programme=programme, day=MARCH_10)
        PartnerFeedbackFactory(booking=booking)
        debrief = _debrief(booking, consent="named", reviewer=owner)
        debrief.themes.set([ThemeFactory()])
        DebriefAction.objects.create(debrief=debrief, description="Do it", owner="Me", due_on=MARCH_10)
        PolicyAction.objects.create(debrief=debrief, description="Follow up", owner=owner)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            found = list(
                DATASETS[dataset].rows(ExportFilters(programme=programme), user=owner, chunk_size=100)
            )
        return len(found), len(captured)

    one_more()
    one = queries()
    one_more()
    one_more()

    assert queries() == ((6 if dataset == "actions" else 3), one[1])
