"""The host's feedback on a visit: the service, called directly, and its page."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from debriefs.models import PartnerFeedback
from debriefs.services.common import DebriefRefused
from debriefs.services.feedback import partner_feedback_save
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    PartnerFeedbackFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

ANSWERS = {"visitor_prepared": "partly", "value_to_partner": 4, "would_host_again": "yes"}


def _contact(booking):
    return PartnerMembershipFactory(
        partner=booking.slot.opportunity.partner, user__full_name="Hana Host"
    ).user


def _url(booking) -> str:
    return reverse("debriefs:feedback", args=[booking.pk])


def _stored() -> list[tuple]:
    return list(
        PartnerFeedback.objects.values_list(
            "visitor_prepared", "value_to_partner", "would_host_again", "comments", "given_by"
        )
    )


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _errors(response) -> dict:
    return response.context["form"].errors


# --- The service --------------------------------------------------------------------------------------


def test_partner_feedback_save_gives_then_corrects_one_feedback_per_booking():
    booking = PastVisitFactory()
    first, second = _contact(booking), PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user

    partner_feedback_save(booking=booking, by=first, comments="  Keen.  ", **ANSWERS)
    partner_feedback_save(
        booking=booking, by=second, visitor_prepared="yes", value_to_partner=5, would_host_again="maybe"
    )

    assert _stored() == [("yes", 5, "maybe", "", second.pk)]


def test_partner_feedback_save_before_the_visit_starts_is_refused():
    booking = BookingFactory(status=BookingStatus.CONFIRMED, slot=SlotFactory(days_ahead=1))

    with pytest.raises(DebriefRefused) as refused:
        partner_feedback_save(booking=booking, by=_contact(booking), **ANSWERS)

    assert (refused.value.code, _stored()) == ("feedback_before_visit", [])


@pytest.mark.parametrize("status", ["cancelled", "no_show", "declined"])
def test_partner_feedback_save_for_a_visit_that_did_not_happen_is_refused(status):
    booking = PastVisitFactory(status=status)

    with pytest.raises(DebriefRefused) as refused:
        partner_feedback_save(booking=booking, by=_contact(booking), **ANSWERS)

    assert (refused.value.code, _stored()) == ("feedback_not_a_visit", [])


def test_partner_feedback_save_by_anyone_but_the_hosts_contacts_is_denied():
    booking = PastVisitFactory()
    others = (booking.participant, ProgrammeTeamFactory(totp=False), PartnerMembershipFactory().user)

    for person in others:
        with pytest.raises(PermissionDenied):
            partner_feedback_save(booking=booking, by=person, **ANSWERS)
    assert _stored() == []


# --- The page ----------------------------------------------------------------------------------------------


def test_feedback_page_gives_feedback(client):
    booking = PastVisitFactory(status=BookingStatus.ATTENDED)
    contact = _contact(booking)
    client.force_login(contact)

    shown = client.get(_url(booking))
    response = client.post(
        _url(booking),
        {
            "visitor_prepared": "partly",
            "value_to_partner": "4",
            "would_host_again": "yes",
            "comments": "Keen.",
        },
        follow=True,
    )

    assert shown.status_code == 200
    assert response.redirect_chain == [(reverse("bookings:detail", args=[booking.pk]), 302)]
    assert _messages(response) == [
        ("success", "Thank you: your feedback has been sent to the programme team.")
    ]
    assert _stored() == [("partly", 4, "yes", "Keen.", contact.pk)]


def test_feedback_page_shows_the_feedback_given_to_correct_it(client):
    feedback = PartnerFeedbackFactory(value_to_partner=2)
    contact = _contact(feedback.booking)
    client.force_login(contact)

    shown = client.get(_url(feedback.booking))
    client.post(
        _url(feedback.booking), {"visitor_prepared": "yes", "value_to_partner": "5", "would_host_again": "no"}
    )

    assert shown.context["form"]["value_to_partner"].value() == 2
    assert _stored() == [("yes", 5, "no", "", contact.pk)]


def test_feedback_page_needs_every_answer(client):
    booking = PastVisitFactory()
    client.force_login(_contact(booking))

    response = client.post(_url(booking), {})

    assert response.status_code == 400
    assert _errors(response) == {
        "visitor_prepared": ["Select whether the visitor was prepared"],
        "value_to_partner": ["Select the value of the visit to your organisation"],
        "would_host_again": ["Select whether you would host again"],
    }
    assert _stored() == []


@pytest.mark.parametrize("value", ["0", "6", "-1", "4.5", "abc", "\x00", "9" * 30])
def test_feedback_page_value_outside_one_to_five_is_a_field_error(client, value):
    booking = PastVisitFactory()
    client.force_login(_contact(booking))

    response = client.post(_url(booking), {**ANSWERS, "value_to_partner": value})

    assert response.status_code == 400
    assert _errors(response) == {"value_to_partner": ["Select the value of the visit to your organisation"]}
    assert _stored() == []


def test_feedback_page_hostile_comments_are_field_errors(client):
    booking = PastVisitFactory()
    client.force_login(_contact(booking))

    too_long = client.post(_url(booking), {**ANSWERS, "comments": "x" * 20_000})
    null = client.post(_url(booking), {**ANSWERS, "comments": "a\x00b"})
    markup = client.post(_url(booking), {**ANSWERS, "comments": "<script>alert(1)</script>"})

    assert [_errors(r)["comments"] for r in (too_long, null, markup)] == [
        ["Your comments must be 5,000 characters or fewer"],
        ["Your comments must not include special characters"],
        ["Your comments must not include HTML or other code: remove the < and > around it"],
    ]
    assert "<script>alert(1)</script>" not in markup.content.decode()
    assert _stored() == []


def test_feedback_page_before_the_visit_starts_is_refused(client):
    booking = BookingFactory(status=BookingStatus.CONFIRMED, slot=SlotFactory(days_ahead=1))
    client.force_login(_contact(booking))

    shown = client.get(_url(booking), follow=True)
    posted = client.post(_url(booking), {**ANSWERS})

    assert shown.redirect_chain == [(reverse("bookings:detail", args=[booking.pk]), 302)]
    assert _messages(shown) == [("info", "You can give feedback once the visit has started.")]
    assert (posted.status_code, _errors(posted)) == (
        400,
        {"__all__": ["You can give feedback once the visit has started."]},
    )
    assert _stored() == []


def test_feedback_page_is_forbidden_to_the_participant(client):
    feedback = PartnerFeedbackFactory(comments="Arrived late and unprepared.")
    client.force_login(feedback.booking.participant)

    shown = client.get(_url(feedback.booking))
    posted = client.post(_url(feedback.booking), {**ANSWERS})

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert "Arrived late and unprepared." not in shown.content.decode()


def test_feedback_page_is_not_found_for_another_partners_contacts(client):
    booking = PastVisitFactory()
    client.force_login(PartnerMembershipFactory().user)

    assert client.get(_url(booking)).status_code == 404
    assert client.post(_url(booking), {**ANSWERS}).status_code == 404
    assert _stored() == []


def test_feedback_page_shows_the_programme_team_the_feedback_read_only(client):
    feedback = PartnerFeedbackFactory(comments="Asked good questions.", given_by=None)
    client.force_login(ProgrammeTeamFactory())

    shown = client.get(_url(feedback.booking))
    posted = client.post(_url(feedback.booking), {**ANSWERS})

    assert (shown.status_code, posted.status_code) == (200, 403)
    assert shown.templates[0].name == "debriefs/feedback_detail.html"
    assert "Asked good questions." in shown.content.decode()
    assert _stored() == [("yes", 4, "yes", "Asked good questions.", None)]


def test_feedback_page_tells_the_team_when_there_is_none_yet(client):
    booking = PastVisitFactory()
    client.force_login(ProgrammeTeamFactory())

    response = client.get(_url(booking))

    assert "The partner has not given feedback on this visit yet." in response.content.decode()


def test_feedback_page_sends_anonymous_visitors_to_sign_in(client):
    booking = PastVisitFactory()

    response = client.get(_url(booking))

    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("account_login"))


def test_partner_feedback_save_with_personal_data_warns_and_saves_nothing_until_confirmed():
    from debriefs.services.common import PersonalDataWarning

    booking = PastVisitFactory()
    contact = _contact(booking)
    answers = {"visitor_prepared": "yes", "value_to_partner": 4, "would_host_again": "yes"}

    with pytest.raises(PersonalDataWarning) as warned:
        partner_feedback_save(booking=booking, by=contact, comments="She met Mrs Patel on ward 3.", **answers)
    assert [(f.kind, f.text) for f in warned.value.findings["comments"]] == [("titled_name", "Mrs Patel")]
    assert _stored() == []

    partner_feedback_save(
        booking=booking,
        by=contact,
        comments="She met Mrs Patel on ward 3.",
        personal_data_confirmed=True,
        **answers,
    )
    assert len(_stored()) == 1


def test_feedback_page_names_personal_data_then_takes_the_confirmed_comments(client):
    booking = PastVisitFactory()
    client.force_login(_contact(booking))
    comments = "Call me on 020 7946 0018 about Mrs Patel."

    warned = client.post(_url(booking), {**ANSWERS, "comments": comments})

    assert warned.status_code == 400
    assert _errors(warned) == {
        "__all__": [
            "Your comments may include details of a person. Remove them, or tick the box to say they are "
            "not details of a patient, service user or member of the public."
        ],
        "comments": [
            "Your comments: a phone number (020 7946 0018)",
            "Your comments: a title followed by a name (Mrs Patel)",
        ],
    }
    assert 'name="personal_data_confirmed"' in warned.content.decode()
    assert _stored() == []

    confirmed = client.post(_url(booking), {**ANSWERS, "comments": comments, "personal_data_confirmed": "on"})

    assert confirmed.status_code == 302
    assert [feedback.comments for feedback in PartnerFeedback.objects.all()] == [comments]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"visitor_prepared": "very", "value_to_partner": 4, "would_host_again": "yes"}, "visitor_prepared"),
        ({"visitor_prepared": "yes", "value_to_partner": 9, "would_host_again": "yes"}, "value_to_partner"),
        ({"visitor_prepared": "yes", "value_to_partner": 4, "would_host_again": "never"}, "would_host_again"),
    ],
)
def test_partner_feedback_save_refuses_answers_outside_the_choices_on_the_field(answers, field):
    from debriefs.services.common import DebriefRefused

    booking = PastVisitFactory()

    with pytest.raises(DebriefRefused) as refused:
        partner_feedback_save(booking=booking, by=_contact(booking), **answers)

    assert list(refused.value.error_dict) == [field]
    assert _stored() == []
