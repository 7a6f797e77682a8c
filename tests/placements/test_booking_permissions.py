"""Who may see and act on a booking: the predicates, and the selectors that make the one door."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from placements.models import BookingStatus, ManagerApproval
from placements.permissions import (
    can_accept_offer,
    can_answer_booking,
    can_cancel_booking,
    can_record_attendance,
    can_see_line_manager_email,
    can_view_booking,
)
from placements.selectors.bookings import (
    booking_get_for_user,
    booking_list_awaiting_answer,
    booking_list_awaiting_manager,
    booking_list_for_user,
    booking_programme_choices,
)
from tests.factories import (
    BookingEventFactory,
    BookingFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

PREDICATES = {
    "view": can_view_booking,
    "cancel": can_cancel_booking,
    "answer": can_answer_booking,
    "attendance": can_record_attendance,
    "accept": can_accept_offer,
    "line manager's address": can_see_line_manager_email,
}


@pytest.fixture
def booking():
    return BookingFactory()


@pytest.fixture
def people(booking):
    partner = booking.slot.opportunity.partner
    return {
        "own participant": booking.participant,
        "other participant": ParticipantFactory(),
        "partner contact": PartnerMembershipFactory(partner=partner).user,
        "other partner's contact": PartnerMembershipFactory().user,
        "programme team": ProgrammeTeamFactory(),
        "anonymous": AnonymousUser(),
        "deactivated contact": PartnerMembershipFactory(partner=partner, user__is_active=False).user,
    }


def test_booking_predicates_follow_the_permission_matrix(booking, people):
    allowed = {
        who: sorted(name for name, may in PREDICATES.items() if may(user, booking))
        for who, user in people.items()
    }

    assert allowed == {
        "own participant": ["accept", "cancel", "line manager's address", "view"],
        "other participant": [],
        "partner contact": ["answer", "attendance", "cancel", "view"],
        "other partner's contact": [],
        "programme team": ["answer", "attendance", "cancel", "line manager's address", "view"],
        "anonymous": [],
        "deactivated contact": [],
    }


def test_booking_list_for_user_holds_only_what_each_person_may_see(booking, people):
    elsewhere = BookingFactory()

    seen = {who: list(booking_list_for_user(user=user).order_by("pk")) for who, user in people.items()}

    assert seen == {
        "own participant": [booking],
        "other participant": [],
        "partner contact": [booking],
        "other partner's contact": [],
        "programme team": [booking, elsewhere],
        "anonymous": [],
        "deactivated contact": [],
    }


def test_booking_list_for_user_agrees_with_can_view_booking(booking, people):
    bookings = [
        booking,
        BookingFactory(participant=people["own participant"]),  # the same person, another partner
        BookingFactory(slot__opportunity__partner=booking.slot.opportunity.partner),  # someone else
        BookingFactory(),
    ]
    for user in people.values():
        assert {b.pk for b in booking_list_for_user(user=user)} == {
            b.pk for b in bookings if can_view_booking(user, b)
        }


def test_booking_get_for_user_answers_404_to_anyone_who_may_not_see_it(booking, people):
    for who in ("other participant", "other partner's contact", "anonymous"):
        with pytest.raises(Http404):
            booking_get_for_user(booking_id=booking.pk, user=people[who])

    assert booking_get_for_user(booking_id=booking.pk, user=people["partner contact"]) == booking


def test_booking_get_for_user_loads_the_history_in_order_with_its_actors(
    booking, people, django_assert_num_queries
):
    later = BookingEventFactory(
        booking=booking, to_status=BookingStatus.CONFIRMED, actor=people["partner contact"]
    )
    earlier = BookingEventFactory(booking=booking, created_at=later.created_at.replace(year=2020))

    with django_assert_num_queries(2):
        fetched = booking_get_for_user(booking_id=booking.pk, user=people["programme team"])
        history = [(event, event.actor_name) for event in fetched.events.all()]
        where = fetched.slot.opportunity.partner.name, fetched.programme.name, str(fetched.participant)

    assert history == [
        (earlier, booking.participant.full_name),
        (later, people["partner contact"].full_name),
    ]
    assert where == (booking.slot.opportunity.partner.name, booking.programme.name, str(booking.participant))


def test_requests_awaiting_answer_are_the_users_partners_requests_only(booking, people):
    partner = booking.slot.opportunity.partner
    confirmed = BookingFactory(slot__opportunity__partner=partner, status=BookingStatus.CONFIRMED)
    elsewhere = BookingFactory()

    waiting = {who: list(booking_list_awaiting_answer(user=user)) for who, user in people.items()}

    assert confirmed not in waiting["programme team"]
    assert waiting == {
        "own participant": [],
        "other participant": [],
        "partner contact": [booking],
        "other partner's contact": [],
        "programme team": [booking, elsewhere],
        "anonymous": [],
        "deactivated contact": [],
    }


def test_requests_waiting_for_the_line_manager_are_for_the_team_to_see_and_nobody_to_answer(booking, people):
    partner = booking.slot.opportunity.partner
    with_manager = BookingFactory(
        slot__opportunity__partner=partner,
        line_manager_email="boss@dhsc.gov.uk",
        manager_approval=ManagerApproval.PENDING,
    )
    approved = BookingFactory(
        slot__opportunity__partner=partner,
        line_manager_email="boss@dhsc.gov.uk",
        manager_approval=ManagerApproval.APPROVED,
    )

    answerable = {who: list(booking_list_awaiting_answer(user=user)) for who, user in people.items()}
    with_the_manager = {who: list(booking_list_awaiting_manager(user=user)) for who, user in people.items()}

    assert answerable["partner contact"] == answerable["programme team"] == [booking, approved]
    assert with_the_manager == {
        "own participant": [],
        "other participant": [],
        "partner contact": [],
        "other partner's contact": [],
        "programme team": [with_manager],
        "anonymous": [],
        "deactivated contact": [],
    }


def test_programme_choices_are_those_the_participant_is_on_that_offer_the_opportunity():
    on_both, also_on_both = ProgrammeFactory(name="Beta"), ProgrammeFactory(name="Alpha")
    only_offers, only_enrolled = ProgrammeFactory(name="Gamma"), ProgrammeFactory(name="Delta")
    slot = SlotFactory(opportunity=OpportunityFactory(programmes=[on_both, also_on_both, only_offers]))
    participant = ParticipantFactory()
    for programme in (on_both, also_on_both, only_enrolled):
        EnrolmentFactory(programme=programme, participant=participant)

    assert booking_programme_choices(slot=slot, participant=participant) == [also_on_both, on_both]
    assert booking_programme_choices(slot=slot, participant=ParticipantFactory()) == []
