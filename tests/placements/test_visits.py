"""The participant's "My visits" page: the upcoming/past split, days against each programme's target,
what to do next for each visit, and the page itself."""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.models import Booking, BookingStatus, Duration, Slot
from placements.selectors.visits import (
    ProgrammeDays,
    VisitNextSteps,
    participant_days_summary,
    programme_year,
    visit_list_for_participant,
    visit_lists_for_participant,
    visit_next_steps,
)
from placements.templatetags.visits import visit_when
from tests.factories import (
    BookingFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

VISITS = reverse("visits:list")
S = BookingStatus


def _local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _in_days(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    return _local(timezone.localdate() + datetime.timedelta(days=days), hour, minute)


def _book(participant, status, starts_at, ends_at, opportunity=None, **fields) -> Booking:
    if status == S.OFFERED:
        fields.setdefault("offer_expires_at", timezone.now() + datetime.timedelta(days=2))
    slot = SlotFactory(opportunity=opportunity or OpportunityFactory(), starts_at=starts_at, ends_at=ends_at)
    return BookingFactory(slot=slot, participant=participant, status=status, **fields)


# --- Upcoming and past ----------------------------------------------------------------------------


def test_visit_list_splits_live_future_visits_from_the_rest_and_orders_each():
    participant = ParticipantFactory()
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    under_way = _book(participant, S.CONFIRMED, now - hour, now + hour)
    requested = _book(participant, S.REQUESTED, _in_days(2, 9), _in_days(2, 17))
    offered = _book(participant, S.OFFERED, _in_days(5, 9), _in_days(5, 17))
    confirmed = _book(participant, S.CONFIRMED, _in_days(10, 9), _in_days(10, 17))
    waitlisted = _book(participant, S.WAITLISTED, _in_days(20, 9), _in_days(20, 17))
    cancelled = _book(participant, S.CANCELLED, _in_days(3, 9), _in_days(3, 17))
    cancelled_again = BookingFactory(slot=cancelled.slot, participant=participant, status=S.CANCELLED)
    expired = _book(participant, S.EXPIRED, _in_days(1, 9), _in_days(1, 17))
    not_marked = _book(participant, S.CONFIRMED, now - 3 * hour, now - hour)
    attended = _book(participant, S.ATTENDED, _in_days(-10, 9), _in_days(-10, 17))
    no_show = _book(participant, S.NO_SHOW, _in_days(-20, 9), _in_days(-20, 17))
    declined = _book(participant, S.DECLINED, _in_days(-30, 9), _in_days(-30, 17))
    _book(ParticipantFactory(), S.CONFIRMED, _in_days(4, 9), _in_days(4, 17))
    _book(ParticipantFactory(), S.ATTENDED, _in_days(-4, 9), _in_days(-4, 17))

    upcoming = list(visit_list_for_participant(participant=participant, when="upcoming", now=now))
    past = list(visit_list_for_participant(participant=participant, when="past", now=now))

    assert upcoming == [under_way, requested, offered, confirmed, waitlisted]
    # Latest slot first; two bookings of one slot, the newer first.
    assert past == [cancelled_again, cancelled, expired, not_marked, attended, no_show, declined]


def test_visit_list_loads_the_rows_it_shows_in_three_queries_whatever_their_number():
    """The bookings with their slots, opportunities, partners and programmes; then their
    preparations; then their debriefs (joined too, the query took PostgreSQL 2 ms to plan)."""
    participant = ParticipantFactory()
    _book(participant, S.CONFIRMED, _in_days(2, 9), _in_days(2, 17))
    _book(participant, S.CONFIRMED, _in_days(4, 9), _in_days(4, 17))
    now = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        titles = [
            (
                b.slot.opportunity.title,
                b.slot.opportunity.partner.name,
                b.programme.name,
                visit_next_steps(b, now),
            )
            for b in visit_list_for_participant(participant=participant, when="upcoming")
        ]

    assert (len(titles), len(queries)) == (2, 3)


def _one_of_each(participant, now) -> None:
    hour = datetime.timedelta(hours=1)
    _book(participant, S.CONFIRMED, now - hour, now + hour)
    for status, days in ((S.REQUESTED, 2), (S.OFFERED, 5), (S.WAITLISTED, 20), (S.EXPIRED, 1)):
        _book(participant, status, _in_days(days, 9), _in_days(days, 17))
    cancelled = _book(participant, S.CANCELLED, _in_days(3, 9), _in_days(3, 17))
    BookingFactory(slot=cancelled.slot, participant=participant, status=S.CANCELLED)
    _book(participant, S.CONFIRMED, now - 3 * hour, now - hour)
    _book(participant, S.ATTENDED, _in_days(-10, 9), _in_days(-10, 17))
    _book(ParticipantFactory(), S.CONFIRMED, _in_days(4, 9), _in_days(4, 17))


def test_visit_lists_read_a_few_bookings_at_once_and_split_them_as_the_two_lists_do(
    django_assert_num_queries,
):
    participant = ParticipantFactory()
    now = timezone.now()
    _one_of_each(participant, now)

    with django_assert_num_queries(3):  # bookings, preparations, debriefs
        lists = visit_lists_for_participant(participant=participant, now=now, read_all_up_to=9)
        shown = [
            (b.slot.opportunity.partner.name, b.programme.name, visit_next_steps(b, now))
            for b in [*lists.upcoming, *lists.past]
        ]

    assert (lists.upcoming, lists.past) == (
        list(visit_list_for_participant(participant=participant, when="upcoming", now=now)),
        list(visit_list_for_participant(participant=participant, when="past", now=now)),
    )
    assert (len(shown), sorted(lists.everything, key=lambda b: b.pk)) == (
        9,
        list(Booking.objects.filter(participant=participant).order_by("pk")),
    )


def test_visit_lists_of_more_bookings_than_read_at_once_are_left_to_the_database():
    participant = ParticipantFactory()
    now = timezone.now()
    _one_of_each(participant, now)

    lists = visit_lists_for_participant(participant=participant, now=now, read_all_up_to=8)

    assert lists.everything is None
    assert (list(lists.upcoming), list(lists.past)) == (
        list(visit_list_for_participant(participant=participant, when="upcoming", now=now)),
        list(visit_list_for_participant(participant=participant, when="past", now=now)),
    )


def test_visit_list_refuses_an_unknown_list():
    with pytest.raises(ValueError, match="when must be 'upcoming' or 'past'"):
        visit_list_for_participant(participant=ParticipantFactory(), when="soon")


# --- Days against the target ----------------------------------------------------------------------


def _enrolled(participant, **programme_fields):
    programme = ProgrammeFactory(**programme_fields)
    EnrolmentFactory(programme=programme, participant=participant)
    return programme, OpportunityFactory(programmes=[programme])


def test_days_summary_counts_half_days_and_each_date_of_a_two_day_visit_and_only_booked_statuses():
    participant = ParticipantFactory()
    today = timezone.localdate()
    programme, day_visit = _enrolled(
        participant, target_days_per_participant=5, starts_on=today - datetime.timedelta(days=60)
    )
    half_day = OpportunityFactory(programmes=[programme], duration=Duration.HALF_DAY)
    two_days = OpportunityFactory(programmes=[programme], duration=Duration.SEVERAL_DAYS)
    _book(participant, S.ATTENDED, _in_days(-10, 9), _in_days(-10, 13), opportunity=half_day)
    _book(participant, S.ATTENDED, _in_days(-5, 9), _in_days(-5, 17), opportunity=day_visit)
    _book(participant, S.CONFIRMED, _in_days(20, 9), _in_days(21, 17), opportunity=two_days)
    for status in (S.REQUESTED, S.CANCELLED, S.NO_SHOW, S.WAITLISTED, S.DECLINED):
        _book(participant, status, _in_days(30, 9), _in_days(30, 17), opportunity=day_visit)
    # Another participant's visit, and one of this participant's made through a programme they
    # are no longer on, count for nothing here.
    _book(ParticipantFactory(), S.ATTENDED, _in_days(-5, 9), _in_days(-5, 17), opportunity=day_visit)
    _book(participant, S.ATTENDED, _in_days(-5, 9), _in_days(-5, 17))

    summary = participant_days_summary(participant=participant, today=today)

    first, next_first = programme_year(programme, today)
    assert summary == [
        ProgrammeDays(
            programme=programme,
            year_starts_on=first,
            year_ends_on=next_first - datetime.timedelta(days=1),
            target=5,
            booked=3.5,
            completed=1.5,
            to_book=1.5,
            percent_completed=30,
        )
    ]


def test_days_summary_counts_only_the_current_programme_year_by_local_date():
    participant = ParticipantFactory()
    programme, opportunity = _enrolled(
        participant, target_days_per_participant=3, starts_on=datetime.date(2024, 4, 1)
    )

    def visit(day: datetime.date, hour: int = 9, status=S.CONFIRMED):
        _book(participant, status, _local(day, hour), _local(day, hour + 2), opportunity=opportunity)

    visit(datetime.date(2025, 3, 31), hour=21)  # the year before
    # 00:30 in London on 1 April is still 31 March in UTC: it counts, by the local date.
    _book(
        participant,
        S.ATTENDED,
        _local(datetime.date(2025, 4, 1), 0, 30),
        _local(datetime.date(2025, 4, 1), 3),
        opportunity=opportunity,
    )
    visit(datetime.date(2026, 3, 31))
    visit(datetime.date(2026, 4, 1))  # the next year

    summary = participant_days_summary(participant=participant, today=datetime.date(2026, 3, 15))

    assert summary == [
        ProgrammeDays(
            programme=programme,
            year_starts_on=datetime.date(2025, 4, 1),
            year_ends_on=datetime.date(2026, 3, 31),
            target=3,
            booked=2.0,
            completed=1.0,
            to_book=1.0,
            percent_completed=33,
        )
    ]


@pytest.mark.parametrize(
    ("starts_on", "today", "expected"),
    [
        (
            datetime.date(2024, 4, 1),
            datetime.date(2026, 3, 31),
            (datetime.date(2025, 4, 1), datetime.date(2026, 4, 1)),
        ),
        (
            datetime.date(2024, 4, 1),
            datetime.date(2026, 4, 1),
            (datetime.date(2026, 4, 1), datetime.date(2027, 4, 1)),
        ),
        # Before the programme starts, its first year.
        (
            datetime.date(2026, 9, 1),
            datetime.date(2026, 3, 1),
            (datetime.date(2026, 9, 1), datetime.date(2027, 9, 1)),
        ),
        # A programme that started on 29 February has its anniversary on 28 February in other years.
        (
            datetime.date(2024, 2, 29),
            datetime.date(2025, 3, 1),
            (datetime.date(2025, 2, 28), datetime.date(2026, 2, 28)),
        ),
        (
            datetime.date(2024, 2, 29),
            datetime.date(2028, 2, 28),
            (datetime.date(2027, 2, 28), datetime.date(2028, 2, 29)),
        ),
    ],
)
def test_programme_year_starts_on_the_last_anniversary_of_the_start(starts_on, today, expected):
    assert programme_year(ProgrammeFactory.build(starts_on=starts_on), today) == expected


def test_days_summary_with_a_target_of_zero_has_nothing_to_book_and_no_percentage():
    participant = ParticipantFactory()
    today = timezone.localdate()
    programme, opportunity = _enrolled(participant, target_days_per_participant=0, starts_on=today)
    _book(participant, S.ATTENDED, _in_days(0, 0, 30), _in_days(0, 1), opportunity=opportunity)

    [days] = participant_days_summary(participant=participant, today=today)

    assert (days.target, days.booked, days.completed, days.to_book, days.percent_completed) == (
        0,
        1.0,
        1.0,
        0.0,
        0,
    )


def test_days_summary_percentage_stops_at_100_when_the_target_is_passed():
    participant = ParticipantFactory()
    today = timezone.localdate()
    _, opportunity = _enrolled(
        participant, target_days_per_participant=1, starts_on=today - datetime.timedelta(days=30)
    )
    for days_ago in (3, 2):
        _book(
            participant, S.ATTENDED, _in_days(-days_ago, 9), _in_days(-days_ago, 17), opportunity=opportunity
        )

    [days] = participant_days_summary(participant=participant, today=today)

    assert (days.completed, days.to_book, days.percent_completed) == (2.0, 0.0, 100)


def test_days_summary_is_one_entry_per_programme_by_name_in_two_queries(django_assert_num_queries):
    participant = ParticipantFactory()
    today = timezone.localdate()
    starts_on = today - datetime.timedelta(days=30)
    zebra, zebra_visit = _enrolled(participant, name="Zebra programme", starts_on=starts_on)
    alpha, alpha_visit = _enrolled(participant, name="Alpha programme", starts_on=starts_on)
    for days_ago in (1, 2, 3):
        _book(
            participant, S.ATTENDED, _in_days(-days_ago, 9), _in_days(-days_ago, 17), opportunity=zebra_visit
        )
    _book(participant, S.CONFIRMED, _in_days(9, 9), _in_days(9, 17), opportunity=alpha_visit)

    with django_assert_num_queries(2):
        summary = participant_days_summary(participant=participant, today=today)

    assert [(d.programme, d.booked, d.completed) for d in summary] == [(alpha, 1.0, 0.0), (zebra, 3.0, 3.0)]


def test_days_summary_from_the_participants_bookings_in_hand_counts_the_same_in_one_query(
    django_assert_num_queries,
):
    participant = ParticipantFactory()
    today = timezone.localdate()
    programme, day_visit = _enrolled(participant, name="Alpha", starts_on=today - datetime.timedelta(days=60))
    other, other_visit = _enrolled(participant, name="Beta", starts_on=today - datetime.timedelta(days=400))
    half_day = OpportunityFactory(programmes=[programme], duration=Duration.HALF_DAY)
    _book(participant, S.ATTENDED, _in_days(-5, 9), _in_days(-5, 13), opportunity=half_day)
    _book(participant, S.CONFIRMED, _in_days(5, 9), _in_days(6, 17), opportunity=day_visit)
    _book(participant, S.REQUESTED, _in_days(7, 9), _in_days(7, 17), opportunity=day_visit)
    _book(participant, S.ATTENDED, _in_days(-90, 9), _in_days(-90, 17), opportunity=day_visit)  # last year
    _book(participant, S.ATTENDED, _in_days(-3, 9), _in_days(-3, 17), opportunity=other_visit)
    _book(participant, S.ATTENDED, _in_days(-2, 9), _in_days(-2, 17))  # a programme they are not on
    everything = list(Booking.objects.filter(participant=participant).select_related("slot__opportunity"))

    with django_assert_num_queries(1):
        handed = participant_days_summary(participant=participant, today=today, bookings=everything)

    assert handed == participant_days_summary(participant=participant, today=today)
    assert [(d.programme, d.booked, d.completed) for d in handed] == [
        (programme, 2.5, 0.5),
        (other, 1.0, 1.0),
    ]


def test_days_summary_for_a_participant_on_no_programme_is_empty():
    assert participant_days_summary(participant=ParticipantFactory()) == []


# --- Next steps and dates -------------------------------------------------------------------------

TUESDAY = datetime.date(2026, 3, 3)
BEFORE = _local(datetime.date(2026, 2, 1), 12)
AFTER = _local(datetime.date(2026, 3, 10), 12)


def _unsaved(status, ends_on: datetime.date = TUESDAY) -> Booking:
    return Booking(status=status, slot=Slot(starts_at=_local(TUESDAY, 9, 30), ends_at=_local(ends_on, 16)))


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (S.REQUESTED, BEFORE, ("Opens when confirmed", "After the visit")),
        (S.WAITLISTED, BEFORE, ("Opens when confirmed", "After the visit")),
        (S.OFFERED, BEFORE, ("Opens when confirmed", "After the visit")),
        (S.CONFIRMED, BEFORE, ("To do before Tue 3 Mar 2026", "Due from Tue 3 Mar 2026")),
        # The day has passed and attendance is not marked yet: preparation is over, the debrief is due.
        (S.CONFIRMED, AFTER, ("", "Due from Tue 3 Mar 2026")),
        (S.ATTENDED, AFTER, ("", "Due now")),
        (S.NO_SHOW, AFTER, ("", "Not needed")),
        (S.CANCELLED, BEFORE, ("Not needed", "Not needed")),
        (S.DECLINED, BEFORE, ("Not needed", "Not needed")),
        (S.EXPIRED, BEFORE, ("Not needed", "Not needed")),
    ],
)
def test_visit_next_steps_says_only_what_the_booking_shows(status, now, expected):
    steps = visit_next_steps(_unsaved(status), now)

    assert (steps.preparation, steps.debrief) == expected


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (S.REQUESTED, BEFORE, (False, False)),
        (S.CONFIRMED, BEFORE, (True, False)),
        (S.CONFIRMED, AFTER, (False, True)),
        (S.ATTENDED, AFTER, (False, True)),
        (S.NO_SHOW, AFTER, (False, False)),
        (S.CANCELLED, BEFORE, (False, False)),
    ],
)
def test_visit_next_steps_opens_the_pages_the_participant_can_use_now(status, now, expected):
    steps = visit_next_steps(_unsaved(status), now)

    assert (steps.preparation_open, steps.debrief_open) == expected


@pytest.mark.parametrize(
    ("preparation_status", "debrief_status", "now", "expected"),
    [
        ("draft", None, BEFORE, ("Draft saved: submit before Tue 3 Mar 2026", "Due from Tue 3 Mar 2026")),
        ("submitted", None, BEFORE, ("Submitted", "Due from Tue 3 Mar 2026")),
        ("submitted", "draft", AFTER, ("Submitted", "Draft")),
        (None, "changes_requested", AFTER, ("", "Changes requested")),
        ("submitted", "published", AFTER, ("Submitted", "Published")),
    ],
)
def test_visit_next_steps_reads_the_preparation_and_debrief(
    preparation_status, debrief_status, now, expected
):
    from debriefs.models import Debrief, Preparation

    booking = _unsaved(S.CONFIRMED)
    if preparation_status:
        booking.preparation = Preparation(status=preparation_status)
    if debrief_status:
        booking.debrief = Debrief(status=debrief_status)

    steps = visit_next_steps(booking, now)

    assert (steps.preparation, steps.debrief) == expected


def test_visit_next_steps_debrief_of_a_two_day_visit_is_due_from_its_last_day():
    two_days = _unsaved(S.CONFIRMED, ends_on=datetime.date(2026, 3, 4))

    assert visit_next_steps(two_days, BEFORE) == VisitNextSteps(
        "To do before Tue 3 Mar 2026", "Due from Wed 4 Mar 2026", preparation_open=True
    )


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "expected"),
    [
        (_local(TUESDAY, 9, 30), _local(TUESDAY, 16), "Tue 3 Mar 2026, 9:30am to 4pm"),
        (_local(TUESDAY, 0), _local(TUESDAY, 12), "Tue 3 Mar 2026, midnight to midday"),
        (
            _local(TUESDAY, 9),
            _local(datetime.date(2026, 3, 4), 17, 15),
            "Tue 3 Mar 2026, 9am to Wed 4 Mar 2026, 5:15pm",
        ),
        # Stored in UTC, shown in London time (summer time here).
        (
            datetime.datetime(2026, 6, 2, 8, 0, tzinfo=datetime.UTC),
            datetime.datetime(2026, 6, 2, 12, 45, tzinfo=datetime.UTC),
            "Tue 2 Jun 2026, 9am to 1:45pm",
        ),
    ],
)
def test_visit_when_writes_dates_and_times_the_govuk_way(starts_at, ends_at, expected):
    assert visit_when(Slot(starts_at=starts_at, ends_at=ends_at)) == expected


# --- The page -------------------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Each table's rows as lists of cell text, and its links, keyed by the table's caption."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.links: dict[str, list[str]] = {}
        self._caption = None
        self._in_caption = self._in_cell = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._in_caption, self._text = True, ""
        elif tag == "tr" and self._caption is not None:
            self._row = []
        elif tag == "td":
            self._in_cell, self._text = True, ""
        elif tag == "a" and self._in_cell:
            self.links[self._caption].append(dict(attrs)["href"])
        elif tag == "br" and self._in_cell:
            self._text += " "

    def handle_endtag(self, tag):
        if tag == "caption":
            self._caption, self._in_caption = " ".join(self._text.split()), False
            self.rows[self._caption], self.links[self._caption] = [], []
        elif tag == "td":
            self._row.append(" ".join(self._text.split()))
            self._in_cell = False
        elif tag == "tr" and self._caption is not None and self._row:
            self.rows[self._caption].append(self._row)
        elif tag == "table":
            self._caption = None

    def handle_data(self, data):
        if self._in_caption or self._in_cell:
            self._text += data


def _tables(response) -> _Tables:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser


def _day(days: int) -> str:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return f"{day:%a} {day.day} {day:%b %Y}"


UPCOMING = "Upcoming visits, soonest first"
PAST = "Past visits, latest first"


def test_visits_page_shows_the_days_summary_and_both_tables(client):
    participant = ParticipantFactory()
    programme, _ = _enrolled(
        participant,
        name="Connecting Health",
        target_days_per_participant=2,
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    discharge = OpportunityFactory(
        programmes=[programme],
        title="A day with the discharge team",
        partner=PartnerFactory(name="Oakfield Care Home"),
    )
    hospice = OpportunityFactory(
        programmes=[programme], title="Hospice at home", partner=PartnerFactory(name="Lakeside Hospice")
    )
    upcoming = _book(participant, S.CONFIRMED, _in_days(10, 9, 30), _in_days(10, 16), opportunity=discharge)
    past = _book(participant, S.ATTENDED, _in_days(-7, 9), _in_days(-7, 17), opportunity=hospice)
    client.force_login(participant)

    response = client.get(VISITS)

    html = response.content.decode()
    tables = _tables(response)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">My visits</h1>' in html
    assert "1 of 2 days completed, 2 booked" in html
    assert tables.rows == {
        UPCOMING: [
            [
                f"{_day(10)}, 9:30am to 4pm",
                "A day with the discharge team Oakfield Care Home",
                "Confirmed",
                f"To do before {_day(10)}",
                f"Due from {_day(10)}",
            ]
        ],
        PAST: [[f"{_day(-7)}, 9am to 5pm", "Hospice at home Lakeside Hospice", "Attended", "–", "Due now"]],
    }
    # The next steps link to the pages the participant can use now.
    assert tables.links == {
        UPCOMING: [f"/bookings/{upcoming.pk}/", f"/bookings/{upcoming.pk}/preparation/"],
        PAST: [f"/bookings/{past.pk}/", f"/bookings/{past.pk}/debrief/"],
    }
    assert '<strong class="govuk-tag govuk-tag--green">Confirmed</strong>' in html
    assert [item["label"] for item in response.context["service_navigation"] if item["current"]] == [
        "My visits"
    ]


def test_visits_page_with_no_visits_points_to_finding_an_opportunity(client):
    client.force_login(ParticipantFactory())

    response = client.get(VISITS)

    html = response.content.decode()
    assert _tables(response).rows == {}
    assert (
        '<p class="govuk-body">You have no upcoming visits. '
        f'<a class="govuk-link" href="{reverse("browse:list")}">Find an opportunity</a></p>'
    ) in html
    assert '<p class="govuk-body">You have no past visits.</p>' in html
    assert "You are not enrolled on a programme yet." in html


@pytest.mark.parametrize("make_user", [lambda: PartnerMembershipFactory().user, ProgrammeTeamFactory])
def test_visits_page_is_forbidden_to_partner_contacts_and_the_programme_team(client, make_user):
    client.force_login(make_user())

    assert client.get(VISITS).status_code == 403


def test_visits_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(VISITS)

    assert (response.status_code, response["Location"]) == (302, f"{reverse('account_login')}?next={VISITS}")


def test_visits_page_never_shows_another_participants_bookings(client):
    participant, other = ParticipantFactory(), ParticipantFactory()
    mine_next = _book(participant, S.REQUESTED, _in_days(5, 9), _in_days(5, 17))
    mine_before = _book(participant, S.CANCELLED, _in_days(6, 9), _in_days(6, 17))
    theirs = [
        _book(other, S.CONFIRMED, _in_days(5, 9), _in_days(5, 17), opportunity=mine_next.slot.opportunity),
        _book(other, S.ATTENDED, _in_days(-5, 9), _in_days(-5, 17)),
    ]
    client.force_login(participant)

    response = client.get(VISITS)

    html = response.content.decode()
    assert list(response.context["upcoming_page"]) == [mine_next]
    assert list(response.context["past_page"]) == [mine_before]
    assert _tables(response).links == {
        UPCOMING: [f"/bookings/{mine_next.pk}/"],
        PAST: [f"/bookings/{mine_before.pk}/"],
    }
    assert theirs[1].slot.opportunity.title not in html


def _upcoming_and_past(participant, programme, count: int) -> None:
    for n in range(count):
        opportunity = OpportunityFactory(programmes=[programme])
        _book(participant, S.CONFIRMED, _in_days(10 + n, 9), _in_days(10 + n, 17), opportunity=opportunity)
        _book(participant, S.ATTENDED, _in_days(-10 - n, 9), _in_days(-10 - n, 17), opportunity=opportunity)


def test_visits_page_query_count_does_not_grow_with_visits(client, django_assert_num_queries):
    participant = ParticipantFactory()
    programme, _ = _enrolled(participant, starts_on=timezone.localdate() - datetime.timedelta(days=60))
    _enrolled(participant, starts_on=timezone.localdate() - datetime.timedelta(days=60))
    client.force_login(participant)
    _upcoming_and_past(participant, programme, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(_tables(client.get(VISITS)).rows[UPCOMING]) == 1

    _upcoming_and_past(participant, programme, 2)

    with django_assert_num_queries(len(one)):
        response = client.get(VISITS)
    assert (len(_tables(response).rows[UPCOMING]), len(_tables(response).rows[PAST])) == (3, 3)


def test_visits_page_of_a_participant_with_a_few_visits_reads_them_in_one_query_and_counts_none(client):
    participant = ParticipantFactory()
    programme, _ = _enrolled(participant, starts_on=timezone.localdate() - datetime.timedelta(days=60))
    _upcoming_and_past(participant, programme, 2)
    client.force_login(participant)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(VISITS)

    bookings_read = [q["sql"] for q in queries if 'FROM "placements_booking"' in q["sql"]]
    assert (len(_tables(response).rows[UPCOMING]), len(_tables(response).rows[PAST])) == (2, 2)
    assert [("COUNT(" in sql) for sql in bookings_read] == [False]


def test_visits_page_pages_each_table_by_25_with_its_own_parameter(client):
    participant = ParticipantFactory()
    opportunity = OpportunityFactory(title="Ward round")
    upcoming = [
        _book(participant, S.REQUESTED, _in_days(n, 9), _in_days(n, 17), opportunity=opportunity)
        for n in range(1, 27)
    ]
    past = [
        _book(participant, S.ATTENDED, _in_days(-n, 9), _in_days(-n, 17), opportunity=opportunity)
        for n in range(1, 27)
    ]
    client.force_login(participant)

    first = client.get(VISITS)
    second = client.get(VISITS, {"upcoming_page": 2, "past_page": 2})

    assert [len(first.context["upcoming_page"]), len(first.context["past_page"])] == [25, 25]
    assert list(second.context["upcoming_page"]) == [upcoming[-1]]
    assert list(second.context["past_page"]) == [past[-1]]
    html = second.content.decode()
    assert 'href="?upcoming_page=1&amp;past_page=2" rel="prev"' in html
    assert 'href="?upcoming_page=2&amp;past_page=1" rel="prev"' in html
    assert 'href="?upcoming_page=2" rel="next"' in first.content.decode()
    assert 'href="?past_page=2" rel="next"' in first.content.decode()
