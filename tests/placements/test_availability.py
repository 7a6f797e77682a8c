"""What "available" means: the bookable-slot filter, the per-slot explanation on the detail page,
and that both agree with `booking_request`, the authority, slot by slot."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.page_bodies import page_bodies_clear
from partners.models import Nation, PartnerBlackout, Region
from placements.models import BookingStatus
from placements.selectors.availability import (
    notice_earliest_day,
    slot_availability_list,
    slot_list_bookable,
)
from placements.selectors.browse import (
    BrowseFilters,
    opportunity_browse_list,
    opportunity_recommendations_for,
)
from placements.services.bookings import BookingRefused, booking_request
from placements.services.interests import participant_interests_save
from tests.factories import (
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


def _today() -> datetime.date:
    return timezone.localdate()


def _at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """A London wall-clock time: 00:30 is still the day before in UTC while summer time runs."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _slot(opportunity, day: datetime.date, *, hour=9, minute=0, capacity=4, places_held=0):
    start = _at(day, hour, minute)
    return SlotFactory(
        opportunity=opportunity,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        capacity=capacity,
        places_held=places_held,
    )


def _monday_weeks_ahead(weeks: int) -> datetime.date:
    today = _today()
    return today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks)


def _first_of_month_ahead(months: int) -> datetime.date:
    day = _today().replace(day=1)
    for _ in range(months):
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return day


def _blackout(partner, first: datetime.date, last: datetime.date, reason="Winter pressures"):
    return PartnerBlackout.objects.create(partner=partner, starts_on=first, ends_on=last, reason=reason)


class _Undo(Exception):
    """Raised to roll back a booking that went through: each slot is tried on the same data."""


def _service_accepts(slot, participant, programme) -> bool:
    try:
        with transaction.atomic():
            booking_request(slot=slot, participant=participant, programme=programme)
            raise _Undo
    except _Undo:
        return True
    except BookingRefused:
        return False


def _rows(opportunity, participant=None, now=None) -> list[tuple[str, bool, str]]:
    return [
        (_when(row.slot), row.can_request, row.reason)
        for row in slot_availability_list(opportunity=opportunity, participant=participant, now=now)
    ]


def _when(slot) -> str:
    return f"{timezone.localtime(slot.starts_at):%Y-%m-%d %H:%M}"


@pytest.fixture
def programme():
    return ProgrammeFactory()


@pytest.fixture
def participant(programme):
    return EnrolmentFactory(programme=programme).participant


# --- The filter, the explanation and the service agree ------------------------------------------


def test_bookable_filter_and_slot_explanations_agree_with_booking_request_for_every_slot(
    postgres, programme, participant
):
    slots = {}

    # No caps, no blackouts: free, full, inside the notice period and on its first allowed day,
    # already asked for by the participant, and already started.
    plain = OpportunityFactory(programmes=[programme], minimum_notice_working_days=10)
    earliest = notice_earliest_day(today=_today(), notice=10, nation=Nation.ENGLAND)
    slots["free"] = _slot(plain, _today() + datetime.timedelta(days=30))
    slots["full"] = _slot(plain, _today() + datetime.timedelta(days=31), capacity=2, places_held=2)
    slots["inside notice"] = _slot(plain, earliest - datetime.timedelta(days=1))
    slots["first day notice allows"] = _slot(plain, earliest)
    slots["asked for"] = _slot(plain, _today() + datetime.timedelta(days=35))
    booking_request(slot=slots["asked for"], participant=participant, programme=programme)
    slots["started"] = _slot(plain, _today() - datetime.timedelta(days=1))

    # Scotland's bank holidays, and a shorter notice.
    scottish = OpportunityFactory(
        partner=PartnerFactory(region=Region.SCOTLAND), programmes=[programme], minimum_notice_working_days=3
    )
    earliest_scotland = notice_earliest_day(today=_today(), notice=3, nation=Nation.SCOTLAND)
    slots["Scotland, inside notice"] = _slot(scottish, earliest_scotland - datetime.timedelta(days=1))
    slots["Scotland, first day notice allows"] = _slot(scottish, earliest_scotland)

    # A blackout over three days; 00:30 London time is the day before in UTC in summer.
    closed = OpportunityFactory(programmes=[programme])
    first = _today() + datetime.timedelta(days=40)
    _blackout(closed.partner, first, first + datetime.timedelta(days=2))
    slots["blackout, first day just after midnight"] = _slot(closed, first, hour=0, minute=30)
    slots["blackout, middle day"] = _slot(closed, first + datetime.timedelta(days=1))
    slots["day after blackout, just after midnight"] = _slot(
        closed, first + datetime.timedelta(days=3), hour=0, minute=30
    )

    # A weekly cap of 3 across two opportunities: one week full, the next Monday free.
    weekly = PartnerFactory(max_visitors_per_week=3)
    weekly_a = OpportunityFactory(partner=weekly, programmes=[programme])
    weekly_b = OpportunityFactory(partner=weekly, programmes=[programme])
    monday = _monday_weeks_ahead(6)
    slots["full week, places left"] = _slot(weekly_a, monday + datetime.timedelta(days=1), places_held=3)
    slots["full week, other opportunity"] = _slot(weekly_b, monday + datetime.timedelta(days=6), hour=23)
    slots["next Monday just after midnight"] = _slot(
        weekly_b, monday + datetime.timedelta(days=7), hour=0, minute=30
    )
    slots["week under its cap"] = _slot(weekly_a, monday + datetime.timedelta(days=21), places_held=2)

    # A monthly cap of 4: one month full, the first of the next month free.
    monthly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_month=4), programmes=[programme])
    month = _first_of_month_ahead(3)
    next_month = _first_of_month_ahead(4)
    slots["full month, early"] = _slot(monthly, month + datetime.timedelta(days=2), places_held=2)
    slots["full month, late"] = _slot(monthly, month + datetime.timedelta(days=12), places_held=2)
    slots["full month, last evening"] = _slot(monthly, next_month - datetime.timedelta(days=1), hour=23)
    slots["first of next month just after midnight"] = _slot(monthly, next_month, hour=0, minute=30)

    bookable_ids = set(slot_list_bookable(participant=participant).values_list("pk", flat=True))
    explained = {
        row.slot.pk: row.can_request
        for opportunity in (plain, scottish, closed, weekly_a, weekly_b, monthly)
        for row in slot_availability_list(opportunity=opportunity, participant=participant)
    }
    accepted = {name for name, slot in slots.items() if _service_accepts(slot, participant, programme)}

    assert accepted == {
        "free",
        "first day notice allows",
        "Scotland, first day notice allows",
        "day after blackout, just after midnight",
        "next Monday just after midnight",
        "week under its cap",
        "first of next month just after midnight",
    }
    for name, slot in slots.items():
        assert (name, slot.pk in bookable_ids) == (name, name in accepted)
        assert (name, explained.get(slot.pk, False)) == (name, name in accepted)
    assert set(explained) == {slot.pk for name, slot in slots.items() if name != "started"}


def test_local_dates_decide_blackouts_weeks_and_months_in_summer_time(postgres, programme, participant):
    """00:30 in London in July is 23:30 the day before in UTC: the London date must decide."""
    july = datetime.date(_today().year + 1, 7, 1)
    monday = july + datetime.timedelta(days=(7 - july.weekday()) % 7 + 7)  # the second Monday
    weekly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_week=1), programmes=[programme])
    _blackout(weekly.partner, monday + datetime.timedelta(days=2), monday + datetime.timedelta(days=2))
    monthly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_month=1), programmes=[programme])
    slots = {
        "Sunday evening, fills its week": _slot(weekly, monday - datetime.timedelta(days=1), hour=22),
        "Monday just after midnight": _slot(weekly, monday, hour=0, minute=30),
        "blackout day just after midnight": _slot(
            weekly, monday + datetime.timedelta(days=2), hour=0, minute=30
        ),
        "day after the blackout just after midnight": _slot(
            weekly, monday + datetime.timedelta(days=3), hour=0, minute=30
        ),
        "30 June, fills June": _slot(monthly, july - datetime.timedelta(days=1), hour=12),
        "1 July just after midnight": _slot(monthly, july, hour=0, minute=30),
    }
    for name in ("Sunday evening, fills its week", "30 June, fills June"):
        slots[name].places_held = 1
        slots[name].save()

    bookable_ids = set(slot_list_bookable(participant=participant).values_list("pk", flat=True))
    explained = {
        row.slot.pk: row.can_request
        for opportunity in (weekly, monthly)
        for row in slot_availability_list(opportunity=opportunity, participant=participant)
    }
    accepted = {name for name, slot in slots.items() if _service_accepts(slot, participant, programme)}

    assert accepted == {
        "Monday just after midnight",
        "day after the blackout just after midnight",
        "1 July just after midnight",
    }
    assert {name for name, slot in slots.items() if slot.pk in bookable_ids} == accepted
    assert {name for name, slot in slots.items() if explained[slot.pk]} == accepted


def test_weeks_and_months_end_at_local_midnight_when_the_clocks_go_back(postgres, programme, participant):
    """The full weeks and months are time ranges from local midnight to local midnight: across the
    October change, 23:30 on the last Sunday and on 31 October (GMT again) still belong to them."""
    year = _today().year + 1
    october_31 = datetime.date(year, 10, 31)
    last_sunday = october_31 - datetime.timedelta(days=(october_31.weekday() + 1) % 7)
    monday = last_sunday - datetime.timedelta(days=6)
    weekly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_week=1), programmes=[programme])
    monthly = OpportunityFactory(partner=PartnerFactory(max_visitors_per_month=1), programmes=[programme])
    slots = {
        "Sunday 23:30 after the change, fills its week": _slot(weekly, last_sunday, hour=23, minute=30),
        "Monday of that week": _slot(weekly, monday, hour=0, minute=30),
        "next Monday just after midnight": _slot(
            weekly, last_sunday + datetime.timedelta(days=1), hour=0, minute=30
        ),
        "31 October 23:30, fills October": _slot(monthly, october_31, hour=23, minute=30),
        "1 October just after midnight": _slot(monthly, datetime.date(year, 10, 1), hour=0, minute=30),
        "1 November just after midnight": _slot(
            monthly, october_31 + datetime.timedelta(days=1), hour=0, minute=30
        ),
    }
    for name in ("Sunday 23:30 after the change, fills its week", "31 October 23:30, fills October"):
        slots[name].places_held = 1
        slots[name].save()

    bookable_ids = set(slot_list_bookable(participant=participant).values_list("pk", flat=True))
    explained = {
        row.slot.pk: row.can_request
        for opportunity in (weekly, monthly)
        for row in slot_availability_list(opportunity=opportunity, participant=participant)
    }
    accepted = {name for name, slot in slots.items() if _service_accepts(slot, participant, programme)}

    assert accepted == {"next Monday just after midnight", "1 November just after midnight"}
    assert {name for name, slot in slots.items() if slot.pk in bookable_ids} == accepted
    assert {name for name, slot in slots.items() if explained[slot.pk]} == accepted


def test_bookable_filter_without_a_participant_still_counts_their_slot_as_bookable(programme, participant):
    slot = SlotFactory(opportunity=OpportunityFactory(programmes=[programme]), days_ahead=30)
    booking_request(slot=slot, participant=participant, programme=programme)

    assert (
        list(slot_list_bookable()),
        list(slot_list_bookable(participant=participant)),
        list(slot_list_bookable(participant=ParticipantFactory())),
    ) == ([slot], [], [slot])


def test_notice_earliest_day_skips_weekends_and_the_nations_bank_holidays():
    friday_before_christmas = datetime.date(2026, 12, 18)

    assert [
        notice_earliest_day(today=friday_before_christmas, notice=n, nation=Nation.ENGLAND) for n in (0, 1, 5)
    ] == [datetime.date(2026, 12, 18), datetime.date(2026, 12, 21), datetime.date(2026, 12, 29)]
    # 2 January is a bank holiday in Scotland only.
    assert [
        notice_earliest_day(today=datetime.date(2026, 12, 31), notice=2, nation=nation)
        for nation in (Nation.ENGLAND, Nation.SCOTLAND)
    ] == [datetime.date(2027, 1, 5), datetime.date(2027, 1, 6)]


# --- Each reason, on its own ----------------------------------------------------------------------


def test_slot_availability_a_bookable_slot_can_be_requested(participant):
    opportunity = OpportunityFactory()
    slot = SlotFactory(opportunity=opportunity, places_held=1)

    [row] = slot_availability_list(opportunity=opportunity, participant=participant)

    assert (row.slot, row.places_left, row.can_request, row.reason, row.booking_status) == (
        slot,
        3,
        True,
        "",
        "",
    )


def test_slot_availability_full():
    opportunity = OpportunityFactory()
    slot = SlotFactory(opportunity=opportunity, places_held=4)

    assert _rows(opportunity) == [(_when(slot), False, "Full")]


@pytest.mark.parametrize(
    ("notice", "reason"),
    [(10, "Too soon: needs 10 working days' notice"), (1, "Too soon: needs 1 working day's notice")],
)
def test_slot_availability_too_soon_names_the_notice(notice, reason):
    opportunity = OpportunityFactory(minimum_notice_working_days=notice)
    earliest = notice_earliest_day(today=_today(), notice=notice, nation=Nation.ENGLAND)
    too_soon = _slot(opportunity, earliest - datetime.timedelta(days=1))  # may be today at 09:00 ...
    in_time = _slot(opportunity, earliest)
    just_after_midnight = _at(_today(), 0, 1)  # ... so look from the start of today

    assert _rows(opportunity, now=just_after_midnight) == [
        (_when(too_soon), False, reason),
        (_when(in_time), True, ""),
    ]


def test_slot_availability_in_a_blackout_gives_the_partners_reason():
    opportunity = OpportunityFactory()
    slot = SlotFactory(opportunity=opportunity, days_ahead=40)
    day = timezone.localdate(slot.starts_at)
    _blackout(opportunity.partner, day - datetime.timedelta(days=3), day, reason="Winter pressures")
    _blackout(PartnerFactory(), day, day, reason="Another partner's inspection")

    assert _rows(opportunity) == [(_when(slot), False, "Not taking visitors: Winter pressures")]


def test_slot_availability_week_full_counts_the_partners_other_opportunities():
    partner = PartnerFactory(max_visitors_per_week=2)
    opportunity = OpportunityFactory(partner=partner)
    monday = _monday_weeks_ahead(5)
    _slot(OpportunityFactory(partner=partner), monday, places_held=2)
    full_week = _slot(opportunity, monday + datetime.timedelta(days=4))
    next_week = _slot(opportunity, monday + datetime.timedelta(days=7))

    assert _rows(opportunity) == [
        (_when(full_week), False, "This week is full"),
        (_when(next_week), True, ""),
    ]


def test_slot_availability_month_full():
    opportunity = OpportunityFactory(partner=PartnerFactory(max_visitors_per_month=3))
    month = _first_of_month_ahead(2)
    held = _slot(opportunity, month + datetime.timedelta(days=1), capacity=5, places_held=3)
    later = _slot(opportunity, month + datetime.timedelta(days=20))

    assert _rows(opportunity) == [
        (_when(held), False, "This month is full"),
        (_when(later), False, "This month is full"),
    ]


def test_slot_availability_says_the_participant_has_asked_and_shows_the_status(programme, participant):
    opportunity = OpportunityFactory(programmes=[programme])
    slot = SlotFactory(opportunity=opportunity, capacity=1)
    booking_request(slot=slot, participant=participant, programme=programme)

    [row] = slot_availability_list(opportunity=opportunity, participant=participant)
    [as_another] = slot_availability_list(opportunity=opportunity, participant=ParticipantFactory())

    # Their own booking comes before "Full", though it is what filled the slot.
    assert (row.can_request, row.reason, row.booking_status, row.booking_status_label) == (
        False,
        "You have asked for this date",
        BookingStatus.REQUESTED,
        "Requested",
    )
    assert (as_another.can_request, as_another.reason) == (False, "Full")


def test_slot_availability_lists_upcoming_slots_only():
    opportunity = OpportunityFactory()
    SlotFactory(opportunity=opportunity, days_ahead=-1)
    upcoming = SlotFactory(opportunity=opportunity, days_ahead=30)

    assert [row.slot for row in slot_availability_list(opportunity=opportunity)] == [upcoming]


# --- The detail page ------------------------------------------------------------------------------


def _detail(opportunity) -> str:
    return reverse("browse:detail", args=[opportunity.pk])


def test_detail_shows_the_reason_instead_of_the_button_and_the_participants_own_request(
    client, programme, participant
):
    partner = PartnerFactory(max_visitors_per_week=1)
    opportunity = OpportunityFactory(partner=partner, programmes=[programme])
    monday = _monday_weeks_ahead(5)
    asked = _slot(opportunity, monday + datetime.timedelta(days=1))
    own = booking_request(slot=asked, participant=participant, programme=programme)  # fills the week
    same_week = _slot(opportunity, monday + datetime.timedelta(days=3))
    blackout_day = monday + datetime.timedelta(days=15)
    _blackout(partner, blackout_day, blackout_day, reason="CQC inspection")
    blacked_out = _slot(opportunity, blackout_day)
    bookable = _slot(opportunity, monday + datetime.timedelta(days=22))
    client.force_login(participant)

    response = client.get(_detail(opportunity))
    html = response.content.decode()

    assert [(row.slot, row.can_request) for row in response.context["slot_rows"]] == [
        (asked, False),
        (same_week, False),
        (blacked_out, False),
        (bookable, True),
    ]
    assert html.count('href="/bookings/request/') == 1
    assert reverse("bookings:request", args=[bookable.pk]) in html
    for text in (
        f'<a class="govuk-link" href="/bookings/{own.pk}/">You have asked for this date</a> '
        '<strong class="govuk-tag govuk-tag--blue">Requested</strong>',
        "This week is full",
        "Not taking visitors: CQC inspection",
    ):
        assert text in html, text


@pytest.mark.parametrize("who", ["contact", "team"])
def test_detail_offers_no_button_to_people_who_do_not_book_even_on_a_bookable_slot(client, who):
    opportunity = OpportunityFactory()
    SlotFactory(opportunity=opportunity, days_ahead=30)
    SlotFactory(opportunity=opportunity, days_ahead=31, places_held=4)
    user = (
        PartnerMembershipFactory(partner=opportunity.partner).user
        if who == "contact"
        else ProgrammeTeamFactory()
    )
    client.force_login(user)

    response = client.get(_detail(opportunity))

    assert response.status_code == 200
    assert [row.can_request for row in response.context["slot_rows"]] == [True, False]
    assert "/bookings/request/" not in response.content.decode()


def _detail_queries(client, opportunity):
    """The page's queries and its slot rows, rendered afresh (not a body kept from before)."""
    page_bodies_clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_detail(opportunity))
    assert response.status_code == 200
    return len(queries), len(response.context["slot_rows"])


def test_detail_query_count_does_not_grow_with_slots(client, programme, participant):
    partner = PartnerFactory(max_visitors_per_week=5, max_visitors_per_month=20)
    _blackout(partner, _today() + datetime.timedelta(days=45), _today() + datetime.timedelta(days=46))
    opportunity = OpportunityFactory(partner=partner, programmes=[programme])
    first = SlotFactory(opportunity=opportunity, days_ahead=30)
    booking_request(slot=first, participant=participant, programme=programme)
    client.force_login(participant)
    one, rows = _detail_queries(client, opportunity)
    assert rows == 1

    SlotFactory(opportunity=opportunity, days_ahead=45)
    SlotFactory(opportunity=opportunity, days_ahead=60, places_held=4)
    three, rows = _detail_queries(client, opportunity)

    assert rows == 3
    assert one == three


# --- Browse: cards, filters and recommendations use the same definition --------------------------


def _browse(user, **filters):
    return list(opportunity_browse_list(user=user, filters=BrowseFilters(**filters)))


def test_browse_card_counts_only_bookable_slots(programme, participant):
    partner = PartnerFactory(max_visitors_per_week=2)
    opportunity = OpportunityFactory(partner=partner, programmes=[programme])
    _slot(opportunity, _today() + datetime.timedelta(days=3))  # inside the notice period
    asked = _slot(opportunity, _today() + datetime.timedelta(days=25))
    booking_request(slot=asked, participant=participant, programme=programme)
    blackout_day = _today() + datetime.timedelta(days=30)
    _blackout(partner, blackout_day, blackout_day)
    _slot(opportunity, blackout_day)
    monday = _monday_weeks_ahead(8)
    _slot(opportunity, monday, places_held=2)  # fills its week ...
    _slot(opportunity, monday + datetime.timedelta(days=2))  # ... so this one cannot be booked
    bookable = _slot(opportunity, monday + datetime.timedelta(days=9), places_held=1)

    [card] = _browse(participant)
    [as_team] = _browse(ProgrammeTeamFactory())

    assert (card.next_free_slot, card.free_places) == (bookable.starts_at, 3)
    # The team sees the slot the participant asked for as still bookable (3 places left on it).
    assert (as_team.next_free_slot, as_team.free_places) == (asked.starts_at, 6)


def test_browse_free_places_filter_and_date_range_leave_out_slots_that_cannot_be_booked(participant):
    def offer(title, **partner_fields):
        return OpportunityFactory(title=title, partner=PartnerFactory(**partner_fields))

    day = _today() + datetime.timedelta(days=40)
    monday = day - datetime.timedelta(days=day.weekday())
    _slot(offer("Bookable"), day)
    _slot(offer("Full"), day, places_held=4)
    _slot(offer("Too soon"), _today() + datetime.timedelta(days=2))
    blacked_out = offer("Blackout")
    _blackout(blacked_out.partner, day, day)
    _slot(blacked_out, day)
    week_full = offer("Week full", max_visitors_per_week=1)
    _slot(OpportunityFactory(partner=week_full.partner), monday + datetime.timedelta(days=6), places_held=1)
    _slot(week_full, day)
    month_full = offer("Month full", max_visitors_per_month=2)
    _slot(OpportunityFactory(partner=month_full.partner), day.replace(day=1), places_held=2)
    _slot(month_full, day)

    only_free = [o.title for o in _browse(participant, free_places_only=True)]
    in_range = [o.title for o in _browse(participant, date_from=day, date_to=day)]

    assert only_free == ["Bookable"]
    assert in_range == ["Bookable"]


def test_browse_free_places_filter_leaves_out_what_the_participant_has_asked_for(programme, participant):
    asked = OpportunityFactory(title="Asked for", programmes=[programme])
    booking_request(slot=SlotFactory(opportunity=asked), participant=participant, programme=programme)
    SlotFactory(opportunity=OpportunityFactory(title="Not asked for"))

    assert [o.title for o in _browse(participant, free_places_only=True)] == ["Not asked for"]
    assert [o.title for o in _browse(ParticipantFactory(), free_places_only=True)] == [
        "Asked for",
        "Not asked for",
    ]


def test_recommendations_offer_only_bookable_places_and_soon_means_bookable_soon(participant):
    participant_interests_save(
        participant=participant, policy_areas=[], sectors=["hospice"], base_postcode="", learning_objective=""
    )
    blocked_soon = OpportunityFactory(title="Blackout soon", partner=PartnerFactory(sector="hospice"))
    soon = _today() + datetime.timedelta(days=20)
    _blackout(blocked_soon.partner, soon, soon)
    _slot(blocked_soon, soon)
    _slot(blocked_soon, _today() + datetime.timedelta(days=45))
    only_blocked = OpportunityFactory(title="Only blackout", partner=PartnerFactory(sector="hospice"))
    _blackout(only_blocked.partner, soon, soon)
    _slot(only_blocked, soon)
    too_soon = OpportunityFactory(title="Only too soon", partner=PartnerFactory(sector="hospice"))
    _slot(too_soon, _today() + datetime.timedelta(days=2))
    bookable_soon = OpportunityFactory(title="Bookable soon", partner=PartnerFactory(sector="hospice"))
    _slot(bookable_soon, soon + datetime.timedelta(days=1))

    recommendations = opportunity_recommendations_for(participant=participant)

    assert [(r.opportunity.title, r.score, r.reasons[-1]) for r in recommendations] == [
        ("Bookable soon", 3, "A free place in the next 30 days"),
        ("Blackout soon", 2, "Hospice, one of your sectors"),
    ]
