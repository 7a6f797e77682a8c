"""The booking lifecycle's pages, driven through the real services."""

import datetime
import re
import types
from html import unescape
from urllib.parse import quote

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.models import Booking, BookingAction, BookingEvent, BookingStatus, ManagerApproval, Programme
from placements.services.bookings import (
    booking_cancel,
    booking_confirm,
    booking_manager_decide,
    booking_request,
    manager_approval_token,
)
from tests.factories import (
    BookingEventFactory,
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


# --- Helpers --------------------------------------------------------------------------------------


@pytest.fixture
def partner():
    return PartnerFactory(name="Oakfield Care Home")


@pytest.fixture
def contact(partner):
    return PartnerMembershipFactory(partner=partner, user__full_name="Hana Host").user


@pytest.fixture
def other_contact():
    return PartnerMembershipFactory(partner=PartnerFactory(name="Riverside Hospice")).user


def _slot(partner, *, programme=None, capacity=4, days_ahead=30, **opportunity):
    programme = programme or (
        Programme.objects.filter(name="Connecting 2026").first() or ProgrammeFactory(name="Connecting 2026")
    )
    opportunity = OpportunityFactory(
        partner=partner, programmes=[programme], title="A day in a care home", **opportunity
    )
    return SlotFactory(opportunity=opportunity, capacity=capacity, days_ahead=days_ahead)


def _participant(slot, name="Ada Lovelace", **kwargs):
    return EnrolmentFactory(
        programme=slot.opportunity.programmes.get(), participant__full_name=name, **kwargs
    ).participant


def _request(slot, participant=None, **kwargs) -> Booking:
    participant = participant or _participant(slot)
    return booking_request(
        slot=slot, participant=participant, programme=slot.opportunity.programmes.get(), **kwargs
    )


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _errors(response) -> dict:
    return response.context["form"].errors


def _text(html: str) -> str:
    """What a reader sees of `html`: tags dropped, entities read (O&#x27;Connor is O'Connor)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, each as the text of its cells."""
    table = html[html.index(caption) :]
    body = table[table.index("<tbody") : table.index("</tbody>")]
    return [
        [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _submit_labels(html: str) -> list[str]:
    return re.findall(r'<input type="submit"[^>]*?value="([^"]*)"', html, re.S)


def _local(moment: datetime.datetime, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt)


def _day(moment) -> str:
    return _local(moment, "%-d %B %Y")


def _login_redirect(url: str) -> str:
    return f"{reverse('account_login')}?next={quote(url)}"


# --- Asking for a place ---------------------------------------------------------------------------


def test_request_page_shows_the_slot_and_the_programme_it_counts_towards(client, partner):
    slot = _slot(partner)
    participant = _participant(slot)
    client.force_login(participant)

    response = client.get(reverse("bookings:request", args=[slot.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["programme"] == slot.opportunity.programmes.get()
    assert list(response.context["form"].fields) == []
    assert _table_text_of_summary(html) == [
        ("Opportunity", "A day in a care home"),
        ("Partner", "Oakfield Care Home"),
        ("Date", f"{_local(slot.starts_at, '%A %-d %B %Y')}, 09:00 to 17:00"),
        ("Location", "On site: the partner will send the address"),
        ("Counts towards", "Connecting 2026"),
    ]
    assert _submit_labels(html) == ["Request a place"]
    assert Booking.objects.count() == 0


def _table_text_of_summary(html: str) -> list[tuple[str, str]]:
    return [
        (_text(key), _text(value))
        for key, value in re.findall(
            r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*<dd class="govuk-summary-list__value">(.*?)</dd>',
            html,
            re.S,
        )
    ]


def test_request_asks_for_the_line_manager_when_the_programme_needs_approval(client, partner):
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True))
    participant = _participant(slot)
    client.force_login(participant)
    url = reverse("bookings:request", args=[slot.pk])

    page = client.get(url)
    missing = client.post(url, {"line_manager_email": ""})
    own = client.post(url, {"line_manager_email": participant.email.upper()})
    good = client.post(url, {"line_manager_email": "Grace.Boss@dhsc.gov.uk"}, follow=True)

    assert list(page.context["form"].fields) == ["line_manager_email"]
    assert (missing.status_code, _errors(missing)) == (
        400,
        {"line_manager_email": ["Enter your line manager’s e-mail address"]},
    )
    assert (own.status_code, _errors(own)) == (
        400,
        {"line_manager_email": ["Enter your line manager's e-mail address, not your own."]},
    )
    booking = Booking.objects.get()
    assert good.redirect_chain == [(reverse("bookings:detail", args=[booking.pk]), 302)]
    assert _messages(good) == [
        (
            "success",
            "Your request has been sent to your line manager (grace.boss@dhsc.gov.uk) first. Once they "
            "approve it, Oakfield Care Home will confirm or decline it. Your place is held meanwhile.",
        )
    ]
    assert (booking.status, booking.manager_approval, booking.line_manager_email) == (
        BookingStatus.REQUESTED,
        ManagerApproval.PENDING,
        "grace.boss@dhsc.gov.uk",
    )


def test_request_on_an_automatic_programme_is_confirmed_at_once(client, partner):
    slot = _slot(partner, programme=ProgrammeFactory(bookings_confirmed_automatically=True))
    client.force_login(_participant(slot))

    response = client.post(reverse("bookings:request", args=[slot.pk]), follow=True)

    assert _messages(response) == [
        ("success", f"Your place is confirmed. Oakfield Care Home expects you on {_day(slot.starts_at)}.")
    ]
    assert list(Booking.objects.values_list("status", flat=True)) == [BookingStatus.CONFIRMED]


def test_request_on_a_full_slot_joins_the_waiting_list_and_says_the_position(client, partner):
    slot = _slot(partner, capacity=1)
    _request(slot, _participant(slot, "First In"))
    _request(slot, _participant(slot, "Second In"), join_waitlist=True)
    participant = _participant(slot)
    client.force_login(participant)
    url = reverse("bookings:request", args=[slot.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"join_waitlist": "1"}, follow=True)

    assert _submit_labels(page) == ["Join the waiting list"]
    assert '<input type="hidden" name="join_waitlist" value="1"' in page
    assert _messages(response) == [
        (
            "success",
            "You are on the waiting list, at position 2. If a place comes free, we will e-mail you. You "
            "then have up to 48 hours to accept it.",
        )
    ]
    assert Booking.objects.get(participant=participant).status == BookingStatus.WAITLISTED


def test_request_that_finds_the_slot_full_offers_the_waiting_list_instead(client, partner):
    slot = _slot(partner, capacity=1)
    participant = _participant(slot)
    client.force_login(participant)
    _request(slot)  # someone else takes the last place after the page was shown

    response = client.post(reverse("bookings:request", args=[slot.pk]))

    html = response.content.decode()
    assert response.status_code == 400
    assert _errors(response) == {
        "__all__": ["This slot is full. You can join its waiting list or choose another date."]
    }
    assert 'class="govuk-error-summary"' in html
    assert _submit_labels(html) == ["Join the waiting list"]
    assert '<input type="hidden" name="join_waitlist" value="1"' in html
    assert Booking.objects.filter(participant=participant).count() == 0


def test_request_page_is_for_participants_only(client, partner, contact):
    slot = _slot(partner)
    url = reverse("bookings:request", args=[slot.pk])

    anonymous = client.get(url)
    client.force_login(contact)
    as_contact = client.get(url)

    assert anonymous["Location"] == _login_redirect(url)
    assert as_contact.status_code == 403


# --- The booking page -----------------------------------------------------------------------------


def _history(response) -> list[list[str]]:
    return _table_rows(response.content.decode(), "History")


def _when(event: BookingEvent) -> str:
    return _local(event.created_at, "%-d %b %Y, %H:%M")


def test_detail_shows_the_booking_and_its_history_in_order(client, partner, contact):
    slot = _slot(partner)
    participant = _participant(slot)
    booking = _request(slot, participant)
    booking_confirm(booking=booking, by=contact)
    # A longer notice after the visit was confirmed makes cancelling now late.
    slot.opportunity.minimum_notice_working_days = 40
    slot.opportunity.save()
    booking_cancel(booking=booking, by=participant, reason="Ministerial visit moved.")
    requested, confirmed, cancelled = booking.events.all()
    client.force_login(participant)

    response = client.get(reverse("bookings:detail", args=[booking.pk]))

    assert response.status_code == 200
    assert _table_text_of_summary(response.content.decode()) == [
        ("Visitor", "Ada Lovelace Policy adviser, Department of Health and Social Care"),
        ("Opportunity", "A day in a care home"),
        ("Partner", "Oakfield Care Home"),
        ("Date", f"{_local(slot.starts_at, '%A %-d %B %Y')}, 09:00 to 17:00"),
        ("Location", "On site: the partner will send the address"),
        ("Programme", "Connecting 2026"),
        ("Status", "Cancelled Cancelled late"),
    ]
    assert _history(response) == [
        [_when(requested), "Ada Lovelace", "Requested a place", ""],
        [_when(confirmed), "Hana Host", "Confirmed Requested to Confirmed", ""],
        [
            _when(cancelled),
            "Ada Lovelace",
            "Cancelled Confirmed to Cancelled",
            "Ministerial visit moved. Late",
        ],
    ]


def test_detail_shows_the_line_manager_and_who_answered_for_them(client, partner):
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True))
    booking = _request(slot, line_manager_email="grace.boss@dhsc.gov.uk")
    booking_manager_decide(booking=booking, approve=True)
    client.force_login(ProgrammeTeamFactory())

    response = client.get(reverse("bookings:detail", args=[booking.pk]))

    summary = dict(_table_text_of_summary(response.content.decode()))
    assert summary["Line manager"] == "grace.boss@dhsc.gov.uk Approved by the line manager"
    assert [row[1:3] for row in _history(response)] == [
        ["Ada Lovelace", "Requested a place"],
        ["Line manager (grace.boss@dhsc.gov.uk)", "Line manager approved"],
    ]


def _actions(response) -> dict[str, bool]:
    return {
        name: response.context[name]
        for name in ("can_accept", "can_answer", "can_record_attendance", "can_cancel")
    }


def test_detail_offers_each_viewer_the_actions_they_may_take(client, partner, contact):
    slot = _slot(partner)
    participant = _participant(slot)
    booking = _request(slot, participant)
    url = reverse("bookings:detail", args=[booking.pk])

    client.force_login(participant)
    as_participant = client.get(url)
    client.force_login(contact)
    as_contact = client.get(url)
    client.force_login(ProgrammeTeamFactory())
    as_team = client.get(url)

    assert _actions(as_participant) == {
        "can_accept": False,
        "can_answer": False,
        "can_record_attendance": False,
        "can_cancel": True,
    }
    # A partner answers a request by declining it; the team may also call it off.
    assert _actions(as_contact) == {
        "can_accept": False,
        "can_answer": True,
        "can_record_attendance": False,
        "can_cancel": False,
    }
    assert _actions(as_team) == {
        "can_accept": False,
        "can_answer": True,
        "can_record_attendance": False,
        "can_cancel": True,
    }
    html = as_contact.content.decode()
    assert reverse("bookings:answer", args=[booking.pk]) in html
    assert reverse("bookings:cancel", args=[booking.pk]) not in html
    assert reverse("bookings:cancel", args=[booking.pk]) in as_team.content.decode()


def test_detail_answers_404_to_other_participants_and_other_partners(client, partner, other_contact):
    slot = _slot(partner)
    booking = _request(slot)
    url = reverse("bookings:detail", args=[booking.pk])

    anonymous = client.get(url)
    client.force_login(_participant(slot, "Someone Else"))
    other_participant = client.get(url)
    client.force_login(other_contact)
    other_partner = client.get(url)

    assert anonymous["Location"] == _login_redirect(url)
    assert (other_participant.status_code, other_partner.status_code) == (404, 404)


def test_detail_query_count_does_not_grow_with_events(client, partner, contact):
    booking = BookingFactory(slot=_slot(partner))
    BookingEventFactory(booking=booking)
    client.force_login(contact)
    url = reverse("bookings:detail", args=[booking.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), len(response.context["events"])

    one = queries()
    BookingEventFactory(booking=booking, actor=contact, action=BookingAction.CONFIRMED, to_status="confirmed")
    BookingEventFactory(booking=booking, actor=None, actor_description="Automatic")
    three = queries()

    assert (one[1], three[1]) == (1, 3)
    assert one[0] == three[0]


# --- Cancelling -----------------------------------------------------------------------------------


def test_participant_cancels_their_request_with_a_reason(client, partner):
    slot = _slot(partner)
    participant = _participant(slot)
    booking = _request(slot, participant)
    client.force_login(participant)
    url = reverse("bookings:cancel", args=[booking.pk])

    page = client.get(url)
    empty = client.post(url, {"reason": "  "})
    done = client.post(url, {"reason": "Diary clash."}, follow=True)

    assert (page.status_code, page.context["late"]) == (200, False)
    assert (empty.status_code, _errors(empty)) == (
        400,
        {"reason": ["Enter why the booking is being cancelled"]},
    )
    assert _messages(done) == [("success", "The booking is cancelled.")]
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert (booking.status, booking.cancelled_late, slot.places_held) == (BookingStatus.CANCELLED, False, 0)
    assert list(booking.events.values_list("action", "actor", "reason")) == [
        (BookingAction.REQUESTED, participant.pk, ""),
        (BookingAction.CANCELLED, participant.pk, "Diary clash."),
    ]


def test_cancel_page_warns_and_records_a_late_cancellation(client, partner, contact):
    slot = _slot(partner)
    booking = _request(slot)
    booking_confirm(booking=booking, by=contact)
    slot.opportunity.minimum_notice_working_days = 40
    slot.opportunity.save()
    client.force_login(booking.participant)
    url = reverse("bookings:cancel", args=[booking.pk])

    page = client.get(url)
    done = client.post(url, {"reason": "Ward closed for infection control."}, follow=True)

    assert page.context["late"] is True
    assert (
        "The visit is less than 40 working days away, inside Oakfield Care Home’s notice period. If you "
        "cancel now, it will be recorded as a late cancellation." in _text(page.content.decode())
    )
    assert _messages(done) == [
        (
            "success",
            "The booking is cancelled. It was inside Oakfield Care Home’s notice period, so it is recorded "
            "as a late cancellation.",
        )
    ]
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_late) == (BookingStatus.CANCELLED, True)


def test_cancel_page_does_not_warn_a_partner_of_a_late_cancellation_the_service_will_not_record(
    client, partner, contact
):
    slot = _slot(partner)
    booking = _request(slot)
    booking_confirm(booking=booking, by=contact)
    slot.opportunity.minimum_notice_working_days = 40
    slot.opportunity.save()
    client.force_login(contact)
    url = reverse("bookings:cancel", args=[booking.pk])

    page = client.get(url)
    done = client.post(url, {"reason": "Ward closed for infection control."}, follow=True)

    assert page.context["late"] is False
    assert "late cancellation" not in _text(page.content.decode())
    assert _messages(done) == [("success", "The booking is cancelled.")]
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_late) == (BookingStatus.CANCELLED, False)


def test_cancel_answers_404_to_other_participants_and_other_partners(client, partner, other_contact):
    slot = _slot(partner)
    booking = _request(slot)
    url = reverse("bookings:cancel", args=[booking.pk])

    client.force_login(_participant(slot, "Someone Else"))
    other_participant = client.post(url, {"reason": "Mischief."})
    client.force_login(other_contact)
    other_partner = client.post(url, {"reason": "Mischief."})

    assert (other_participant.status_code, other_partner.status_code) == (404, 404)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


# --- Accepting an offer ---------------------------------------------------------------------------


def _offered(slot) -> Booking:
    first = _request(slot, _participant(slot, "First In"))
    waiting = _request(slot, _participant(slot, "Waiting Person"), join_waitlist=True)
    booking_cancel(booking=first, by=first.participant, reason="Cannot come.")
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.OFFERED
    return waiting


def test_participant_accepts_the_place_offered_to_them(client, partner):
    slot = _slot(partner, capacity=1)
    offered = _offered(slot)
    client.force_login(offered.participant)
    url = reverse("bookings:accept", args=[offered.pk])

    page = client.get(reverse("bookings:detail", args=[offered.pk]))
    refused_get = client.get(url)
    response = client.post(url, follow=True)

    assert page.context["can_accept"] is True
    assert refused_get.status_code == 405
    assert _messages(response) == [
        ("success", f"You have accepted the place. Oakfield Care Home expects you on {_day(slot.starts_at)}.")
    ]
    offered.refresh_from_db()
    assert offered.status == BookingStatus.CONFIRMED


def test_only_the_participant_offered_the_place_accepts_it(client, partner, contact):
    slot = _slot(partner, capacity=1)
    offered = _offered(slot)
    url = reverse("bookings:accept", args=[offered.pk])

    client.force_login(_participant(slot, "Someone Else"))
    other_participant = client.post(url)
    client.force_login(contact)
    partner_contact = client.post(url)

    assert (other_participant.status_code, partner_contact.status_code) == (404, 403)
    offered.refresh_from_db()
    assert offered.status == BookingStatus.OFFERED


# --- Answering one request ------------------------------------------------------------------------


def test_partner_contact_confirms_a_request(client, partner, contact):
    slot = _slot(partner)
    booking = _request(slot)
    client.force_login(contact)
    url = reverse("bookings:answer", args=[booking.pk])

    page = client.get(url)
    response = client.post(url, {"decision": "yes"}, follow=True)

    assert page.status_code == 200
    assert _messages(response) == [
        ("success", f"You have confirmed the visit of Ada Lovelace on {_day(slot.starts_at)}.")
    ]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_declining_a_request_needs_a_reason_checked_on_the_server(client, partner, contact):
    slot = _slot(partner)
    booking = _request(slot)
    client.force_login(contact)
    url = reverse("bookings:answer", args=[booking.pk])

    nothing = client.post(url, {})
    no_reason = client.post(url, {"decision": "no", "reason": " "})
    declined = client.post(url, {"decision": "no", "reason": "No host that week."}, follow=True)

    assert (nothing.status_code, _errors(nothing)) == (
        400,
        {"decision": ["Select whether to confirm the visit or decline the request"]},
    )
    assert (no_reason.status_code, _errors(no_reason)) == (
        400,
        {"reason": ["Enter why you are declining the request: the participant will see it"]},
    )
    assert _messages(declined) == [
        ("success", f"You have declined the request of Ada Lovelace for {_day(slot.starts_at)}.")
    ]
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert (booking.status, slot.places_held) == (BookingStatus.DECLINED, 0)
    assert booking.events.last().reason == "No host that week."


def test_confirming_before_the_line_manager_approves_is_refused_on_the_page(client, partner, contact):
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True))
    booking = _request(slot, line_manager_email="grace.boss@dhsc.gov.uk")
    client.force_login(contact)

    response = client.post(reverse("bookings:answer", args=[booking.pk]), {"decision": "yes"})

    assert (response.status_code, _errors(response)) == (
        400,
        {"__all__": ["Ada Lovelace's line manager has not approved this request yet."]},
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_answer_is_for_the_partner_and_the_team_only(client, partner, other_contact):
    slot = _slot(partner)
    participant = _participant(slot)
    booking = _request(slot, participant)
    url = reverse("bookings:answer", args=[booking.pk])

    client.force_login(other_contact)
    other_partner = client.post(url, {"decision": "yes"})
    client.force_login(participant)
    own_participant = client.post(url, {"decision": "yes"})
    client.force_login(ProgrammeTeamFactory())
    team = client.get(url)

    assert (other_partner.status_code, own_participant.status_code, team.status_code) == (404, 403, 200)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_answer_page_shows_a_participants_name_as_text_never_as_markup(client, partner, contact):
    slot = _slot(partner)
    booking = _request(slot, _participant(slot, name='<img src=x onerror="alert(1)"> Eve'))

    client.force_login(contact)
    html = client.get(reverse("bookings:answer", args=[booking.pk])).content.decode()

    assert "<img src=x" not in html
    assert "Can you host &lt;img src=x onerror=&quot;alert(1)&quot;&gt; Eve?" in html


# --- Attendance -----------------------------------------------------------------------------------


def _visit_under_way(partner) -> Booking:
    slot = _slot(partner)
    now = timezone.now()
    slot.starts_at, slot.ends_at = now - datetime.timedelta(minutes=30), now + datetime.timedelta(hours=2)
    slot.save()
    return BookingFactory(slot=slot, status=BookingStatus.CONFIRMED, participant__full_name="Ada Lovelace")


def test_partner_contact_records_that_the_visitor_came(client, partner, contact):
    booking = _visit_under_way(partner)
    client.force_login(contact)
    url = reverse("bookings:attendance", args=[booking.pk])

    detail = client.get(reverse("bookings:detail", args=[booking.pk]))
    empty = client.post(url, {})
    response = client.post(url, {"attended": "True"}, follow=True)

    assert detail.context["can_record_attendance"] is True
    assert (empty.status_code, _errors(empty)) == (400, {"attended": ["Select whether the visitor came"]})
    assert _messages(response) == [("success", "You have recorded that Ada Lovelace came to the visit.")]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED


def test_attendance_before_the_visit_starts_is_refused_on_the_page(client, partner, contact):
    booking = BookingFactory(slot=_slot(partner), status=BookingStatus.CONFIRMED)
    client.force_login(contact)

    response = client.post(reverse("bookings:attendance", args=[booking.pk]), {"attended": "False"})

    assert (response.status_code, _errors(response)) == (
        400,
        {"__all__": ["You can record attendance once the visit has started."]},
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_attendance_is_for_the_partner_and_the_team_only(client, partner, other_contact):
    booking = _visit_under_way(partner)
    url = reverse("bookings:attendance", args=[booking.pk])

    client.force_login(other_contact)
    other_partner = client.post(url, {"attended": "False"})
    client.force_login(booking.participant)
    own_participant = client.post(url, {"attended": "True"})

    assert (other_partner.status_code, own_participant.status_code) == (404, 403)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- Requests waiting for an answer, one by one or several at once ----------------------------------


def _checkboxes(html: str) -> list[tuple[str, bool]]:
    """Each row's checkbox as (booking id, disabled)."""
    return [
        (value, "disabled" in attributes)
        for attributes, value in (
            (match, re.search(r'value="(\d+)"', match).group(1))
            for match in re.findall(r'<input class="govuk-checkboxes__input"[^>]*>', html)
        )
    ]


def test_requests_page_lists_the_partners_requests_oldest_first(client, partner, contact):
    managed = ProgrammeFactory(line_manager_approval_required=True)
    first = _request(_slot(partner))
    second = _request(_slot(partner, programme=managed), line_manager_email="grace.boss@dhsc.gov.uk")
    _request(_slot(PartnerFactory()))  # another partner's
    confirmed = _request(_slot(partner))
    booking_confirm(booking=confirmed, by=contact)
    client.force_login(contact)

    response = client.get(reverse("bookings:requests"))

    html = response.content.decode()
    # The request still with the line manager is not the partner's to answer yet: not listed at all.
    assert list(response.context["page"]) == [first]
    assert _checkboxes(html) == [(str(first.pk), False)]
    assert [row[-1] for row in _table_rows(html, "Requests waiting for a decision")] == [
        "Confirm or decline the request of Ada Lovelace",
    ]
    assert list(response.context["manager_page"]) == []
    assert "Waiting for a line manager" not in html
    assert second.status == BookingStatus.REQUESTED


def test_requests_page_is_for_partners_and_the_team(client, partner):
    _request(_slot(partner))
    url = reverse("bookings:requests")

    anonymous = client.get(url)
    client.force_login(ParticipantFactory())
    participant = client.get(url)
    client.force_login(ProgrammeTeamFactory())
    team = client.get(url)

    assert anonymous["Location"] == _login_redirect(url)
    assert participant.status_code == 403
    assert (team.status_code, len(team.context["page"])) == (200, 1)


def test_requests_page_query_count_does_not_grow_with_rows(client, partner, contact):
    client.force_login(contact)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("bookings:requests"))
        assert response.status_code == 200
        return len(captured), len(response.context["page"])

    _request(_slot(partner))
    one = queries()
    _request(_slot(partner, days_ahead=35))
    _request(_slot(partner, days_ahead=40))
    three = queries()

    assert (one[1], three[1]) == (1, 3)
    assert one[0] == three[0]


def test_bulk_confirm_confirms_each_request_it_can_and_reports_the_rest(client, partner, contact):
    managed = ProgrammeFactory(line_manager_approval_required=True)
    ready_slot, also_ready_slot = _slot(partner), _slot(partner, days_ahead=35)
    waiting_slot = _slot(partner, programme=managed, days_ahead=40)
    ready = _request(ready_slot, _participant(ready_slot, "Ada Lovelace"))
    also_ready = _request(also_ready_slot, _participant(also_ready_slot, "Alan Turing"))
    waiting = _request(
        waiting_slot, _participant(waiting_slot, "Grace Hopper"), line_manager_email="boss@dhsc.gov.uk"
    )
    client.force_login(contact)

    response = client.post(
        reverse("bookings:answer_many"),
        {"bookings": [ready.pk, also_ready.pk, waiting.pk], "action": "confirm"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("bookings:requests"), 302)]
    assert _messages(response) == [
        (
            "success",
            f"You have confirmed 2 requests: Ada Lovelace ({_day(ready_slot.starts_at)}), "
            f"Alan Turing ({_day(also_ready_slot.starts_at)}).",
        ),
        (
            "error",
            "1 selected request was left alone: it no longer waits for an answer, or it is not yours to answer.",
        ),
    ]
    assert {b.pk: b.status for b in Booking.objects.all()} == {
        ready.pk: BookingStatus.CONFIRMED,
        also_ready.pk: BookingStatus.CONFIRMED,
        waiting.pk: BookingStatus.REQUESTED,
    }


def test_bulk_answer_never_touches_a_request_the_user_may_not_answer(client, partner, contact):
    own = _request(_slot(partner))
    others = _request(_slot(PartnerFactory()))
    client.force_login(contact)

    response = client.post(
        reverse("bookings:answer_many"),
        {"bookings": [own.pk, others.pk], "action": "decline", "reason": "No host available."},
        follow=True,
    )

    assert _messages(response) == [
        ("success", f"You have declined 1 request: Ada Lovelace ({_day(own.slot.starts_at)})."),
        (
            "error",
            "1 selected request was left alone: it no longer waits for an answer, or it is not yours to answer.",
        ),
    ]
    own.refresh_from_db()
    others.refresh_from_db()
    assert (own.status, others.status) == (BookingStatus.DECLINED, BookingStatus.REQUESTED)
    assert list(others.events.values_list("action", flat=True)) == [BookingAction.REQUESTED]


def test_bulk_answer_checks_its_form_and_changes_nothing_when_wrong(client, partner, contact):
    booking = _request(_slot(partner))
    client.force_login(contact)
    url = reverse("bookings:answer_many")

    nothing_selected = client.post(url, {"action": "confirm"})
    decline_without_reason = client.post(url, {"bookings": [booking.pk], "action": "decline"})
    junk = client.post(url, {"bookings": ["1; DROP TABLE"], "action": "confirm"})

    assert (nothing_selected.status_code, _errors(nothing_selected)) == (
        400,
        {"bookings": ["Select at least one request"]},
    )
    assert (decline_without_reason.status_code, _errors(decline_without_reason)) == (
        400,
        {"reason": ["Enter why you are declining the requests: the participants will see it"]},
    )
    assert _checkboxes(decline_without_reason.content.decode()) == [(str(booking.pk), False)]
    assert f'value="{booking.pk}" checked' in decline_without_reason.content.decode()
    assert (junk.status_code, _errors(junk)) == (400, {"bookings": ["Select the requests from the list"]})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_bulk_answer_is_for_partners_and_the_team(client, partner):
    slot = _slot(partner)
    participant = _participant(slot)
    booking = _request(slot, participant)
    client.force_login(participant)

    response = client.post(reverse("bookings:answer_many"), {"bookings": [booking.pk], "action": "confirm"})

    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_dashboard_requests_can_be_answered_in_bulk_and_link_to_each_booking(client, partner, contact):
    booking = _request(_slot(partner))
    client.force_login(contact)

    page = client.get(reverse("partners:dashboard")).content.decode()
    response = client.post(
        reverse("bookings:answer_many"),
        {"bookings": [booking.pk], "action": "confirm", "next": reverse("partners:dashboard")},
    )
    elsewhere = client.post(
        reverse("bookings:answer_many"),
        {"bookings": [booking.pk], "action": "confirm", "next": "https://evil.example.com/"},
    )

    assert f'action="{reverse("bookings:answer_many")}"' in page
    assert _checkboxes(page) == [(str(booking.pk), False)]
    assert f'href="{reverse("bookings:detail", args=[booking.pk])}"' in page
    assert f'href="{reverse("bookings:answer", args=[booking.pk])}"' in page
    assert response["Location"] == reverse("partners:dashboard")
    assert elsewhere["Location"] == reverse("bookings:requests")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- The line manager's link ----------------------------------------------------------------------


@pytest.fixture
def awaiting_manager(partner) -> Booking:
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True))
    return _request(slot, line_manager_email="grace.boss@dhsc.gov.uk")


def _manager_url(booking) -> str:
    return reverse("bookings:manager", args=[manager_approval_token(booking=booking)])


def _state(booking) -> tuple:
    booking.refresh_from_db()
    return booking.status, booking.manager_approval, booking.updated_at, booking.events.count()


def test_manager_page_shows_the_request_and_a_get_changes_nothing(client, awaiting_manager):
    before = _state(awaiting_manager)

    response = client.get(_manager_url(awaiting_manager))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace has asked to visit Oakfield Care Home" in _text(html)
    assert _table_text_of_summary(html)[:3] == [
        ("Visitor", "Ada Lovelace Policy adviser, Department of Health and Social Care"),
        ("Opportunity", "A day in a care home"),
        ("Partner", "Oakfield Care Home"),
    ]
    assert re.findall(r'<label class="govuk-label govuk-radios__label"[^>]*>\s*(.*?)\s*</label>', html) == [
        "Approve the visit",
        "Do not approve the visit",
    ]
    assert _state(awaiting_manager) == before


def test_manager_approves_from_the_link_without_signing_in(client, awaiting_manager):
    url = _manager_url(awaiting_manager)

    response = client.post(url, {"decision": "yes"}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "You have approved this request." in _text(response.content.decode())
    awaiting_manager.refresh_from_db()
    assert (awaiting_manager.status, awaiting_manager.manager_approval) == (
        BookingStatus.REQUESTED,
        ManagerApproval.APPROVED,
    )
    event = awaiting_manager.events.last()
    assert (event.action, event.actor_name) == (
        BookingAction.MANAGER_APPROVED,
        "Line manager (grace.boss@dhsc.gov.uk)",
    )


def test_manager_declines_with_a_reason(client, awaiting_manager):
    url = _manager_url(awaiting_manager)

    no_reason = client.post(url, {"decision": "no"})
    declined = client.post(url, {"decision": "no", "reason": "Busy quarter: try in spring."})

    assert (no_reason.status_code, _errors(no_reason)) == (
        400,
        {"reason": ["Enter why you are not approving the visit: the participant will see it"]},
    )
    assert declined["Location"] == url
    awaiting_manager.refresh_from_db()
    assert (awaiting_manager.status, awaiting_manager.manager_approval) == (
        BookingStatus.DECLINED,
        ManagerApproval.DECLINED,
    )
    assert awaiting_manager.events.last().reason == "Busy quarter: try in spring."


def test_manager_answering_twice_is_told_so_and_changes_nothing(client, awaiting_manager):
    url = _manager_url(awaiting_manager)
    client.post(url, {"decision": "yes"})
    before = _state(awaiting_manager)

    again = client.post(url, {"decision": "no", "reason": "Changed my mind."})
    page = client.get(url)

    assert again.status_code == 409
    assert (
        _text(again.content.decode()).count("You have already approved this request.") == 2
    )  # title, heading
    assert (page.status_code, page.context["message"]) == (200, "You have approved this request.")
    assert _state(awaiting_manager) == before


def test_manager_link_that_was_tampered_with_answers_404(client, awaiting_manager):
    token = manager_approval_token(booking=awaiting_manager)
    other = BookingFactory(line_manager_email="grace.boss@dhsc.gov.uk")
    forged = signing.dumps({"booking": other.pk, "email": "grace.boss@dhsc.gov.uk"}, salt="something-else")
    before = _state(awaiting_manager)

    altered = client.post(reverse("bookings:manager", args=[token[:-2] + "xx"]), {"decision": "yes"})
    wrong_salt = client.get(reverse("bookings:manager", args=[forged]))

    assert (altered.status_code, wrong_salt.status_code) == (404, 404)
    assert "This link does not work" in _text(altered.content.decode())
    assert _state(awaiting_manager) == before


def test_manager_link_that_has_expired_answers_410_and_names_who_to_ask(
    client, monkeypatch, awaiting_manager
):
    eight_days_ago = timezone.now().timestamp() - 8 * 24 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(signing, "time", types.SimpleNamespace(time=lambda: eight_days_ago))
        token = manager_approval_token(booking=awaiting_manager)
    before = _state(awaiting_manager)

    page = client.get(reverse("bookings:manager", args=[token]))
    answer = client.post(reverse("bookings:manager", args=[token]), {"decision": "yes"})

    assert (page.status_code, answer.status_code) == (410, 410)
    assert "This link has expired Ask Ada Lovelace to send a new request." in _text(page.content.decode())
    assert _state(awaiting_manager) == before


# --- Every form page ------------------------------------------------------------------------------


def test_booking_pages_have_one_csrf_token_per_post_form(client, partner, contact):
    from tests.test_form_csrf import _assert_one_token_per_post_form

    offered = _offered(_slot(partner, capacity=1))
    requested = _request(_slot(partner, days_ahead=35))
    visit = _visit_under_way(partner)
    managed = _request(
        _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True), days_ahead=40),
        line_manager_email="grace.boss@dhsc.gov.uk",
    )

    client.force_login(offered.participant)
    _assert_one_token_per_post_form(
        client,
        [
            reverse("bookings:request", args=[_slot(partner, days_ahead=45).pk]),
            reverse("bookings:detail", args=[offered.pk]),
            reverse("bookings:cancel", args=[offered.pk]),
        ],
    )
    confirmed = booking_confirm(booking=_request(_slot(partner, days_ahead=50)), by=contact)
    client.force_login(contact)
    _assert_one_token_per_post_form(
        client,
        [
            reverse("bookings:cancel", args=[confirmed.pk]),
            reverse("bookings:answer", args=[requested.pk]),
            reverse("bookings:attendance", args=[visit.pk]),
            reverse("bookings:requests"),
            reverse("partners:dashboard"),
        ],
    )
    client.logout()
    _assert_one_token_per_post_form(client, [_manager_url(managed)])


def test_line_manager_link_in_the_e_mail_opens_the_approval_page(
    client, partner, mailoutbox, django_capture_on_commit_callbacks
):
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True))
    client.force_login(_participant(slot))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("bookings:request", args=[slot.pk]), {"line_manager_email": "grace.boss@dhsc.gov.uk"}
        )
    client.logout()
    to_manager = [mail for mail in mailoutbox if mail.to == ["grace.boss@dhsc.gov.uk"]]
    links = re.findall(r"http://testserver(/bookings/approve/[^/\s]+/)", to_manager[0].body)

    response = client.get(links[0])

    assert (len(to_manager), response.status_code) == (1, 200)
    assert response.context["booking"] == Booking.objects.get()


def test_manager_declines_a_request_that_is_on_the_waiting_list(client, partner):
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True), capacity=1)
    _request(slot, _participant(slot, "First In"), line_manager_email="boss@dhsc.gov.uk")
    waiting = _request(slot, line_manager_email="grace.boss@dhsc.gov.uk", join_waitlist=True)

    response = client.post(_manager_url(waiting), {"decision": "no", "reason": "Not this quarter."})

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.manager_approval) == (BookingStatus.DECLINED, ManagerApproval.DECLINED)


# --- After the review: ids, guards, messages ------------------------------------------------------


@pytest.mark.parametrize(
    "posted",
    ["99999999999999999999999", str(2**63), "0", "-1", " 7", "1e3", "٣", "9" * 5000],
)
def test_bulk_answer_takes_only_positive_ids_that_fit_the_database(client, partner, contact, posted):
    booking = _request(_slot(partner))
    client.force_login(contact)

    response = client.post(reverse("bookings:answer_many"), {"bookings": [posted], "action": "confirm"})

    assert (response.status_code, _errors(response)) == (
        400,
        {"bookings": ["Select the requests from the list"]},
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_bulk_answer_accepts_the_largest_id_and_leaves_it_alone(client, partner, contact):
    client.force_login(contact)

    response = client.post(
        reverse("bookings:answer_many"), {"bookings": [str(2**63 - 1)], "action": "confirm"}, follow=True
    )

    assert response.redirect_chain == [(reverse("bookings:requests"), 302)]
    assert _messages(response) == [
        (
            "error",
            "1 selected request was left alone: it no longer waits for an answer, or it is not yours to answer.",
        )
    ]


def test_requests_still_with_the_line_manager_are_not_the_partners_to_answer(client, partner, contact):
    managed = ProgrammeFactory(line_manager_approval_required=True)
    ready = _request(_slot(partner))
    with_manager = _request(
        _slot(partner, programme=managed, days_ahead=35), line_manager_email="boss@dhsc.gov.uk"
    )
    client.force_login(contact)

    dashboard = client.get(reverse("partners:dashboard"))
    detail = client.get(reverse("bookings:detail", args=[with_manager.pk]))

    assert (list(dashboard.context["requests_waiting"]), dashboard.context["requests_waiting_count"]) == (
        [ready],
        1,
    )
    assert _checkboxes(dashboard.content.decode()) == [(str(ready.pk), False)]
    assert detail.context["can_answer"] is False
    assert reverse("bookings:answer", args=[with_manager.pk]) not in detail.content.decode()


def test_team_sees_requests_waiting_for_a_line_manager_in_their_own_table(client, partner):
    managed = ProgrammeFactory(line_manager_approval_required=True)
    ready = _request(_slot(partner))
    slot = _slot(partner, programme=managed, days_ahead=35)
    with_manager = _request(slot, _participant(slot, "Grace Hopper"), line_manager_email="boss@dhsc.gov.uk")
    client.force_login(ProgrammeTeamFactory())

    response = client.get(reverse("bookings:requests"))

    html = response.content.decode()
    assert (list(response.context["page"]), list(response.context["manager_page"])) == (
        [ready],
        [with_manager],
    )
    assert _checkboxes(html) == [(str(ready.pk), False)]  # no checkbox in the line manager's table
    assert _table_rows(html, "Requests waiting for a line manager") == [
        [
            "Grace Hopper",
            "A day in a care home Oakfield Care Home",
            _local(slot.starts_at, "%a %-d %b %Y, %H:%M"),
            "boss@dhsc.gov.uk",
            _local(with_manager.created_at, "%-d %b %Y"),
        ]
    ]
    assert '<h2 class="govuk-heading-m">Waiting for a line manager</h2>' in html


def _redirected_with(response, booking) -> tuple[str, list[tuple[str, str]]]:
    return response.redirect_chain[-1][0], _messages(response)


def test_answer_page_for_a_booking_that_is_not_an_open_request_goes_back_with_its_state(
    client, partner, contact
):
    managed = ProgrammeFactory(line_manager_approval_required=True)
    confirmed = _request(_slot(partner))
    booking_confirm(booking=confirmed, by=contact)
    with_manager = _request(
        _slot(partner, programme=managed, days_ahead=35), line_manager_email="boss@dhsc.gov.uk"
    )
    open_request = _request(_slot(partner, days_ahead=40))
    client.force_login(contact)

    def get(booking):
        return client.get(reverse("bookings:answer", args=[booking.pk]), follow=True)

    assert _redirected_with(get(confirmed), confirmed) == (
        reverse("bookings:detail", args=[confirmed.pk]),
        [("info", "This request has already been confirmed.")],
    )
    assert _redirected_with(get(with_manager), with_manager) == (
        reverse("bookings:detail", args=[with_manager.pk]),
        [
            (
                "info",
                "This request is waiting for Ada Lovelace’s line manager to approve it. You can answer it once they do.",
            )
        ],
    )
    assert client.get(reverse("bookings:answer", args=[open_request.pk])).status_code == 200


def test_attendance_page_before_the_visit_or_for_an_unconfirmed_booking_goes_back_with_why(
    client, partner, contact
):
    slot = _slot(partner)
    confirmed = BookingFactory(slot=slot, status=BookingStatus.CONFIRMED)
    requested = _request(_slot(partner, days_ahead=35))
    under_way = _visit_under_way(partner)
    client.force_login(contact)

    def get(booking):
        return client.get(reverse("bookings:attendance", args=[booking.pk]), follow=True)

    assert _redirected_with(get(confirmed), confirmed) == (
        reverse("bookings:detail", args=[confirmed.pk]),
        [
            (
                "info",
                f"You can record attendance from {_local(slot.starts_at, '%-d %B %Y, %H:%M')}, when the visit starts.",
            )
        ],
    )
    assert _redirected_with(get(requested), requested) == (
        reverse("bookings:detail", args=[requested.pk]),
        [
            (
                "info",
                "You can record attendance only for a confirmed visit. This booking’s status is “Requested”.",
            )
        ],
    )
    assert client.get(reverse("bookings:attendance", args=[under_way.pk])).status_code == 200


def test_cancel_page_for_a_booking_that_has_ended_goes_back_with_why(client, partner):
    slot = _slot(partner)
    participant = _participant(slot)
    booking = _request(slot, participant)
    booking_cancel(booking=booking, by=participant, reason="Diary clash.")
    client.force_login(participant)

    response = client.get(reverse("bookings:cancel", args=[booking.pk]), follow=True)

    assert _redirected_with(response, booking) == (
        reverse("bookings:detail", args=[booking.pk]),
        [("info", "This booking has already been cancelled.")],
    )


def test_guarded_pages_still_refuse_other_people_before_saying_anything(client, partner, other_contact):
    booking = _request(_slot(partner))
    booking_confirm(booking=booking, by=ProgrammeTeamFactory())
    client.force_login(other_contact)

    pages = [reverse(f"bookings:{name}", args=[booking.pk]) for name in ("answer", "attendance", "cancel")]

    assert [client.get(url).status_code for url in pages] == [404, 404, 404]


TOO_LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (TOO_LONG, "The reason must be 2,000 characters or fewer"),
        ("No host\x00 that week.", "Enter the reason without special characters"),
        (TOO_LONG + "\x00", "The reason must be 2,000 characters or fewer"),
    ],
)
def test_a_bad_decline_reason_shows_only_its_own_problem(client, partner, contact, reason, message):
    booking = _request(_slot(partner))
    managed = _request(
        _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True), days_ahead=35),
        line_manager_email="grace.boss@dhsc.gov.uk",
    )
    client.force_login(contact)

    one = client.post(reverse("bookings:answer", args=[booking.pk]), {"decision": "no", "reason": reason})
    many = client.post(
        reverse("bookings:answer_many"), {"bookings": [booking.pk], "action": "decline", "reason": reason}
    )
    cancel = client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": reason})
    client.logout()
    manager = client.post(_manager_url(managed), {"decision": "no", "reason": reason})

    assert [(r.status_code, _errors(r)) for r in (one, many, cancel, manager)] == [
        (400, {"reason": [message]})
    ] * 4
    booking.refresh_from_db()
    managed.refresh_from_db()
    assert (booking.status, managed.manager_approval) == (BookingStatus.REQUESTED, ManagerApproval.PENDING)


def test_detail_shows_the_waiting_list_position(client, partner, contact):
    slot = _slot(partner, capacity=1)
    _request(slot, _participant(slot, "First In"))
    _request(slot, _participant(slot, "Second In"), join_waitlist=True)
    third = _request(slot, _participant(slot, "Third In"), join_waitlist=True)
    url = reverse("bookings:detail", args=[third.pk])

    client.force_login(third.participant)
    own = dict(_table_text_of_summary(client.get(url).content.decode()))
    client.force_login(contact)
    partners = dict(_table_text_of_summary(client.get(url).content.decode()))

    assert own["Status"] == "On the waiting list You are number 2 on the waiting list"
    assert partners["Status"] == "On the waiting list Number 2 on the waiting list"


def test_line_managers_address_is_for_the_participant_and_the_team_not_the_partner(client, partner, contact):
    slot = _slot(partner, programme=ProgrammeFactory(line_manager_approval_required=True))
    booking = _request(slot, line_manager_email="grace.boss@dhsc.gov.uk")
    booking_manager_decide(booking=booking, approve=True)
    detail = reverse("bookings:detail", args=[booking.pk])

    client.force_login(contact)
    as_contact = [
        client.get(url)
        for url in (
            detail,
            reverse("bookings:answer", args=[booking.pk]),
            reverse("bookings:cancel", args=[booking.pk]),
        )
    ]
    client.force_login(booking.participant)
    as_participant = client.get(detail)

    assert (
        dict(_table_text_of_summary(as_contact[0].content.decode()))["Line manager"]
        == "Approved by the line manager"
    )
    assert [row[1] for row in _history(as_contact[0])] == ["Ada Lovelace", "Line manager"]
    assert ["grace.boss" in response.content.decode() for response in as_contact] == [False, False, False]
    assert dict(_table_text_of_summary(as_participant.content.decode()))["Line manager"] == (
        "grace.boss@dhsc.gov.uk Approved by the line manager"
    )


def test_bulk_error_posted_from_the_dashboard_comes_back_to_the_dashboard(client, partner, contact):
    booking = _request(_slot(partner))
    client.force_login(contact)
    url = reverse("bookings:answer_many")
    dashboard = reverse("partners:dashboard")

    nothing = client.post(url, {"action": "confirm", "next": dashboard}, follow=True)
    no_reason = client.post(
        url, {"bookings": [booking.pk], "action": "decline", "next": dashboard}, follow=True
    )
    elsewhere = client.post(url, {"action": "confirm", "next": "https://evil.example.com/"})

    assert _redirected_with(nothing, booking) == (dashboard, [("error", "Select at least one request")])
    assert _redirected_with(no_reason, booking) == (
        dashboard,
        [("error", "Enter why you are declining the requests: the participants will see it")],
    )
    assert (elsewhere.status_code, _errors(elsewhere)) == (400, {"bookings": ["Select at least one request"]})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_bulk_success_names_five_people_with_their_dates_then_how_many_more(client, partner, contact):
    bookings = []
    for number, name in enumerate(
        ["Ada One", "Bea Two", "Cy Three", "Di Four", "Ed Five", "Flo Six", "Gus Seven"]
    ):
        slot = _slot(partner, days_ahead=30 + number)
        bookings.append(_request(slot, _participant(slot, name)))
    client.force_login(contact)

    response = client.post(
        reverse("bookings:answer_many"),
        {"bookings": [b.pk for b in bookings], "action": "confirm"},
        follow=True,
    )

    named = ", ".join(f"{b.participant} ({_day(b.slot.starts_at)})" for b in bookings[:5])
    assert _messages(response) == [("success", f"You have confirmed 7 requests: {named} and 2 more.")]


# --- Every booking, for partners and the team -------------------------------------------------------


def _moved(booking, days: int) -> Booking:
    slot = booking.slot
    slot.starts_at += datetime.timedelta(days=days)
    slot.ends_at += datetime.timedelta(days=days)
    slot.save()
    return booking


@pytest.fixture
def bookings_of_partner(partner):
    """Two upcoming and two past bookings of the partner, in a jumbled order, and one elsewhere."""

    def booking(days_ahead, name, status=BookingStatus.CONFIRMED, where=partner):
        return BookingFactory(
            slot=_slot(where, days_ahead=days_ahead), status=status, participant__full_name=name
        )

    later = booking(40, "Later Visitor")
    old = _moved(booking(30, "Old Visitor", BookingStatus.ATTENDED), -90)
    soon = booking(20, "Soon Visitor", BookingStatus.REQUESTED)
    recent = _moved(booking(30, "Recent Visitor", BookingStatus.NO_SHOW), -35)
    elsewhere = booking(25, "Elsewhere Visitor", where=PartnerFactory(name="Riverside Hospice"))
    return types.SimpleNamespace(soon=soon, later=later, recent=recent, old=old, elsewhere=elsewhere)


def _list(client, **query):
    return client.get(reverse("bookings:list"), query)


def test_booking_list_shows_the_partners_bookings_upcoming_soonest_then_past_latest(
    client, contact, bookings_of_partner
):
    b = bookings_of_partner
    client.force_login(contact)

    response = _list(client)

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["page"]) == [b.soon, b.later, b.recent, b.old]
    assert _table_rows(html, "Bookings, upcoming visits soonest first")[0] == [
        _local(b.soon.slot.starts_at, "%a %-d %b %Y, %H:%M"),
        "Soon Visitor",
        "A day in a care home",
        "Requested",
        f"View the booking of Soon Visitor for {_day(b.soon.slot.starts_at)}",
    ]
    assert re.findall(r'href="(/bookings/\d+/)"', html) == [
        reverse("bookings:detail", args=[booking.pk]) for booking in (b.soon, b.later, b.recent, b.old)
    ]


def test_booking_list_shows_the_team_every_booking_with_its_partner(client, bookings_of_partner):
    b = bookings_of_partner
    client.force_login(ProgrammeTeamFactory())

    response = _list(client)

    assert list(response.context["page"]) == [b.soon, b.elsewhere, b.later, b.recent, b.old]
    assert [row[3] for row in _table_rows(response.content.decode(), "Bookings, upcoming")] == [
        "Oakfield Care Home",
        "Riverside Hospice",
        "Oakfield Care Home",
        "Oakfield Care Home",
        "Oakfield Care Home",
    ]


def test_booking_list_filters_by_status_and_by_upcoming_or_past(client, contact, bookings_of_partner):
    b = bookings_of_partner
    client.force_login(contact)

    confirmed = _list(client, status="confirmed")
    upcoming = _list(client, when="upcoming")
    past = _list(client, when="past")
    past_no_shows = _list(client, when="past", status="no_show")
    junk = _list(client, status="'; DROP TABLE", when="tomorrow")

    assert list(confirmed.context["page"]) == [b.later]
    assert list(upcoming.context["page"]) == [b.soon, b.later]
    assert list(past.context["page"]) == [b.recent, b.old]
    assert list(past_no_shows.context["page"]) == [b.recent]
    assert (junk.status_code, junk.context["form"].errors) == (
        400,
        {"status": ["Choose a status from the list"], "when": ["Choose upcoming or past from the list"]},
    )
    assert list(junk.context["page"]) == [b.soon, b.later, b.recent, b.old]
    html = confirmed.content.decode()
    assert '<select name="status" class="govuk-select" id="id_status">' in html
    assert '<option value="confirmed" selected>Confirmed</option>' in html
    assert '<option value="" selected>All</option>' in _list(client).content.decode()


def test_booking_list_pages_by_25(client, partner, contact):
    for days in range(26):
        BookingFactory(slot=_slot(partner, days_ahead=20 + days))
    client.force_login(contact)

    first, second = _list(client), _list(client, page=2)

    assert (len(first.context["page"]), len(second.context["page"])) == (25, 1)
    assert 'class="govuk-pagination"' in first.content.decode()


def test_booking_list_is_for_partners_and_the_team_not_participants(client, partner):
    booking = BookingFactory(slot=_slot(partner))
    url = reverse("bookings:list")

    anonymous = client.get(url)
    client.force_login(booking.participant)
    participant = client.get(url)

    assert anonymous["Location"] == _login_redirect(url)
    assert participant.status_code == 403


def test_booking_list_query_count_does_not_grow_with_rows(client, partner, contact):
    client.force_login(contact)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = _list(client)
        assert response.status_code == 200
        return len(captured), len(response.context["page"])

    BookingFactory(slot=_slot(partner))
    one = queries()
    BookingFactory(slot=_slot(partner, days_ahead=35))
    BookingFactory(slot=_slot(partner, days_ahead=40))
    three = queries()

    assert (one[1], three[1]) == (1, 3)
    assert one[0] == three[0]


def test_dashboard_lists_the_next_ten_confirmed_visitors_and_links_to_every_booking(client, partner, contact):
    confirmed = [
        BookingFactory(slot=_slot(partner, days_ahead=20 + days), status=BookingStatus.CONFIRMED)
        for days in (5, 1, 3, 2, 4, 6, 7, 8, 9, 10, 11)
    ]
    BookingFactory(slot=_slot(partner, days_ahead=15))  # a request, not a confirmed visitor
    _moved(BookingFactory(slot=_slot(partner), status=BookingStatus.CONFIRMED), -60)  # past
    BookingFactory(slot=_slot(PartnerFactory()), status=BookingStatus.CONFIRMED)  # another partner's
    client.force_login(contact)

    response = client.get(reverse("partners:dashboard"))

    html = response.content.decode()
    soonest = sorted(confirmed, key=lambda booking: booking.slot.starts_at)[:10]
    assert list(response.context["confirmed_visitors"]) == soonest
    assert _table_rows(html, "Your next confirmed visitors")[0] == [
        str(soonest[0].participant),
        _local(soonest[0].slot.starts_at, "%a %-d %b %Y, %H:%M"),
        "A day in a care home",
        "Not submitted yet",
        "Give joining instructions",
    ]
    assert f'<a class="govuk-link" href="{reverse("bookings:detail", args=[soonest[0].pk])}">' in html
    assert f'<a class="govuk-link" href="{reverse("bookings:list")}">See all bookings</a>' in html


def test_dashboard_query_count_does_not_grow_with_confirmed_visitors(client, partner, contact):
    client.force_login(contact)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("partners:dashboard"))
        return len(captured), len(response.context["confirmed_visitors"])

    BookingFactory(slot=_slot(partner), status=BookingStatus.CONFIRMED)
    one = queries()
    BookingFactory(slot=_slot(partner, days_ahead=35), status=BookingStatus.CONFIRMED)
    BookingFactory(slot=_slot(partner, days_ahead=40), status=BookingStatus.CONFIRMED)
    three = queries()

    assert (one[1], three[1]) == (1, 3)
    assert one[0] == three[0]


def test_dashboard_points_the_host_to_each_visitors_preparation_and_joining_instructions(
    client, partner, contact
):
    from tests.factories import PreparationFactory

    ready = BookingFactory(slot=_slot(partner, days_ahead=21), status=BookingStatus.CONFIRMED)
    PreparationFactory(
        booking=ready, status="submitted", confidentiality_acknowledged=True, submitted_at=timezone.now()
    )
    draft_only = BookingFactory(slot=_slot(partner, days_ahead=22), status=BookingStatus.CONFIRMED)
    PreparationFactory(booking=draft_only)
    client.force_login(contact)

    html = client.get(reverse("partners:dashboard")).content.decode()

    assert [row[3:] for row in _table_rows(html, "Your next confirmed visitors")] == [
        ["Read objectives and questions", "Give joining instructions"],
        ["Not submitted yet", "Give joining instructions"],
    ]
    assert f'href="/bookings/{ready.pk}/preparation/"' in html
    assert f'href="/bookings/{draft_only.pk}/preparation/"' not in html
