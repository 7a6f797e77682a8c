"""The preparation and joining-instructions pages, driven through the real services."""

import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from debriefs.models import JoiningInstructions, Preparation
from debriefs.services.preparation import joining_instructions_save, preparation_save
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    PreparationFactory,
    ProgrammeTeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

COMPLETE = {
    "objectives": "See how discharge works at the weekend.",
    "questions": "Who decides when a patient goes home?",
    "prior_knowledge": "",
    "access_needs": "",
    "confidentiality_acknowledged": "on",
}
INSTRUCTIONS = {
    "where_to_go": "Main reception, Northbridge Hospital",
    "who_to_ask_for": "Sam Host, discharge lead",
    "timings": "09:00 to 17:00",
    "other_information": "",
}


@pytest.fixture
def booking():
    return BookingFactory(
        status=BookingStatus.CONFIRMED,
        participant__full_name="Ada Lovelace",
        slot__opportunity__partner__name="Northbridge NHS Trust",
        slot__opportunity__partner__vetting_requirements="Bring photo ID. No photographs on the wards.",
    )


@pytest.fixture
def host(booking):
    return PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user


def _preparation_url(booking) -> str:
    return reverse("preparation:preparation", args=[booking.pk])


def _instructions_url(booking) -> str:
    return reverse("preparation:joining_instructions", args=[booking.pk])


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def _error_summary(response) -> list[str]:
    html = response.content.decode()
    summary = html[
        html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary__list"))
    ]
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _button_actions(html: str) -> list[tuple[str, str]]:
    return [
        (re.search(r'value="(\w+)"', tag).group(1), _text(label))
        for tag, label in re.findall(r'(<button name="action"[^>]*>)(.*?)</button>', html, re.S)
    ]


def _submit(client, booking, action="submit", **changes):
    return client.post(_preparation_url(booking), {**COMPLETE, **changes, "action": action})


# --- The participant's preparation -----------------------------------------------------------------


def test_preparation_page_offers_a_form_with_the_partners_expectations(client, booking):
    client.force_login(booking.participant)

    response = client.get(_preparation_url(booking))

    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].fields) == [
        "objectives",
        "questions",
        "policy_area",
        "prior_knowledge",
        "access_needs",
        "confidentiality_acknowledged",
        "personal_data_confirmed",
    ]
    assert _button_actions(html) == [("submit", "Submit"), ("draft", "Save as draft")]
    assert "Bring photo ID. No photographs on the wards." in html
    assert "I will follow Northbridge NHS Trust’s confidentiality and safeguarding expectations" in html
    # The personal-data checkbox appears only once there is a warning to answer.
    assert 'name="personal_data_confirmed"' not in html


def test_preparation_saved_as_a_draft_then_submitted(client, booking):
    theme = ThemeFactory(name="Hospital discharge")
    client.force_login(booking.participant)

    draft = _submit(
        client, booking, action="draft", objectives="Half a thought", questions="", policy_area=theme.pk
    )
    preparation = Preparation.objects.get()
    assert (draft.status_code, draft["Location"]) == (302, _preparation_url(booking))
    assert (preparation.status, preparation.objectives, preparation.policy_area) == (
        "draft",
        "Half a thought",
        theme,
    )

    draft_page = client.get(_preparation_url(booking))
    submitted = _submit(client, booking, policy_area=theme.pk)
    page = client.get(_preparation_url(booking))

    preparation.refresh_from_db()
    assert (submitted.status_code, preparation.status, preparation.objectives) == (
        302,
        "submitted",
        "See how discharge works at the weekend.",
    )
    assert _messages(draft_page) == [
        "Your preparation has been saved as a draft. Northbridge NHS Trust cannot see it until you submit it."
    ]
    assert draft_page.context["form"]["objectives"].value() == "Half a thought"
    assert _messages(page) == ["Your preparation has been submitted. Northbridge NHS Trust can now read it."]
    # Once submitted it can still be corrected before the visit; there is no going back to a draft.
    assert _button_actions(page.content.decode()) == [("submit", "Save changes")]


def test_preparation_submit_needs_objectives_questions_and_the_acknowledgement(client, booking):
    client.force_login(booking.participant)

    response = _submit(client, booking, objectives=" ", questions="", confidentiality_acknowledged="")

    assert response.status_code == 400
    assert _errors(response) == {
        "objectives": ["Enter what you want to learn from the visit"],
        "questions": ["Enter your questions for your host"],
        "confidentiality_acknowledged": [
            "Confirm that you will follow the partner's confidentiality and safeguarding expectations"
        ],
    }
    assert Preparation.objects.count() == 0


def test_preparation_personal_data_is_named_then_submitted_once_confirmed(client, booking):
    client.force_login(booking.participant)
    typed = {"questions": "Can I meet Mrs Jones? Her number is 020 7946 0018."}

    warned = _submit(client, booking, **typed)

    html = warned.content.decode()
    assert warned.status_code == 400
    assert _error_summary(warned) == [
        "Your preparation may include details of a person. Remove them, or tick the box to say they are "
        "not details of a patient, service user or member of the public.",
        "Your questions: a title followed by a name (Mrs Jones)",
        "Your questions: a phone number (020 7946 0018)",
    ]
    assert "Can I meet Mrs Jones? Her number is 020 7946 0018.</textarea>" in html
    assert (
        'name="personal_data_confirmed"' in html
        and "I have checked: these are not details of a patient, service user or member of the public" in html
    )
    assert Preparation.objects.count() == 0

    confirmed = _submit(client, booking, personal_data_confirmed="on", **typed)

    preparation = Preparation.objects.get()
    assert (confirmed.status_code, preparation.status, preparation.personal_data_confirmed) == (
        302,
        "submitted",
        True,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("\x00", "What you want to learn must not include special characters"),
        ("x" * 10_000, "What you want to learn must be 5,000 characters or fewer"),
        (
            "<script>alert(1)</script>",
            "What you want to learn must not include HTML or other code: remove the < and > around it",
        ),
    ],
)
def test_preparation_hostile_text_is_a_field_error_and_saves_nothing(client, booking, value, message):
    client.force_login(booking.participant)

    response = _submit(client, booking, action="draft", objectives=value)

    assert (response.status_code, _errors(response)) == (400, {"objectives": [message]})
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Preparation.objects.count() == 0


def test_preparation_text_that_only_looks_like_markup_is_kept(client, booking):
    client.force_login(booking.participant)

    response = _submit(client, booking, objectives="Fewer than <5 delays a week; a > b; x<y")

    assert response.status_code == 302
    assert Preparation.objects.get().objectives == "Fewer than <5 delays a week; a > b; x<y"


@pytest.mark.parametrize("value", ["abc", "999999999", "-1", "99999999999999999999999"])
def test_preparation_policy_area_that_is_not_in_the_list_is_a_field_error(client, booking, value):
    client.force_login(booking.participant)

    response = _submit(client, booking, policy_area=value)

    assert (response.status_code, _errors(response)) == (
        400,
        {"policy_area": ["Select a policy area from the list"]},
    )
    assert Preparation.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("requested", "You can prepare once your visit is confirmed. This booking is requested."),
        ("cancelled", "You can prepare once your visit is confirmed. This booking is cancelled."),
        ("declined", "You can prepare once your visit is confirmed. This booking is declined."),
    ],
)
def test_preparation_is_read_only_and_refused_for_a_booking_that_is_not_confirmed(client, status, reason):
    booking = BookingFactory(status=status)
    client.force_login(booking.participant)

    page = client.get(_preparation_url(booking))
    posted = _submit(client, booking)

    assert (page.status_code, page.context["form"], page.context["closed"]) == (200, None, reason)
    assert 'name="action"' not in page.content.decode()
    assert (posted.status_code, _error_summary(posted)) == (400, [reason])
    assert Preparation.objects.count() == 0


def test_preparation_is_read_only_once_the_visit_has_started(client):
    booking = PastVisitFactory()
    PreparationFactory(booking=booking, objectives="What I wrote before")
    client.force_login(booking.participant)

    page = client.get(_preparation_url(booking))
    posted = _submit(client, booking, objectives="Too late")

    reason = "Your visit has started, so its preparation can no longer be changed."
    assert (page.status_code, page.context["form"], page.context["closed"]) == (200, None, reason)
    assert "What I wrote before" in page.content.decode()
    assert (posted.status_code, _error_summary(posted)) == (400, [reason])
    assert Preparation.objects.get().objectives == "What I wrote before"


def test_preparation_of_another_participants_booking_is_not_found(client, booking):
    client.force_login(ParticipantFactory())

    assert client.get(_preparation_url(booking)).status_code == 404
    assert _submit(client, booking).status_code == 404
    assert Preparation.objects.count() == 0


def test_preparation_page_needs_signing_in(client, booking):
    url = _preparation_url(booking)

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(url)}",
    )


def test_partner_sees_submitted_objectives_but_not_a_draft(client, booking, host):
    preparation_save(
        booking=booking, by=booking.participant, objectives="My private draft", questions="Still thinking"
    )
    client.force_login(host)

    draft_page = client.get(_preparation_url(booking))
    draft_instructions = client.get(_instructions_url(booking))

    for response in (draft_page, draft_instructions):
        html = response.content.decode()
        assert (response.status_code, response.context["preparation"]) == (200, None)
        assert "My private draft" not in html and "Still thinking" not in html
        assert '<p class="govuk-body" id="preparation-not-submitted">Not submitted yet</p>' in html

    preparation_save(
        booking=booking,
        by=booking.participant,
        submit=True,
        **dict(COMPLETE, confidentiality_acknowledged=True),
    )

    for url in (_preparation_url(booking), _instructions_url(booking)):
        html = client.get(url).content.decode()
        assert "See how discharge works at the weekend." in html
        assert "Who decides when a patient goes home?" in html


def test_programme_team_reads_the_submitted_preparation_without_a_form(client, booking):
    PreparationFactory(
        booking=booking,
        objectives="Learn about discharge",
        status="submitted",
        confidentiality_acknowledged=True,
        submitted_at=timezone.now(),
    )
    client.force_login(ProgrammeTeamFactory())

    response = client.get(_preparation_url(booking))

    assert (response.status_code, response.context["form"], response.context["preparation"].objectives) == (
        200,
        None,
        "Learn about discharge",
    )
    assert "Learn about discharge" in response.content.decode()


def test_programme_team_does_not_read_a_draft_preparation(client, booking):
    PreparationFactory(booking=booking, objectives="Learn about discharge")
    client.force_login(ProgrammeTeamFactory())

    response = client.get(_preparation_url(booking))

    assert (response.status_code, response.context["preparation"]) == (200, None)
    assert "Learn about discharge" not in response.content.decode()


def test_partner_contact_and_team_may_not_post_the_preparation(client, booking, host):
    for user in (host, ProgrammeTeamFactory()):
        client.force_login(user)
        assert _submit(client, booking).status_code == 403
    assert Preparation.objects.count() == 0


def test_another_partners_contact_does_not_find_the_preparation(client, booking):
    client.force_login(PartnerMembershipFactory(partner=PartnerFactory()).user)

    assert client.get(_preparation_url(booking)).status_code == 404


def test_participant_sees_the_joining_instructions_on_the_preparation_page(client, booking, host):
    client.force_login(booking.participant)
    before = client.get(_preparation_url(booking)).content.decode()
    joining_instructions_save(
        booking=booking, by=host, **{**INSTRUCTIONS, "who_to_ask_for": "Sam at reception"}
    )

    after = client.get(_preparation_url(booking)).content.decode()

    assert "Northbridge NHS Trust has not sent joining instructions yet." in before
    assert "Sam at reception" in after and "Main reception, Northbridge Hospital" in after


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["participant", "host"])
def test_preparation_page_queries_do_not_grow_with_the_policy_areas(client, booking, host, viewer):
    """The participant's form lists every policy area; the host reads the submitted one."""
    preparation_save(
        booking=booking,
        by=booking.participant,
        submit=True,
        **dict(COMPLETE, confidentiality_acknowledged=True),
    )
    client.force_login(booking.participant if viewer == "participant" else host)
    url = _preparation_url(booking)
    ThemeFactory()
    with_one = _queries(client, url)
    ThemeFactory.create_batch(2)

    assert _queries(client, url) == with_one


# --- The partner's joining instructions ----------------------------------------------------------


def test_joining_instructions_saved_by_the_host(client, booking, host):
    PreparationFactory(
        booking=booking,
        status="submitted",
        submitted_at=booking.created_at,
        confidentiality_acknowledged=True,
    )
    client.force_login(host)

    page = client.get(_instructions_url(booking))
    response = client.post(_instructions_url(booking), INSTRUCTIONS)

    instructions = JoiningInstructions.objects.get()
    assert page.status_code == 200
    assert "Understand how discharge decisions are made at the weekend." in page.content.decode()
    assert (response.status_code, response["Location"]) == (302, _instructions_url(booking))
    assert (
        instructions.where_to_go,
        instructions.who_to_ask_for,
        instructions.timings,
        instructions.updated_by,
    ) == (
        "Main reception, Northbridge Hospital",
        "Sam Host, discharge lead",
        "09:00 to 17:00",
        host,
    )
    assert _messages(client.get(_instructions_url(booking))) == [
        "The joining instructions have been saved. Ada Lovelace can now read them."
    ]


def test_joining_instructions_saved_by_the_team_on_the_partners_behalf(client, booking):
    team = ProgrammeTeamFactory()
    client.force_login(team)

    response = client.post(_instructions_url(booking), INSTRUCTIONS)

    assert (response.status_code, JoiningInstructions.objects.get().updated_by) == (302, team)


def test_joining_instructions_need_where_who_and_when(client, booking, host):
    client.force_login(host)

    response = client.post(_instructions_url(booking), dict.fromkeys(INSTRUCTIONS, " "))

    assert response.status_code == 400
    assert _errors(response) == {
        "where_to_go": ["Enter where the visitor should go"],
        "who_to_ask_for": ["Enter who the visitor should ask for"],
        "timings": ["Enter the timings for the day"],
    }
    assert JoiningInstructions.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("\x00", "Who to ask for must not include special characters"),
        ("x" * 10_000, "Who to ask for must be 200 characters or fewer"),
        ("<b>Sam</b>", "Who to ask for must not include HTML or other code: remove the < and > around it"),
    ],
)
def test_joining_instructions_hostile_text_is_a_field_error_and_saves_nothing(
    client, booking, host, value, message
):
    client.force_login(host)

    response = client.post(_instructions_url(booking), {**INSTRUCTIONS, "who_to_ask_for": value})

    assert (response.status_code, _errors(response)) == (400, {"who_to_ask_for": [message]})
    assert JoiningInstructions.objects.count() == 0


def test_joining_instructions_and_briefing_pack_need_signing_in(client, booking):
    for url in (_instructions_url(booking), reverse("preparation:briefing_pack", args=[booking.pk])):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('account_login')}?next={quote(url)}",
        )


def test_joining_instructions_refused_for_another_partners_contact(client, booking):
    client.force_login(PartnerMembershipFactory(partner=PartnerFactory()).user)

    assert client.get(_instructions_url(booking)).status_code == 404
    assert client.post(_instructions_url(booking), INSTRUCTIONS).status_code == 404
    assert JoiningInstructions.objects.count() == 0


def test_joining_instructions_refused_for_the_participant_who_reads_them(client, booking, host):
    joining_instructions_save(booking=booking, by=host, **INSTRUCTIONS)
    client.force_login(booking.participant)

    page = client.get(_instructions_url(booking))
    posted = client.post(_instructions_url(booking), {**INSTRUCTIONS, "timings": "Changed"})

    assert (page.status_code, page.context["form"]) == (200, None)
    assert "Sam Host, discharge lead" in page.content.decode()
    assert posted.status_code == 403
    assert JoiningInstructions.objects.get().timings == "09:00 to 17:00"


@pytest.mark.parametrize(
    ("booking_kwargs", "reason"),
    [
        (
            {"status": BookingStatus.REQUESTED},
            "Joining instructions are given for confirmed visits. This booking is requested.",
        ),
        (
            {"status": BookingStatus.CONFIRMED, "slot__days_ahead": -3},
            "This visit has ended, so its joining instructions can no longer be changed.",
        ),
    ],
)
def test_joining_instructions_read_only_with_the_reason_when_closed(client, booking_kwargs, reason):
    booking = BookingFactory(**booking_kwargs)
    client.force_login(PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user)

    page = client.get(_instructions_url(booking))
    posted = client.post(_instructions_url(booking), INSTRUCTIONS)

    assert (page.status_code, page.context["form"], page.context["closed"]) == (200, None, reason)
    assert (posted.status_code, _error_summary(posted)) == (400, [reason])
    assert JoiningInstructions.objects.count() == 0


def test_host_is_pointed_from_the_preparation_to_the_joining_instructions(client, booking, host):
    link = f'<a class="govuk-link" href="{_instructions_url(booking)}">Give or change the joining instructions</a>'
    client.force_login(host)
    as_host = client.get(_preparation_url(booking)).content.decode()
    client.force_login(booking.participant)
    as_participant = client.get(_preparation_url(booking)).content.decode()

    assert (link in as_host, link in as_participant) == (True, False)


@pytest.mark.parametrize("booking_id", ["0", "999999999", "99999999999999999999999"])
def test_pages_before_a_visit_with_odd_booking_ids_answer_404(client, booking_id):
    client.force_login(ProgrammeTeamFactory())

    for page in ("preparation", "joining-instructions", "briefing-pack"):
        assert client.get(f"/bookings/{booking_id}/{page}/").status_code == 404
