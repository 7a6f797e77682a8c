"""What the privacy tests share: a person with something of every kind recorded about them."""

import datetime

from django.utils import timezone

from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)
from debriefs.models import DebriefAction, ReviewEvent
from tests.factories import (
    BookingEventFactory,
    DebriefFactory,
    EnrolmentFactory,
    OpportunityFactory,
    OutboxMessageFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    PreparationFactory,
    ProgrammeFactory,
    SlotFactory,
    ThemeFactory,
)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def person_with_data(person, *, day: datetime.date, tag: str, programme=None, partner=None, theme=None):
    """`person` enrolled on a programme, with an attended visit on London `day` and, about it, a
    booking history, a preparation, a debrief (theme, action, reviewer's comment), the host's
    feedback, a free-text survey answer and an e-mail. Every text carries `tag`, so a test can
    tell whose data it is looking at."""
    programme = programme or ProgrammeFactory(name=f"Programme {tag}")
    partner = partner or PartnerFactory(name=f"Partner {tag}")
    EnrolmentFactory(programme=programme, participant=person)
    slot = SlotFactory(
        opportunity=OpportunityFactory(partner=partner, programmes=[programme], title=f"Visit {tag}"),
        starts_at=at(day, 9),
        ends_at=at(day, 17),
    )
    booking = PastVisitFactory(
        slot=slot,
        participant=person,
        programme=programme,
        status="attended",
        line_manager_email=f"manager-{tag}@dhsc.gov.uk",
    )
    BookingEventFactory(booking=booking, reason=f"Please book me {tag}")
    BookingEventFactory(
        booking=booking,
        action="confirmed",
        from_status="requested",
        to_status="confirmed",
        actor=None,
        actor_description=f"manager-{tag}@dhsc.gov.uk",
    )
    PreparationFactory(
        booking=booking,
        objectives=f"Objectives {tag}",
        questions=f"Questions {tag}",
        access_needs=f"Access needs {tag}",
    )
    debrief = DebriefFactory(
        booking=booking,
        status="approved",
        consent="named",
        submitted_at=at(day + datetime.timedelta(days=1)),
        what_i_saw=f"Saw {tag}",
        what_i_learnt=f"Learnt {tag}",
        usefulness=4,
        tags=["discharge"],
    )
    debrief.themes.set([theme or ThemeFactory(name=f"Theme {tag}")])
    DebriefAction.objects.create(
        debrief=debrief,
        description=f"Action {tag}",
        owner=f"Owner {tag}",
        due_on=day + datetime.timedelta(days=30),
    )
    ReviewEvent.objects.create(
        debrief=debrief,
        action="approved",
        from_status="in_review",
        to_status="approved",
        comment=f"Comment {tag}",
    )
    host = PartnerMembershipFactory(partner=partner).user
    PartnerFeedbackFactory(booking=booking, comments=f"Feedback {tag}", given_by=host, value_to_partner=5)
    survey = Survey.objects.create(
        programme=programme,
        audience="participants",
        title=f"Survey {tag}",
        status="open",
        opened_at=timezone.now(),
    )
    question = SurveyQuestion.objects.create(
        survey=survey, position=1, text="What changed?", kind="free_text"
    )
    invitation = SurveyInvitation.objects.create(survey=survey, user=person, answered_at=timezone.now())
    response = SurveyResponse.objects.create(invitation=invitation, survey=survey)
    SurveyAnswer.objects.create(response=response, question=question, text=f"Answer {tag}")
    OutboxMessageFactory(
        recipient=person,
        to=[person.email],
        subject=f"Subject {tag}",
        body_text=f"Body {tag}",
        body_html=f"<p>Body {tag}</p>",
        status="sent",
        created_at=at(day),
    )
    audit_record(actor=person, verb=AuditVerb.SIGNED_IN, obj=person)
    return {"booking": booking, "debrief": debrief, "host": host, "survey": survey, "programme": programme}
