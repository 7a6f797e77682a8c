"""debrief_save, called directly: drafts, submission, its checks, and who and when may write."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from debriefs.models import Debrief, DebriefAction, DebriefStatus, ReviewEvent
from debriefs.services.common import DebriefRefused, PersonalDataWarning
from debriefs.services.debriefs import (
    MAX_ACTIONS,
    ActionInput,
    debrief_save,
    debrief_start_review,
    tags_normalise,
)
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    DebriefFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

DUE = datetime.date(2027, 3, 27)
COMPLETE = {"usefulness": 4, "consent": "anonymised"}


def _save(booking, **kwargs):
    kwargs.setdefault("texts", {"what_i_learnt": "Delays start with care packages."})
    return debrief_save(booking=booking, by=booking.participant, **kwargs)


def test_debrief_save_draft_keeps_what_was_typed_and_records_no_review_step():
    booking = PastVisitFactory()

    debrief = _save(booking, texts={"what_i_saw": "  The morning huddle.  "}, tags=["Discharge"])

    assert (
        debrief.status,
        debrief.what_i_saw,
        debrief.what_i_learnt,
        debrief.tags,
        debrief.submitted_at,
    ) == (
        DebriefStatus.DRAFT,
        "The morning huddle.",
        "",
        ["discharge"],
        None,
    )
    assert ReviewEvent.objects.count() == 0


def test_debrief_save_submit_stores_everything_and_records_the_submission():
    booking = PastVisitFactory(status=BookingStatus.ATTENDED)
    flow, frailty = ThemeFactory(name="Patient flow"), ThemeFactory(name="Frailty")

    debrief = _save(
        booking,
        themes=[flow, frailty],
        tags=["  Care   Packages ", "care packages", "Weekend"],
        actions=[
            ActionInput(description=" Brief the team ", owner=" Me ", due_on=DUE),
            ActionInput(description="Write to the trust", owner="Deputy director", due_on=DUE),
        ],
        submit=True,
        **COMPLETE,
    )

    debrief.refresh_from_db()
    assert (debrief.status, debrief.usefulness, debrief.consent, debrief.tags) == (
        DebriefStatus.SUBMITTED,
        4,
        "anonymised",
        ["care packages", "weekend"],
    )
    assert sorted(debrief.themes.values_list("name", flat=True)) == ["Frailty", "Patient flow"]
    assert list(debrief.actions.values_list("description", "owner", "due_on")) == [
        ("Brief the team", "Me", DUE),
        ("Write to the trust", "Deputy director", DUE),
    ]
    assert list(ReviewEvent.objects.values_list("action", "from_status", "to_status", "actor")) == [
        ("submitted", "draft", "submitted", booking.participant.pk)
    ]


def test_debrief_save_replaces_the_actions_as_a_whole():
    booking = PastVisitFactory()
    _save(booking, actions=[ActionInput(description="First", owner="Me", due_on=DUE)])

    _save(booking, actions=[ActionInput(description="Second", owner="Me", due_on=DUE)])

    assert list(DebriefAction.objects.values_list("description", flat=True)) == ["Second"]


def test_debrief_save_submit_needs_what_was_learnt_usefulness_and_consent():
    booking = PastVisitFactory()

    with pytest.raises(DebriefRefused) as refused:
        _save(booking, texts={"what_i_saw": "A ward round."}, submit=True)

    assert {field: [str(m) for m in errors] for field, errors in refused.value.message_dict.items()} == {
        "what_i_learnt": ["Enter what you learnt"],
        "usefulness": ["Select how useful the visit was"],
        "consent": ["Select who may see your debrief"],
    }
    assert Debrief.objects.count() == 0


def test_debrief_save_submit_with_personal_data_saves_nothing_until_confirmed():
    booking = PastVisitFactory()
    texts = {"what_i_learnt": "Call the ward on 07911 123456."}
    actions = [ActionInput(description="E-mail jo@example.com", owner="Me", due_on=DUE)]

    with pytest.raises(PersonalDataWarning) as warning:
        _save(booking, texts=texts, actions=actions, submit=True, **COMPLETE)

    assert {
        name: [(f.kind, f.text) for f in findings] for name, findings in warning.value.findings.items()
    } == {
        "what_i_learnt": [("phone_number", "07911 123456")],
        "action_1": [("email", "jo@example.com")],
    }
    assert Debrief.objects.count() == 0

    debrief = _save(
        booking, texts=texts, actions=actions, submit=True, personal_data_confirmed=True, **COMPLETE
    )

    assert (debrief.status, debrief.personal_data_confirmed) == (DebriefStatus.SUBMITTED, True)


def test_debrief_save_draft_is_not_scanned_for_personal_data():
    booking = PastVisitFactory()

    debrief = _save(booking, texts={"what_i_learnt": "Call the ward on 07911 123456."})

    assert (debrief.status, debrief.personal_data_confirmed) == (DebriefStatus.DRAFT, False)


def test_debrief_save_refuses_too_many_actions_and_tags():
    booking = PastVisitFactory()
    actions = [ActionInput(description=f"Action {n}", owner="Me", due_on=DUE) for n in range(MAX_ACTIONS + 1)]

    with pytest.raises(DebriefRefused) as too_many_actions:
        _save(booking, actions=actions)
    with pytest.raises(DebriefRefused) as too_many_tags:
        _save(booking, tags=[f"tag {n}" for n in range(11)])
    with pytest.raises(DebriefRefused) as tag_too_long:
        _save(booking, tags=["x" * 41])

    assert (too_many_actions.value.code, too_many_actions.value.messages) == (
        "too_many_actions",
        ["List at most 10 actions"],
    )
    assert too_many_tags.value.message_dict == {"tags": ["Enter at most 10 tags"]}
    assert tag_too_long.value.message_dict == {"tags": ["Each tag must be 40 characters or fewer"]}
    assert Debrief.objects.count() == 0


def test_debrief_save_before_the_visit_day_is_refused():
    booking = BookingFactory(status=BookingStatus.CONFIRMED, slot=SlotFactory(days_ahead=2))

    with pytest.raises(DebriefRefused) as refused:
        _save(booking)

    assert refused.value.code == "debrief_before_visit"
    assert Debrief.objects.count() == 0


@pytest.mark.parametrize("status", ["cancelled", "declined", "no_show", "waitlisted", "requested"])
def test_debrief_save_for_a_booking_that_is_not_a_visit_is_refused(status):
    booking = PastVisitFactory(status=status)

    with pytest.raises(DebriefRefused) as refused:
        _save(booking)

    assert refused.value.code == "debrief_not_a_visit"
    assert Debrief.objects.count() == 0


def test_debrief_save_by_anyone_but_the_participant_is_denied():
    booking = PastVisitFactory()
    contact = PartnerMembershipFactory(partner=booking.slot.opportunity.partner).user

    for person in (contact, ProgrammeTeamFactory(totp=False), PastVisitFactory().participant):
        with pytest.raises(PermissionDenied):
            debrief_save(booking=booking, by=person, texts={"what_i_learnt": "x"})
    assert Debrief.objects.count() == 0


def test_debrief_save_once_review_has_started_is_refused():
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")
    debrief_start_review(debrief=debrief, by=ProgrammeTeamFactory(totp=False))

    with pytest.raises(DebriefRefused) as refused:
        _save(debrief.booking, texts={"what_i_learnt": "Changed."}, submit=True, **COMPLETE)

    assert (refused.value.code, Debrief.objects.get().what_i_learnt) == (
        "debrief_locked",
        "Most delays start with waiting for a care package, not with the ward.",
    )


def test_debrief_save_of_a_submitted_debrief_keeps_it_submitted_and_complete():
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")

    with pytest.raises(DebriefRefused):
        _save(debrief.booking, texts={"what_i_learnt": ""}, **COMPLETE)
    saved = _save(debrief.booking, texts={"what_i_learnt": "Better words."}, **COMPLETE)

    assert (saved.status, saved.what_i_learnt) == (DebriefStatus.SUBMITTED, "Better words.")


def test_tags_normalise_trims_folds_lowercases_and_removes_repeats():
    assert tags_normalise(["  Care   Packages ", "care packages", "", "A&E", "  "]) == [
        "care packages",
        "a&e",
    ]
