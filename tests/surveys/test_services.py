"""Writing, opening (who is invited, what is sent) and closing surveys."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from connecting.models import OutboxMessage
from connecting.surveys.models import SurveyAudience, SurveyInvitation, SurveyQuestion, SurveyStatus
from connecting.surveys.selectors import survey_invitee_list
from connecting.surveys.services import (
    QuestionInput,
    SurveyInput,
    survey_close,
    survey_close_due,
    survey_create,
    survey_open,
    survey_update,
)
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    CohortFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)
from tests.surveys.support import OpenSurveyFactory, SurveyFactory, SurveyQuestionFactory

pytestmark = pytest.mark.django_db

QUESTIONS = [
    QuestionInput(
        text="I understand the frontline better",
        kind="agree_scale",
        statement="understood the frontline better",
    ),
    QuestionInput(text="Would you go again?", kind="yes_no", statement="would go again"),
    QuestionInput(text="Anything else?", kind="free_text", statement="ignored for free text"),
]


@pytest.fixture
def team():
    return ProgrammeTeamFactory(totp=False)


def _questions(survey) -> list[tuple]:
    return list(survey.questions.values_list("position", "text", "kind", "statement", "required"))


# --- Drafts ----------------------------------------------------------------------------------------


def test_survey_create_writes_a_draft_with_numbered_questions(team):
    programme = ProgrammeFactory()

    survey = survey_create(
        details=SurveyInput(programme=programme, audience="participants", title=" End of year "),
        questions=QUESTIONS,
        by=team,
    )

    assert (survey.status, survey.title, survey.created_by, survey.opened_at) == (
        "draft",
        "End of year",
        team,
        None,
    )
    assert _questions(survey) == [
        (1, "I understand the frontline better", "agree_scale", "understood the frontline better", True),
        (2, "Would you go again?", "yes_no", "would go again", True),
        (3, "Anything else?", "free_text", "", False),
    ]


def test_survey_create_refuses_a_cohort_of_another_programme_and_too_many_questions(team):
    details = SurveyInput(
        programme=ProgrammeFactory(), cohort=CohortFactory(), audience="participants", title="T"
    )

    with pytest.raises(ValidationError) as refused:
        survey_create(details=details, questions=QUESTIONS * 4, by=team)

    assert refused.value.message_dict == {
        "cohort": ["Select a cohort of the programme, or no cohort"],
        "questions": ["Ask between 1 and 10 questions"],
    }
    assert SurveyQuestion.objects.count() == 0


def test_survey_update_rewrites_a_draft_and_refuses_an_opened_survey(team):
    survey = SurveyFactory()
    SurveyQuestionFactory(survey=survey)
    details = SurveyInput(programme=survey.programme, audience="partners", title="Partners' year")

    survey_update(survey=survey, details=details, questions=QUESTIONS[1:2], by=team)
    survey.refresh_from_db()

    assert (survey.audience, survey.title, _questions(survey)) == (
        "partners",
        "Partners' year",
        [(1, "Would you go again?", "yes_no", "would go again", True)],
    )
    opened = OpenSurveyFactory()
    with pytest.raises(ValidationError) as refused:
        survey_update(survey=opened, details=details, questions=QUESTIONS, by=team)
    assert refused.value.messages == ["This survey has been opened, so it can no longer be changed."]


# --- Who is invited --------------------------------------------------------------------------------


def test_a_participants_survey_invites_the_programmes_active_enrolled_participants():
    programme = ProgrammeFactory()
    first = EnrolmentFactory(programme=programme).participant
    second = EnrolmentFactory(programme=programme).participant
    EnrolmentFactory(programme=programme, participant=ParticipantFactory(is_active=False))
    EnrolmentFactory()  # another programme
    survey = SurveyFactory(programme=programme)

    assert list(survey_invitee_list(survey=survey)) == sorted([first, second], key=lambda u: u.email)


def test_a_cohort_survey_invites_only_that_cohort():
    cohort = CohortFactory()
    member = EnrolmentFactory(programme=cohort.programme, cohort=cohort).participant
    EnrolmentFactory(programme=cohort.programme)
    survey = SurveyFactory(programme=cohort.programme, cohort=cohort)

    assert list(survey_invitee_list(survey=survey)) == [member]


def _hosted(programme, partner, status):
    slot = SlotFactory(opportunity=OpportunityFactory(partner=partner, programmes=[programme]))
    return BookingFactory(slot=slot, programme=programme, status=status)


def test_a_partners_survey_invites_active_contacts_of_partners_that_hosted_a_visit():
    programme = ProgrammeFactory()
    hosted, attended, declined_only, elsewhere = (PartnerFactory() for _ in range(4))
    _hosted(programme, hosted, BookingStatus.CONFIRMED)
    _hosted(programme, hosted, BookingStatus.ATTENDED)  # two visits: still invited once
    _hosted(programme, attended, BookingStatus.ATTENDED)
    _hosted(programme, declined_only, BookingStatus.DECLINED)
    _hosted(ProgrammeFactory(), elsewhere, BookingStatus.ATTENDED)
    a = PartnerMembershipFactory(partner=hosted).user
    b = PartnerMembershipFactory(partner=attended).user
    PartnerMembershipFactory(partner=hosted, user__is_active=False)
    PartnerMembershipFactory(partner=declined_only)
    PartnerMembershipFactory(partner=elsewhere)
    survey = SurveyFactory(programme=programme, audience=SurveyAudience.PARTNERS)

    assert list(survey_invitee_list(survey=survey)) == sorted([a, b], key=lambda u: u.email)


# --- Opening ---------------------------------------------------------------------------------------


def test_survey_open_invites_each_person_once_and_writes_one_outbox_message_each(
    team, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory(name="Connecting 2026")
    people = sorted(
        (EnrolmentFactory(programme=programme).participant for _ in range(2)), key=lambda u: u.email
    )
    survey = SurveyFactory(programme=programme, title="Your year")
    SurveyQuestionFactory(survey=survey)

    with django_capture_on_commit_callbacks(execute=True):
        opened = survey_open(survey=survey, by=team)

    assert (opened.status, opened.opened_by) == ("open", team)
    assert list(SurveyInvitation.objects.order_by("user__email").values_list("user", "answered_at")) == [
        (people[0].pk, None),
        (people[1].pk, None),
    ]
    assert list(
        OutboxMessage.objects.order_by("to").values_list(
            "idempotency_key", "kind", "to", "essential", "recipient"
        )
    ) == [
        (f"survey-invitation:{survey.pk}:{person.pk}", "survey.invitation", [person.email], True, person.pk)
        for person in people
    ]
    assert sorted((m.to, m.subject) for m in mail.outbox) == [
        ([person.email], "Connecting: Survey: Your year") for person in people
    ]
    assert f"http://testserver/surveys/{survey.pk}/answer/" in mail.outbox[0].body


def test_survey_open_goes_to_people_who_turned_reminders_off(team, django_capture_on_commit_callbacks):
    person = EnrolmentFactory(participant=ParticipantFactory(reminders_off_at=timezone.now())).participant
    survey = SurveyFactory(programme=person.enrolments.get().programme)
    SurveyQuestionFactory(survey=survey)

    with django_capture_on_commit_callbacks(execute=True):
        survey_open(survey=survey, by=team)

    assert [m.to for m in mail.outbox] == [[person.email]]


def test_opening_twice_invites_nobody_twice(team, django_capture_on_commit_callbacks):
    enrolment = EnrolmentFactory()
    survey = SurveyFactory(programme=enrolment.programme)
    SurveyQuestionFactory(survey=survey)

    with django_capture_on_commit_callbacks(execute=True):
        survey_open(survey=survey, by=team)
        again = survey_open(survey=survey, by=team)

    assert again.status == "open"
    assert (SurveyInvitation.objects.count(), OutboxMessage.objects.count(), len(mail.outbox)) == (1, 1, 1)


def test_survey_open_refuses_a_survey_without_questions_and_writes_nothing(team):
    survey = SurveyFactory(programme=EnrolmentFactory().programme)

    with pytest.raises(ValidationError) as refused:
        survey_open(survey=survey, by=team)

    survey.refresh_from_db()
    assert refused.value.messages == ["Add at least one question before opening the survey."]
    assert (survey.status, SurveyInvitation.objects.count(), OutboxMessage.objects.count()) == ("draft", 0, 0)


def test_a_closed_survey_cannot_be_opened_again(team):
    survey = OpenSurveyFactory()
    survey_close(survey=survey, by=team)

    with pytest.raises(ValidationError) as refused:
        survey_open(survey=survey, by=team)

    assert refused.value.messages == ["This survey is closed, so it cannot be opened."]


def test_survey_close_stamps_who_and_when_and_a_draft_cannot_be_closed(team):
    survey = survey_close(survey=OpenSurveyFactory(), by=team)

    assert (survey.status, survey.closed_by, survey.closed_at is not None) == ("closed", team, True)
    with pytest.raises(ValidationError) as refused:
        survey_close(survey=SurveyFactory(), by=team)
    assert refused.value.messages == ["This survey is a draft, so it cannot be closed."]


def test_survey_close_due_closes_open_surveys_past_their_closing_date():
    today = timezone.localdate()
    past = OpenSurveyFactory(closes_on=today - datetime.timedelta(days=1))
    current = OpenSurveyFactory(closes_on=today)
    endless = OpenSurveyFactory(closes_on=None)

    assert survey_close_due(today=today) == 1
    assert survey_close_due(today=today) == 0
    assert [s.status for s in (past, current, endless) if not s.refresh_from_db()] == [
        SurveyStatus.CLOSED,
        SurveyStatus.OPEN,
        SurveyStatus.OPEN,
    ]
