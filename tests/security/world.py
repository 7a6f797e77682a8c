"""One small portal, built once, for the permission matrix: a programme, two partners (X and Y) each
with an admin contact, and the objects every URL of the portal can point at.

Participant A's objects (at partner X) are the ones other visitors try to reach; participant B's
booking is at partner Y. Everything is written with tests/factories.py, the upload checks and the
services' own token helpers, so the rows look as the portal would have left them.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from connecting.outbox import unsubscribe_token
from connecting.reports.models import ExportDataset, ExportFormat, ExportJob
from connecting.reports.services import export_job_run
from connecting.surveys.models import SurveyAudience
from connecting.uploads import document_check, document_store
from debriefs.models import Debrief, DebriefStatus, Insight, JoiningInstructions, PolicyAction
from partners.models import PartnerBlackout, PartnerInvitation
from partners.selectors import invitation_token_hash
from placements.models import BookingStatus, CalendarFeed
from placements.services.bookings import manager_approval_token
from placements.services.calendar import calendar_feed_get_or_create
from tests.factories import (
    BookingFactory,
    CohortFactory,
    DebriefFactory,
    EnrolmentFactory,
    OpportunityFactory,
    OutboxMessageFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    PreparationFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    SlotFactory,
)
from tests.surveys.support import OpenSurveyFactory, SurveyInvitationFactory, SurveyQuestionFactory

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

VISITORS = ("anonymous", "participant_a", "participant_b", "partner_x", "partner_y", "team")


@dataclass
class World:
    programme: object
    cohort: object
    team: object
    team_other: object  # a second team member, owner of an export the first may not download
    participant_a: object
    participant_b: object
    partner_x: object  # the partner organisations
    partner_y: object
    contact_x: object  # their admin contacts
    contact_y: object
    enrolment_a: object
    opportunity_x: object
    opportunity_y: object
    slot_x_past: object
    slot_x_future: object
    slot_y_future: object
    booking_a: object  # A at X: confirmed, in the past, attended
    booking_a_request: object  # A at X: requested, ahead, waiting for X's answer
    booking_b: object  # B at Y: requested, ahead
    preparation_a: object
    instructions_a: object  # with a briefing pack
    debrief_a: object  # submitted
    feedback_a: object  # X's feedback on A's visit
    policy_action_a: object
    insight_x: object  # published from a third participant's visit to X
    blackout_x: object
    invitation_x_token: str  # an open invitation to join X, for a new address
    manager_token_a: str  # the line manager's link for A's request
    unsubscribe_token_a: str
    calendar_token_a: str
    calendar_token_b: str
    survey: object  # open, participants only, A invited
    outbox_message_a: object
    export_job_team: object  # ready, the team member's own
    export_job_other: object  # ready, asked for by `team_other`

    def user(self, visitor: str):
        return {
            "anonymous": None,
            "participant_a": self.participant_a,
            "participant_b": self.participant_b,
            "partner_x": self.contact_x,
            "partner_y": self.contact_y,
            "team": self.team,
        }[visitor]


def _days_ago(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _briefing_pack(booking) -> JoiningInstructions:
    """The pack goes through the same content check and private store as an upload from the form;
    the row is written directly because the service only takes packs for visits still to come."""
    upload = SimpleUploadedFile("Visitor pack.pdf", PDF, content_type="application/pdf")
    info = document_check(upload)
    stored = document_store(upload, info=info, folder=f"briefing-packs/{booking.pk}")
    return JoiningInstructions.objects.create(
        booking=booking,
        where_to_go="Main reception, Northbridge Hospital",
        who_to_ask_for="Sam Host, discharge lead",
        timings="09:00 to 17:00",
        briefing_pack=stored,
        briefing_pack_filename=info.filename,
        briefing_pack_content_type=info.content_type,
    )


def _ready_export(by) -> ExportJob:
    job = ExportJob.objects.create(requested_by=by, dataset=ExportDataset.BOOKINGS, format=ExportFormat.CSV)
    assert export_job_run(job_id=job.pk) == "ready"
    job.refresh_from_db()
    return job


def build_world() -> World:
    programme = ProgrammeFactory(name="Connecting")
    cohort = CohortFactory(programme=programme)
    team = ProgrammeTeamFactory(full_name="Tess Team")
    team_other = ProgrammeTeamFactory(full_name="Owen Other")
    participant_a = ParticipantFactory(full_name="Ada Participant")
    participant_b = ParticipantFactory(full_name="Ben Participant")
    enrolment_a = EnrolmentFactory(programme=programme, participant=participant_a, cohort=cohort)
    EnrolmentFactory(programme=programme, participant=participant_b, cohort=cohort)

    partner_x = PartnerFactory(name="Partner X NHS Trust")
    partner_y = PartnerFactory(name="Partner Y Council")
    contact_x = PartnerMembershipFactory(
        partner=partner_x, is_admin=True, user__full_name="Xena Contact"
    ).user
    contact_y = PartnerMembershipFactory(
        partner=partner_y, is_admin=True, user__full_name="Yuri Contact"
    ).user

    opportunity_x = OpportunityFactory(partner=partner_x, programmes=[programme])
    opportunity_y = OpportunityFactory(partner=partner_y, programmes=[programme])
    slot_x_past = SlotFactory(opportunity=opportunity_x, days_ahead=-3, places_held=1)
    slot_x_future = SlotFactory(opportunity=opportunity_x, days_ahead=30, places_held=1)
    slot_y_future = SlotFactory(opportunity=opportunity_y, days_ahead=30, places_held=1)

    booking_a = PastVisitFactory(
        slot=slot_x_past, participant=participant_a, programme=programme, status=BookingStatus.ATTENDED
    )
    booking_a_request = BookingFactory(
        slot=slot_x_future,
        participant=participant_a,
        programme=programme,
        line_manager_email="ada.manager@dhsc.gov.uk",
    )
    booking_b = BookingFactory(slot=slot_y_future, participant=participant_b, programme=programme)

    preparation_a = PreparationFactory(
        booking=booking_a,
        status="submitted",
        submitted_at=_days_ago(5, 10),
        confidentiality_acknowledged=True,
    )
    instructions_a = _briefing_pack(booking_a)
    debrief_a = DebriefFactory(booking=booking_a, status=DebriefStatus.SUBMITTED, consent="anonymised")
    feedback_a = PartnerFeedbackFactory(booking=booking_a, given_by=contact_x)
    policy_action_a = PolicyAction.objects.create(
        debrief=debrief_a, description="Ask the ICB about weekend care packages.", owner=team, created_by=team
    )

    # The library holds an insight about X, from someone outside the six visitors.
    published = DebriefFactory(
        booking__slot=SlotFactory(opportunity=opportunity_x, days_ahead=-10),
        booking__programme=programme,
        status=DebriefStatus.PUBLISHED,
        consent="named",
    )
    insight_x = Insight.objects.create(
        debrief=published,
        title="Discharge starts at admission",
        body="The huddle plans each discharge on the day the patient arrives.",
        partner=partner_x,
        programme=programme,
        sector=partner_x.sector,
        region=partner_x.region,
        visited_on=timezone.localdate(published.booking.slot.starts_at),
        published_by=team,
    )

    blackout_x = PartnerBlackout.objects.create(
        partner=partner_x,
        starts_on=timezone.localdate() + datetime.timedelta(days=60),
        ends_on=timezone.localdate() + datetime.timedelta(days=62),
        reason="Inspection",
        created_by=contact_x,
    )
    invitation_x_token = secrets.token_urlsafe(32)
    PartnerInvitation.objects.create(
        partner=partner_x,
        email="new.colleague@trust.nhs.example.org",
        token_hash=invitation_token_hash(invitation_x_token),
        invited_by=contact_x,
        created_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )

    survey = OpenSurveyFactory(programme=programme, audience=SurveyAudience.PARTICIPANTS)
    SurveyQuestionFactory(survey=survey)
    SurveyInvitationFactory(survey=survey, user=participant_a)

    world = World(
        programme=programme,
        cohort=cohort,
        team=team,
        team_other=team_other,
        participant_a=participant_a,
        participant_b=participant_b,
        partner_x=partner_x,
        partner_y=partner_y,
        contact_x=contact_x,
        contact_y=contact_y,
        enrolment_a=enrolment_a,
        opportunity_x=opportunity_x,
        opportunity_y=opportunity_y,
        slot_x_past=slot_x_past,
        slot_x_future=slot_x_future,
        slot_y_future=slot_y_future,
        booking_a=booking_a,
        booking_a_request=booking_a_request,
        booking_b=booking_b,
        preparation_a=preparation_a,
        instructions_a=instructions_a,
        debrief_a=Debrief.objects.get(pk=debrief_a.pk),
        feedback_a=feedback_a,
        policy_action_a=policy_action_a,
        insight_x=insight_x,
        blackout_x=blackout_x,
        invitation_x_token=invitation_x_token,
        manager_token_a=manager_approval_token(booking=booking_a_request),
        unsubscribe_token_a=unsubscribe_token(participant_a),
        calendar_token_a=calendar_feed_get_or_create(user=participant_a).token,
        calendar_token_b=calendar_feed_get_or_create(user=participant_b).token,
        survey=survey,
        outbox_message_a=OutboxMessageFactory(to=[participant_a.email], status="failed", attempts=3),
        export_job_team=_ready_export(team),
        export_job_other=_ready_export(team_other),
    )
    assert CalendarFeed.objects.count() == 2
    return world
