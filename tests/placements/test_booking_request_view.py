import datetime
import re
import types
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import PartnerBlackout
from placements.models import Booking, BookingStatus, ManagerApproval, OpportunityStatus
from placements.selectors.opportunities import slot_get_for_user
from placements.services.bookings import booking_request
from placements.views import bookings as booking_views
from tests.factories import (
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_participant_requests_a_place_and_the_place_is_held(client):
    slot = SlotFactory(
        opportunity=OpportunityFactory(partner=PartnerFactory(name="Oakfield Care Home")), capacity=2
    )
    participant = EnrolmentFactory(programme=slot.opportunity.programmes.get()).participant
    client.force_login(participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]), follow=True)

    booking = Booking.objects.get()
    assert response.redirect_chain == [(reverse("bookings:detail", args=[booking.pk]), 302)]
    assert _messages(response) == [
        "Your request has been sent to Oakfield Care Home. Your place is held while they confirm."
    ]
    assert list(Booking.objects.values_list("participant", "status")) == [
        (participant.pk, BookingStatus.REQUESTED)
    ]
    slot.refresh_from_db()
    assert slot.places_left == 1


def test_participant_not_enrolled_is_told_why_and_nothing_is_booked(client):
    slot = SlotFactory()
    client.force_login(ParticipantFactory())

    page = client.get(reverse("bookings:request", args=[slot.pk]))
    response = client.post(reverse("bookings:request", args=[slot.pk]))

    message = "You are not enrolled on a programme that offers this opportunity. Ask the programme team to enrol you."
    assert (page.status_code, page.context["programme"]) == (200, None)
    assert message in page.content.decode()
    assert '<form method="post"' not in page.content.decode()
    assert (response.status_code, response.context["form"].errors) == (400, {"__all__": [message]})
    assert Booking.objects.count() == 0


def test_a_full_slot_is_refused_with_a_clear_message(client):
    slot = SlotFactory(capacity=1)
    programme = slot.opportunity.programmes.get()
    booking_request(
        slot=slot, participant=EnrolmentFactory(programme=programme).participant, programme=programme
    )
    client.force_login(EnrolmentFactory(programme=programme).participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    assert (response.status_code, response.context["form"].errors) == (
        400,
        {"__all__": ["This slot is full. You can join its waiting list or choose another date."]},
    )
    assert Booking.objects.count() == 1


def test_a_slot_that_fills_after_its_page_was_read_offers_its_waiting_list_at_once(client, monkeypatch):
    slot = SlotFactory(capacity=1)
    programme = slot.opportunity.programmes.get()
    participant = EnrolmentFactory(programme=programme).participant
    # The request reads the slot with its last place free; another person takes it before the
    # locked check (here, before the request starts: the view is handed the earlier reading).
    read_earlier = slot_get_for_user(slot_id=slot.pk, user=participant)
    booking_request(
        slot=slot, participant=EnrolmentFactory(programme=programme).participant, programme=programme
    )
    monkeypatch.setattr(booking_views, "slot_get_for_user", lambda **_kwargs: read_earlier)
    client.force_login(participant)
    url = reverse("bookings:request", args=[slot.pk])

    refused = client.post(url)

    html = refused.content.decode()
    assert (refused.status_code, refused.context["form"].errors) == (
        400,
        {"__all__": ["This slot is full. You can join its waiting list or choose another date."]},
    )
    assert "This date is full." in html
    assert re.findall(r'<input type="submit"[^>]*?value="([^"]*)"', html) == ["Join the waiting list"]
    assert '<input type="hidden" name="join_waitlist" value="1"' in html
    assert not Booking.objects.filter(participant=participant).exists()

    monkeypatch.undo()
    joined = client.post(url, {"join_waitlist": "1"})

    assert joined.status_code == 302
    assert Booking.objects.get(participant=participant).status == BookingStatus.WAITLISTED


def test_requesting_a_slot_of_an_unpublished_opportunity_answers_404(client):
    slot = SlotFactory(opportunity=OpportunityFactory(status=OpportunityStatus.DRAFT))
    client.force_login(EnrolmentFactory(programme=slot.opportunity.programmes.get()).participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    assert response.status_code == 404
    assert client.get(reverse("bookings:request", args=[slot.pk])).status_code == 404
    assert Booking.objects.count() == 0


def test_only_participants_request_places(client):
    slot = SlotFactory()
    client.force_login(PartnerMembershipFactory(partner=slot.opportunity.partner).user)

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    assert response.status_code == 403
    assert client.get(reverse("bookings:request", args=[slot.pk])).status_code == 403
    assert Booking.objects.count() == 0


def _request_links(html: str) -> list[tuple[str, str]]:
    """Each link to the request page as (address, words shown)."""
    return [
        (href, re.sub(r"<[^>]+>.*?</[^>]+>", "", label).strip())
        for href, label in re.findall(r'<a [^>]*href="(/bookings/request/[^"]+)"[^>]*>(.*?)</a>', html, re.S)
    ]


def test_detail_page_offers_request_links_only_to_participants_and_the_waiting_list_for_full_slots(client):
    opportunity = OpportunityFactory()
    free, full = (
        SlotFactory(opportunity=opportunity, capacity=2),
        SlotFactory(opportunity=opportunity, days_ahead=40),
    )
    full.places_held = full.capacity
    full.save()
    participant = ParticipantFactory()
    url = reverse("browse:detail", args=[opportunity.pk])

    client.force_login(participant)
    as_participant = client.get(url).content.decode()
    client.force_login(PartnerMembershipFactory(partner=opportunity.partner).user)
    as_contact = client.get(url).content.decode()

    assert _request_links(as_participant) == [
        (reverse("bookings:request", args=[free.pk]), "Request a place"),
        (reverse("bookings:request", args=[full.pk]), "Join the waiting list"),
    ]
    assert 'action="/bookings/request/' not in as_participant  # a GET link to a page, not a POST
    assert "/bookings/request/" not in as_contact


def test_participant_home_lists_their_own_requests_soonest_first(client):
    later = SlotFactory(days_ahead=50)
    sooner = SlotFactory(days_ahead=25)
    participant = ParticipantFactory()
    for slot in (later, sooner):
        programme = slot.opportunity.programmes.get()
        EnrolmentFactory(programme=programme, participant=participant)
        booking_request(slot=slot, participant=participant, programme=programme)
    someone_else = EnrolmentFactory(programme=later.opportunity.programmes.get()).participant
    booking_request(slot=later, participant=someone_else, programme=later.opportunity.programmes.get())
    client.force_login(participant)

    response = client.get(reverse("accounts:participant_home"))

    assert [(b.slot, b.status) for b in response.context["bookings"]] == [
        (sooner, BookingStatus.REQUESTED),
        (later, BookingStatus.REQUESTED),
    ]


# --- Choosing the programme a visit counts towards ------------------------------------------------


def _radios(html: str, name: str) -> list[tuple[str, str, bool]]:
    """Each radio of the field as (value, label, checked)."""
    return [
        (value, re.sub(r"\s+", " ", label).strip(), "checked" in attributes)
        for attributes, value, label in re.findall(
            rf'<input([^>]*?name="{name}"[^>]*?value="([^"]*)"[^>]*)>\s*<label[^>]*>(.*?)</label>', html, re.S
        )
    ]


def _hint(html: str, field_id: str) -> str:
    match = re.search(rf'<div id="{field_id}_hint" class="govuk-hint">(.*?)</div>', html, re.S)
    return " ".join(match.group(1).split()) if match else ""


@pytest.fixture
def two_programmes():
    """A slot offered by Alpha (line manager approval), Beta (partner confirms) and Gamma; a
    participant enrolled on Alpha, Beta and Delta (which does not offer it)."""
    alpha = ProgrammeFactory(name="Alpha Leaders", line_manager_approval_required=True)
    beta = ProgrammeFactory(name="Beta Connecting")
    gamma, delta = ProgrammeFactory(name="Gamma Fellows"), ProgrammeFactory(name="Delta Scheme")
    opportunity = OpportunityFactory(
        partner=PartnerFactory(name="Oakfield Care Home"), programmes=[beta, alpha, gamma]
    )
    slot = SlotFactory(opportunity=opportunity)
    participant = ParticipantFactory()
    for programme in (beta, alpha, delta):
        EnrolmentFactory(programme=programme, participant=participant)
    return types.SimpleNamespace(
        slot=slot, participant=participant, alpha=alpha, beta=beta, gamma=gamma, delta=delta
    )


def test_request_page_asks_which_programme_when_more_than_one_applies(client, two_programmes):
    t = two_programmes
    client.force_login(t.participant)

    response = client.get(reverse("bookings:request", args=[t.slot.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["programme", "line_manager_email"]
    assert "Which programme is this visit for?" in html
    # Only the programmes the participant is on AND the opportunity is in, by name; none chosen.
    assert _radios(html, "programme") == [
        (str(t.alpha.pk), "Alpha Leaders", False),
        (str(t.beta.pk), "Beta Connecting", False),
    ]
    assert _hint(html, "id_line_manager_email") == "Needed for Alpha Leaders"
    assert "Counts towards" not in html


def test_request_books_through_the_programme_chosen(client, two_programmes):
    t = two_programmes
    client.force_login(t.participant)
    url = reverse("bookings:request", args=[t.slot.pk])

    unchosen = client.post(url, {})
    not_offered = client.post(url, {"programme": t.delta.pk})
    not_enrolled = client.post(url, {"programme": t.gamma.pk})
    chosen = client.post(url, {"programme": t.beta.pk, "line_manager_email": "not needed, not checked"})

    expected = {"programme": ["Select which programme this visit is for"]}
    assert (unchosen.status_code, unchosen.context["form"].errors) == (400, expected)
    assert (not_offered.status_code, not_offered.context["form"].errors) == (400, expected)
    assert (not_enrolled.status_code, not_enrolled.context["form"].errors) == (400, expected)
    booking = Booking.objects.get()
    assert chosen["Location"] == reverse("bookings:detail", args=[booking.pk])
    # Beta needs no line manager: whatever was typed there is neither checked nor kept.
    assert (booking.programme, booking.manager_approval, booking.line_manager_email) == (
        t.beta,
        ManagerApproval.NOT_REQUIRED,
        "",
    )


def test_request_needs_the_line_manager_only_when_the_chosen_programme_does(client, two_programmes):
    t = two_programmes
    # The programme that needs approval is not the first by name: the choice decides, not the order.
    t.alpha.line_manager_approval_required = False
    t.alpha.save()
    t.beta.line_manager_approval_required = True
    t.beta.save()
    client.force_login(t.participant)
    url = reverse("bookings:request", args=[t.slot.pk])

    page = client.get(url)
    missing = client.post(url, {"programme": t.beta.pk, "line_manager_email": " "})
    given = client.post(url, {"programme": t.beta.pk, "line_manager_email": "grace.boss@dhsc.gov.uk"})

    assert _hint(page.content.decode(), "id_line_manager_email") == "Needed for Beta Connecting"
    assert (missing.status_code, missing.context["form"].errors) == (
        400,
        {"line_manager_email": ["Enter your line manager’s e-mail address"]},
    )
    assert given.status_code == 302
    booking = Booking.objects.get()
    assert (booking.programme, booking.manager_approval, booking.line_manager_email) == (
        t.beta,
        ManagerApproval.PENDING,
        "grace.boss@dhsc.gov.uk",
    )


def test_request_page_leaves_out_the_line_manager_when_no_programme_needs_one(client, two_programmes):
    t = two_programmes
    t.alpha.line_manager_approval_required = False
    t.alpha.save()
    client.force_login(t.participant)

    response = client.get(reverse("bookings:request", args=[t.slot.pk]))

    assert list(response.context["form"].fields) == ["programme"]


# --- What the page and the message say happens next ---------------------------------------------


def _main_text(response) -> str:
    html = response.content.decode()
    main = html[html.index('<main class="govuk-main-wrapper"') : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _approval_slot(*, automatic: bool, capacity: int = 2):
    programme = ProgrammeFactory(
        line_manager_approval_required=True, bookings_confirmed_automatically=automatic
    )
    opportunity = OpportunityFactory(
        partner=PartnerFactory(name="Oakfield Care Home"), programmes=[programme]
    )
    slot = SlotFactory(opportunity=opportunity, capacity=capacity)
    return slot, EnrolmentFactory(programme=programme).participant


def test_automatic_programme_after_line_manager_says_the_place_is_then_confirmed(client):
    slot, participant = _approval_slot(automatic=True)
    client.force_login(participant)
    url = reverse("bookings:request", args=[slot.pk])

    page = client.get(url)
    response = client.post(url, {"line_manager_email": "grace.boss@dhsc.gov.uk"}, follow=True)

    text = _main_text(page)
    assert (
        "Your line manager must approve this visit: we will e-mail them first. Once your line manager "
        "approves, your place is confirmed." in text
    )
    assert "Oakfield Care Home will confirm" not in text
    assert _hint(page.content.decode(), "id_line_manager_email") == (
        "We will e-mail them a link to approve your visit. Once your line manager approves, your place is "
        "confirmed."
    )
    assert _messages(response) == [
        "Your request has been sent to your line manager (grace.boss@dhsc.gov.uk) first. Your place is held "
        "meanwhile. Once your line manager approves, your place is confirmed."
    ]


def test_partner_programme_after_line_manager_says_the_partner_is_asked_next(client):
    slot, participant = _approval_slot(automatic=False)
    client.force_login(participant)

    page = client.get(reverse("bookings:request", args=[slot.pk]))

    assert (
        "Your line manager must approve this visit: we will e-mail them first, then Oakfield Care Home "
        "will confirm or decline it. We hold your place meanwhile." in _main_text(page)
    )
    assert _hint(page.content.decode(), "id_line_manager_email") == (
        "We will e-mail them a link to approve your visit. The partner is asked only after they approve."
    )


@pytest.mark.parametrize("approval", [False, True])
def test_waiting_list_page_and_message_promise_no_held_place_and_the_same_hours(client, approval):
    programme = ProgrammeFactory(line_manager_approval_required=approval)
    slot = SlotFactory(
        opportunity=OpportunityFactory(
            partner=PartnerFactory(name="Oakfield Care Home"), programmes=[programme]
        ),
        capacity=1,
    )
    booking_request(
        slot=slot,
        participant=EnrolmentFactory(programme=programme).participant,
        programme=programme,
        line_manager_email="boss@dhsc.gov.uk",
    )
    participant = EnrolmentFactory(programme=programme).participant
    client.force_login(participant)
    url = reverse("bookings:request", args=[slot.pk])

    page = _main_text(client.get(url))
    response = client.post(
        url, {"join_waitlist": "1", "line_manager_email": "grace.boss@dhsc.gov.uk"}, follow=True
    )

    promise = "If a place comes free, we will e-mail you. You then have up to 48 hours to accept it."
    assert f"This date is full. {promise}" in page
    assert ("hold" in page.lower(), "held" in page.lower()) == (False, False)
    expected = f"You are on the waiting list, at position 1. {promise}"
    if approval:
        assert (
            "Your line manager must approve this visit: we will e-mail them now. You can be offered a place "
            "only once they approve." in page
        )
        expected += (
            " Your line manager (grace.boss@dhsc.gov.uk) must approve your request before you can be offered "
            "a place."
        )
    assert _messages(response) == [expected]
    assert Booking.objects.get(participant=participant).status == BookingStatus.WAITLISTED


# --- A date that cannot be asked for ---------------------------------------------------------------


def _page_for(client, slot, participant=None):
    participant = participant or EnrolmentFactory(programme=slot.opportunity.programmes.get()).participant
    client.force_login(participant)
    return client.get(reverse("bookings:request", args=[slot.pk]))


def _blocked(response) -> tuple[int, str, bool]:
    html = response.content.decode()
    match = re.search(r'<div class="govuk-inset-text" id="request-blocked">(.*?)</div>', html, re.S)
    return (
        response.status_code,
        unescape(match.group(1).strip()) if match else "",
        '<form method="post"' in html,
    )


def test_request_page_for_a_past_slot_says_so_instead_of_the_button(client):
    slot = SlotFactory()
    slot.starts_at -= datetime.timedelta(days=40)
    slot.ends_at -= datetime.timedelta(days=40)
    slot.save()

    assert _blocked(_page_for(client, slot)) == (200, "This date has passed. Choose another date.", False)


def test_request_page_for_a_slot_inside_the_notice_period_says_so(client):
    slot = SlotFactory(opportunity=OpportunityFactory(minimum_notice_working_days=30), days_ahead=3)

    assert _blocked(_page_for(client, slot)) == (200, "Too soon: needs 30 working days' notice", False)


def test_request_page_for_a_full_slot_inside_the_notice_period_offers_no_waiting_list(client):
    slot = SlotFactory(
        opportunity=OpportunityFactory(
            partner=PartnerFactory(name="Oakfield Care Home"), minimum_notice_working_days=30
        ),
        days_ahead=3,
        capacity=1,
    )
    slot.places_held = 1
    slot.save()

    assert _blocked(_page_for(client, slot)) == (
        200,
        "This date is too soon: Oakfield Care Home needs at least 30 working days' notice. Choose a later date.",
        False,
    )


def _blacked_out_day_and_full_week():
    """A partner taking one visitor a week: a slot on a blacked-out day, and one in a week whose
    visitor is booked. Returns the opportunity and those two slots."""
    partner = PartnerFactory(max_visitors_per_week=1)
    opportunity = OpportunityFactory(partner=partner)
    blacked_out = SlotFactory(opportunity=opportunity, days_ahead=60)
    day = timezone.localdate(blacked_out.starts_at)
    PartnerBlackout.objects.create(partner=partner, starts_on=day, ends_on=day, reason="CQC inspection")
    first = SlotFactory(opportunity=opportunity, days_ahead=30)
    same_week = SlotFactory(
        opportunity=opportunity,
        starts_at=first.starts_at + datetime.timedelta(hours=4),
        ends_at=first.ends_at + datetime.timedelta(hours=4),
    )
    programme = opportunity.programmes.get()
    booking_request(
        slot=first, participant=EnrolmentFactory(programme=programme).participant, programme=programme
    )
    return opportunity, blacked_out, same_week


def test_request_page_for_a_blacked_out_day_or_a_full_week_says_why(client):
    _opportunity, blacked_out, same_week = _blacked_out_day_and_full_week()

    assert _blocked(_page_for(client, blacked_out)) == (200, "Not taking visitors: CQC inspection", False)
    assert _blocked(_page_for(client, same_week)) == (200, "This week is full", False)


def test_request_page_for_a_date_already_asked_for_links_to_the_booking(client):
    slot = SlotFactory()
    programme = slot.opportunity.programmes.get()
    participant = EnrolmentFactory(programme=programme).participant
    booking = booking_request(slot=slot, participant=participant, programme=programme)

    response = _page_for(client, slot, participant)

    assert _blocked(response) == (200, "You have asked for this date", False)
    assert (
        f'<a class="govuk-link" href="{reverse("bookings:detail", args=[booking.pk])}">See your booking</a>'
        in (response.content.decode())
    )


def test_request_page_for_a_full_slot_still_offers_the_waiting_list(client):
    slot = SlotFactory(capacity=1)
    slot.places_held = 1
    slot.save()

    response = _page_for(client, slot)

    assert _blocked(response) == (200, "", True)
    assert re.findall(r'<input type="submit"[^>]*?value="([^"]*)"', response.content.decode()) == [
        "Join the waiting list"
    ]


def test_opportunity_page_links_the_date_asked_for_to_the_booking(client):
    slot = SlotFactory()
    programme = slot.opportunity.programmes.get()
    participant = EnrolmentFactory(programme=programme).participant
    booking = booking_request(slot=slot, participant=participant, programme=programme)
    client.force_login(participant)

    html = client.get(reverse("browse:detail", args=[slot.opportunity.pk])).content.decode()

    assert (
        f'<a class="govuk-link" href="{reverse("bookings:detail", args=[booking.pk])}">You have asked for this date</a>'
        in html
    )


# --- Messages a person can act on ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("a" * 300 + "@dhsc.gov.uk", "Enter an e-mail address of 254 characters or fewer"),
        (
            "grace\x00boss@dhsc.gov.uk",
            "Enter an e-mail address in the correct format, like name@example.gov.uk",
        ),
        ("not-an-address", "Enter an e-mail address in the correct format, like name@example.gov.uk"),
    ],
)
def test_line_manager_address_problems_have_one_plain_message(client, address, message):
    slot, participant = _approval_slot(automatic=False)
    client.force_login(participant)

    response = client.post(reverse("bookings:request", args=[slot.pk]), {"line_manager_email": address})

    assert (response.status_code, response.context["form"].errors) == (400, {"line_manager_email": [message]})
    assert Booking.objects.count() == 0


# --- A request refused for the person alone ----------------------------------------------------------


def _too_many_in_hand(settings, opportunity):
    """A participant already holding as many bookings as they may (here one, months later)."""
    settings.MAX_BOOKINGS_IN_HAND = 1
    programme = opportunity.programmes.get()
    participant = EnrolmentFactory(programme=programme).participant
    later = SlotFactory(opportunity=opportunity, days_ahead=120)
    booking_request(slot=later, participant=participant, programme=programme)
    return participant


def _refused_too_many(client, slot, participant):
    client.force_login(participant)
    response = client.post(reverse("bookings:request", args=[slot.pk]))
    assert response.context["form"].errors["__all__"][0].startswith("You already have 1 requests")
    return response


def test_a_refusal_for_the_person_alone_shows_the_form_again_without_working_out_the_slots_rules(
    client, settings, monkeypatch
):
    slot = SlotFactory(days_ahead=30)
    participant = _too_many_in_hand(settings, slot.opportunity)
    worked_out = []
    availability = booking_views.slot_availability_list
    monkeypatch.setattr(
        booking_views, "slot_availability_list", lambda **kw: worked_out.append(1) or availability(**kw)
    )

    response = _refused_too_many(client, slot, participant)

    assert _blocked(response) == (400, "", True)
    assert worked_out == []  # the service's checks already ruled out all it could add


def test_a_refusal_for_the_person_alone_still_says_when_the_partner_takes_no_visitors_that_day(
    client, settings
):
    opportunity, blacked_out, same_week = _blacked_out_day_and_full_week()
    participant = _too_many_in_hand(settings, opportunity)

    assert _blocked(_refused_too_many(client, blacked_out, participant)) == (
        400,
        "Not taking visitors: CQC inspection",
        False,
    )
    assert _blocked(_refused_too_many(client, same_week, participant)) == (400, "This week is full", False)


def test_a_refusal_for_the_person_alone_on_an_uncapped_partners_blacked_out_day_says_so(client, settings):
    slot = SlotFactory(days_ahead=30)
    day = timezone.localdate(slot.starts_at)
    PartnerBlackout.objects.create(
        partner=slot.opportunity.partner, starts_on=day, ends_on=day, reason="Staff training"
    )
    participant = _too_many_in_hand(settings, slot.opportunity)

    assert _blocked(_refused_too_many(client, slot, participant)) == (
        400,
        "Not taking visitors: Staff training",
        False,
    )
