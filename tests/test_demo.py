from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from connecting import demo, demo_debriefs, demo_placements, demo_surveys
from connecting.accounts.models import Role, User
from debriefs.models import (
    SHAREABLE_CONSENTS,
    Debrief,
    DebriefAction,
    DebriefStatus,
    Insight,
    JoiningInstructions,
    PartnerFeedback,
    PolicyAction,
    PolicyActionStatus,
    Preparation,
    PreparationStatus,
    ReviewAction,
    ReviewEvent,
    SharingConsent,
)
from partners.models import Partner, PartnerMembership, Sector
from placements.models import (
    PLACE_TAKING_STATUSES,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    ManagerApproval,
    Programme,
    Slot,
)

pytestmark = pytest.mark.django_db

# The past visits: the booking history, and the visits added for their debriefs.
VISIT_HISTORY = demo_placements.VISIT_HISTORY + demo_debriefs.DEBRIEF_VISIT_HISTORY


def _counts():
    return {
        "programmes": Programme.objects.count(),
        "partners": Partner.objects.count(),
        "users": User.objects.count(),
        "memberships": PartnerMembership.objects.count(),
        "authenticators": Authenticator.objects.count(),
    }


def test_demo_data_builds_the_programme_world_and_is_idempotent():
    call_command("demo_data")
    first = _counts()
    call_command("demo_data")

    assert _counts() == first
    assert first["programmes"] == 2
    assert first["partners"] == 12
    assert first["memberships"] == 13
    roles = dict(
        User.objects.values_list("role").annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count("pk")
        )
    )
    assert roles == {Role.PARTICIPANT: 8, Role.PARTNER_CONTACT: 13, Role.PROGRAMME_TEAM: 1}
    assert User.objects.filter(role=Role.PARTICIPANT).values("directorate").distinct().count() >= 5
    assert {Sector.ACUTE_NHS_TRUST, Sector.HOSPICE, Sector.LOCAL_AUTHORITY, Sector.POLICE, Sector.CARE_HOME,
            Sector.CHARITY, Sector.PRIMARY_CARE} <= set(Partner.objects.values_list("sector", flat=True))  # fmt: skip


def test_demo_accounts_can_sign_in_with_the_printed_password(client):
    call_command("demo_data")

    assert client.login(email=demo.PARTICIPANTS[0].email, password=demo.DEMO_PASSWORD)


def test_demo_data_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError):
        call_command("demo_data")
    assert (User.objects.count(), Booking.objects.count(), Debrief.objects.count()) == (0, 0, 0)


def test_demo_data_gives_every_partner_opportunities_with_slots_over_three_months():
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from placements.models import Booking, Enrolment, Opportunity, Slot

    call_command("demo_data")
    first = (
        Opportunity.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        Enrolment.objects.count(),
    )
    call_command("demo_data")

    assert (
        Opportunity.objects.count(),
        Slot.objects.count(),
        Booking.objects.count(),
        Enrolment.objects.count(),
    ) == first
    per_partner = dict(Partner.objects.annotate(n=Count("opportunities")).values_list("name", "n"))
    assert set(per_partner) == {p.name for p in demo.PARTNERS}
    assert all(1 <= n <= 4 for n in per_partner.values()), per_partner
    now = timezone.now()
    span = Slot.objects.filter(starts_at__gt=now).aggregate(first=Min("starts_at"), last=Max("starts_at"))
    today = timezone.localdate()
    assert today < timezone.localdate(span["first"]) <= today + timezone.timedelta(days=28)
    assert 70 <= (timezone.localdate(span["last"]) - today).days <= 100
    # The only slots in the past are those of the visit history, each holding one visit.
    past = Slot.objects.filter(starts_at__lte=now).annotate(n=Count("bookings"))
    assert sorted(past.values_list("n", flat=True)) == [1] * len(VISIT_HISTORY)
    assert set(Booking.objects.filter(slot__starts_at__lte=now).values_list("status", flat=True)) == {
        BookingStatus.ATTENDED,
        BookingStatus.NO_SHOW,
    }
    assert Partner.objects.exclude(postcode="").count() == 12
    assert first[2] >= 1  # some requests wait on partner dashboards


# --- Bookings in every state --------------------------------------------------------------------


def _local_part(user) -> str:
    return user.email.split("@")[0]


def test_demo_bookings_reach_every_state():
    call_command("demo_data")

    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    assert list(
        Booking.objects.filter(manager_approval=ManagerApproval.PENDING).values_list(
            "status", "programme__slug", "line_manager_email"
        )
    ) == [(BookingStatus.REQUESTED, "leadership-collaborative", "line.manager@connecting-demo.gov.uk")]
    assert Programme.objects.get(slug="leadership-collaborative").line_manager_approval_required is True
    late = Booking.objects.get(cancelled_late=True)
    assert late.status == BookingStatus.CANCELLED
    assert list(BookingEvent.objects.filter(late=True).values_list("booking", "to_status")) == [
        (late.pk, BookingStatus.CANCELLED)
    ]
    # Booked at the earliest date its notice allowed; then the partner lengthened its notice.
    assert (late.slot.opportunity.title, late.slot.opportunity.minimum_notice_working_days) == (
        demo_placements.LATE_CANCELLATION_TITLE,
        10,
    )


def test_demo_bookings_each_end_where_their_history_ends():
    call_command("demo_data")

    last_step = {}
    for event in BookingEvent.objects.order_by("created_at", "pk"):
        last_step[event.booking_id] = event.to_status
    assert last_step == dict(Booking.objects.values_list("pk", "status"))


def test_demo_slots_hold_exactly_their_place_taking_bookings():
    call_command("demo_data")

    counted = Slot.objects.annotate(
        n=Count("bookings", filter=Q(bookings__status__in=PLACE_TAKING_STATUSES))
    ).values_list("pk", "n")
    assert dict(Slot.objects.values_list("pk", "places_held")) == dict(counted)
    assert sum(n for _pk, n in counted) > 0


def test_demo_visit_history_gives_participants_past_visits_and_days():
    call_command("demo_data")

    now = timezone.now()
    past = list(
        Booking.objects.filter(slot__starts_at__lte=now).select_related("participant", "slot__opportunity")
    )
    assert sorted((_local_part(b.participant), b.slot.opportunity.title, b.status) for b in past) == sorted(
        (who, title, status) for who, title, _weeks, status in VISIT_HISTORY
    )
    days_completed = {}
    for booking in past:
        if booking.status == BookingStatus.ATTENDED:
            who = _local_part(booking.participant)
            days_completed[who] = days_completed.get(who, 0) + booking.days
    assert days_completed == {
        "aisha.rahman": 3.5,
        "tom.whitaker": 2.0,
        "daniel.price": 3.0,
        "grace.okafor": 2.0,
        "emma.jones": 1.5,
        "fiona.mcleod": 0.5,
        "owen.griffiths": 1.0,
    }
    for booking in past:
        assert booking.slot.ends_at < now
        host = PartnerMembership.objects.get(partner=booking.slot.opportunity.partner, is_admin=True).user
        assert list(booking.events.values_list("action", "from_status", "to_status", "actor", "late")) == [
            (BookingAction.REQUESTED, "", BookingStatus.REQUESTED, booking.participant.pk, False),
            (BookingAction.CONFIRMED, BookingStatus.REQUESTED, BookingStatus.CONFIRMED, host.pk, False),
            (BookingAction(booking.status), BookingStatus.CONFIRMED, booking.status, host.pk, False),
        ]
        # Marked as sent at the time, so no e-mail goes out about history now.
        times = list(booking.events.values_list("created_at", "notified_at"))
        assert all(created == notified < now for created, notified in times)
        assert booking.created_at == times[0][0]


def test_demo_visits_never_overlap_for_one_participant():
    call_command("demo_data")

    visits = {}
    for booking in Booking.objects.filter(
        status__in=(BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
    ).select_related("slot"):
        visits.setdefault(booking.participant_id, []).append((booking.slot.starts_at, booking.slot.ends_at))
    for spans in visits.values():
        spans.sort()
        assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False))
    # aisha, tom, daniel, grace, emma, fiona and owen (history); fiona and sanjay (confirmed)
    assert len(visits) == 8


def test_demo_live_steps_are_notified_on_commit_and_history_is_not(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("demo_data")

    unsent = BookingEvent.objects.filter(notified_at__isnull=True)
    # Each review step made through the services queues its e-mail task too; the steps are dated
    # back and marked as notified, so those tasks find nothing to send (see the test below).
    review_steps = ReviewEvent.objects.exclude(action=ReviewAction.FLAGGED)
    # The visits to come are live: their hosts hear of each submitted preparation, and their
    # visitors get their joining instructions.
    submitted = Preparation.objects.filter(status=PreparationStatus.SUBMITTED)
    instructions = JoiningInstructions.objects.all()
    # The two demo surveys are opened through the services: each invitee's e-mail is in the outbox.
    from connecting.surveys.models import SurveyInvitation

    invited = SurveyInvitation.objects.count()
    assert len(callbacks) == (
        unsent.count() + review_steps.count() + submitted.count() + instructions.count() + invited
    )
    assert (submitted.count(), instructions.count()) == (2, 3)
    assert unsent.count() > 0
    assert not unsent.filter(booking__slot__starts_at__lte=timezone.now()).exists()


def test_demo_data_second_run_adds_no_booking():
    first_out, second_out = StringIO(), StringIO()
    call_command("demo_data", stdout=first_out)
    first = (Booking.objects.count(), BookingEvent.objects.count(), Slot.objects.count())
    call_command("demo_data", stdout=second_out)

    assert (Booking.objects.count(), BookingEvent.objects.count(), Slot.objects.count()) == first
    assert first[0] == 19 + len(VISIT_HISTORY)
    assert f"{first[0]} bookings, {Debrief.objects.count()} debriefs" in first_out.getvalue()
    assert "0 opportunities, 0 slots, 0 bookings, 0 debriefs, 0 insights created now" in second_out.getvalue()


def test_demo_story_refused_halfway_keeps_nothing_and_tries_the_next_slot():
    from placements.models import Opportunity
    from placements.services.bookings import booking_cancel, booking_confirm

    call_command("demo_data")
    grace = User.objects.get(email=demo.PARTICIPANTS[2].email)
    opportunity = Opportunity.objects.get(title="Commissioning community services")
    first, second = opportunity.slots.filter(starts_at__gt=timezone.now()).order_by("starts_at")[:2]
    before = (Booking.objects.count(), BookingEvent.objects.count())

    def story(slot):
        booking = demo_placements._request(slot, grace)
        booking_confirm(booking=booking, by=demo_placements._host(slot))
        if slot == first:
            booking_cancel(booking=booking, by=grace, reason="")  # refused: a reason is required
        return [(booking, BookingStatus.CONFIRMED)]

    created = {"bookings": 0}
    demo_placements._tell(created, opportunity.title, story)

    assert created == {"bookings": 1}
    assert list(
        Booking.objects.filter(participant=grace, slot__opportunity=opportunity).values_list("slot", "status")
    ) == [(second.pk, BookingStatus.CONFIRMED)]
    assert Slot.objects.get(pk=first.pk).places_held == first.places_held
    assert (Booking.objects.count(), BookingEvent.objects.count()) == (before[0] + 1, before[1] + 2)


# --- Records of visits: preparation, debriefs, review, feedback, the library ------------------------

D = DebriefStatus
VISIT_RECORD_MODELS = (
    Preparation,
    JoiningInstructions,
    Debrief,
    Debrief.themes.through,
    DebriefAction,
    ReviewEvent,
    PolicyAction,
    PartnerFeedback,
    Insight,
    Insight.themes.through,
)


def _visit_record_counts():
    return {model._meta.label: model.objects.count() for model in VISIT_RECORD_MODELS}


def _northbridge():
    return Partner.objects.get(name=demo.PARTNERS[0].name)


def test_demo_debriefs_reach_every_review_state_and_aisha_sees_several():
    call_command("demo_data")

    assert set(Debrief.objects.values_list("status", flat=True)) == set(D.values)
    aisha = User.objects.get(email=demo.PARTICIPANTS[0].email)
    assert sorted(
        Debrief.objects.filter(booking__participant=aisha).values_list("status", flat=True)
    ) == sorted([D.CHANGES_REQUESTED, D.DRAFT, D.IN_REVIEW, D.PUBLISHED])
    # Each debrief's history ends where the debrief is, and the reviewer is the demo team member.
    team = User.objects.get(email=demo.PROGRAMME_TEAM.email)
    for debrief in Debrief.objects.exclude(status=D.DRAFT):
        moves = debrief.events.exclude(action=ReviewAction.FLAGGED)
        assert moves.last().to_status == debrief.status
        assert set(moves.exclude(action=ReviewAction.SUBMITTED).values_list("actor", flat=True)) <= {team.pk}
    assert set(
        Debrief.objects.exclude(status__in=(D.DRAFT, D.SUBMITTED)).values_list("reviewer", flat=True)
    ) == {team.pk}


def test_demo_publishes_only_shareable_debriefs_as_insights():
    call_command("demo_data")

    published = Debrief.objects.filter(status=D.PUBLISHED)
    assert sorted(published.values_list("consent", flat=True)) == sorted(
        [SharingConsent.NAMED] * 3 + [SharingConsent.ANONYMISED] * 2
    )
    assert sorted(Insight.objects.values_list("debrief", flat=True)) == sorted(
        published.values_list("pk", flat=True)
    )
    # Team-only debriefs exist, in review states, and never reach the library.
    assert Debrief.objects.filter(consent=SharingConsent.TEAM_ONLY).exclude(status=D.DRAFT).count() == 3
    assert not Insight.objects.filter(debrief__consent=SharingConsent.TEAM_ONLY).exists()
    for insight in Insight.objects.select_related("debrief__booking__participant", "debrief__booking__slot"):
        booking = insight.debrief.booking
        named = insight.debrief.consent == SharingConsent.NAMED
        expected = f"{booking.participant.full_name}, {booking.participant.directorate}" if named else ""
        assert (insight.attribution, insight.visited_on, insight.partner_id) == (
            expected,
            timezone.localdate(booking.slot.starts_at),
            booking.slot.opportunity.partner_id,
        )
        assert set(insight.themes.all()) == set(insight.debrief.themes.all()) != set()


def test_demo_northbridge_hosted_visits_with_feedback_insights_and_a_done_policy_action():
    from debriefs.selectors.library import you_said_we_did_for_partner

    call_command("demo_data")
    northbridge = _northbridge()

    said = you_said_we_did_for_partner(partner=northbridge)
    assert said.debriefs == 3
    assert len(said.done) == 2
    assert all(action.outcome and action.done_at for action in said.done)
    assert sorted(
        Insight.objects.filter(partner=northbridge).values_list("debrief__consent", flat=True)
    ) == sorted([SharingConsent.ANONYMISED, SharingConsent.NAMED, SharingConsent.NAMED])
    contacts = set(northbridge.memberships.values_list("user", flat=True))
    given = PartnerFeedback.objects.filter(booking__slot__opportunity__partner=northbridge)
    assert given.count() == 4
    assert set(given.values_list("given_by", flat=True)) == contacts  # Priya, and her colleague once


def test_demo_policy_actions_reach_every_state_and_done_says_what_we_did():
    call_command("demo_data")

    team = User.objects.get(email=demo.PROGRAMME_TEAM.email)
    assert sorted(PolicyAction.objects.values_list("status", flat=True)) == sorted(
        [PolicyActionStatus.DONE] * 3 + [PolicyActionStatus.IN_PROGRESS] + [PolicyActionStatus.OPEN] * 3
    )
    for action in PolicyAction.objects.select_related("debrief"):
        done = action.status == PolicyActionStatus.DONE
        assert (bool(action.outcome), action.done_at is not None) == (done, done)
        assert (action.owner_id, action.created_by_id) == (team.pk, team.pk)
        assert action.debrief.status != D.DRAFT
        assert (
            action.debrief.events.filter(action=ReviewAction.FLAGGED, comment=action.description).count() == 1
        )


def test_demo_prepares_upcoming_confirmed_visits_and_gives_joining_instructions():
    call_command("demo_data")

    now = timezone.now()
    preparations = Preparation.objects.select_related("booking__slot", "booking__participant")
    assert sorted((_local_part(p.booking.participant), p.status) for p in preparations) == sorted(
        [
            ("daniel.price", PreparationStatus.DRAFT),
            ("fiona.mcleod", PreparationStatus.DRAFT),
            ("fiona.mcleod", PreparationStatus.SUBMITTED),
            ("sanjay.patel", PreparationStatus.SUBMITTED),
        ]
    )
    for preparation in preparations:
        assert (preparation.booking.status, preparation.booking.slot.starts_at > now) == (
            BookingStatus.CONFIRMED,
            True,
        )
        assert preparation.confidentiality_acknowledged == preparation.is_submitted
        assert preparation.policy_area is not None
    instructions = JoiningInstructions.objects.select_related(
        "booking__slot__opportunity__partner", "updated_by"
    )
    assert len(instructions) == 3
    # The README's participant has a confirmed visit to come with nothing written yet: hers to try.
    aisha_upcoming = Booking.objects.filter(
        participant__email="aisha.rahman@connecting-demo.gov.uk",
        status=BookingStatus.CONFIRMED,
        slot__starts_at__gt=now,
    )
    assert [b.slot.opportunity.title for b in aisha_upcoming] == ["Adult social care front door"]
    assert not Preparation.objects.filter(booking__in=aisha_upcoming).exists()
    for given in instructions:
        assert given.booking.status == BookingStatus.CONFIRMED
        assert given.booking.slot.starts_at > now
        assert given.updated_by.partner_memberships.filter(
            partner=given.booking.slot.opportunity.partner
        ).exists()
        assert given.briefing_pack == ""


def test_demo_data_second_run_adds_no_visit_record():
    call_command("demo_data")
    first = _visit_record_counts()
    call_command("demo_data")

    assert _visit_record_counts() == first
    assert all(first.values()), first


def _texts(obj) -> dict[str, str]:
    """Every free-text value of a visit record (status and choice columns have nothing to find)."""
    texts = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.get_internal_type() in ("TextField", "CharField") and not field.choices and value:
            texts[field.name] = value
    if isinstance(obj, Debrief):
        texts["tags"] = " ".join(obj.tags)
    return texts


def test_demo_visit_records_hold_no_personal_data():
    from debriefs.personal_data import personal_data_find

    call_command("demo_data")

    scanned = 0
    findings = {}
    for model in (Preparation, JoiningInstructions, Debrief, DebriefAction, ReviewEvent, PolicyAction,
                  PartnerFeedback, Insight):  # fmt: skip
        for obj in model.objects.all():
            for name, text in _texts(obj).items():
                scanned += 1
                if found := personal_data_find(text):
                    findings[(model.__name__, obj.pk, name)] = found
    assert findings == {}
    assert scanned > 150
    # The demo's own definitions too, including text a story may not have used today.
    for story in demo_debriefs.DEBRIEFS:
        for text in [*story.texts.values(), story.changes, story.addition, story.insight_title,
                     *(p.description + p.outcome for p in story.policy_actions),
                     story.feedback.comments if story.feedback else ""]:  # fmt: skip
            assert personal_data_find(text) == [], text


def test_demo_visit_records_respect_the_rules():
    call_command("demo_data")

    now = timezone.now()
    today = timezone.localdate()
    for debrief in Debrief.objects.select_related("booking__slot"):
        booking = debrief.booking
        assert booking.status in (BookingStatus.CONFIRMED, BookingStatus.ATTENDED)
        assert timezone.localdate(booking.slot.starts_at) <= today
        assert (debrief.status == D.PUBLISHED) == Insight.objects.filter(debrief=debrief).exists()
        if debrief.status == D.PUBLISHED:
            assert debrief.consent in SHAREABLE_CONSENTS
        # Dated back after the visit, in order, and all in the past.
        times = list(debrief.events.values_list("created_at", "notified_at"))
        assert all(booking.slot.ends_at < created == notified < now for created, notified in times)
        assert [created for created, _ in times] == sorted(created for created, _ in times)
        if debrief.status != D.DRAFT:
            last_submitted = debrief.events.filter(action=ReviewAction.SUBMITTED).last().created_at
            assert debrief.submitted_at == last_submitted
    for feedback in PartnerFeedback.objects.select_related("booking__slot"):
        assert feedback.booking.status in (BookingStatus.CONFIRMED, BookingStatus.ATTENDED)
        assert feedback.booking.slot.starts_at <= feedback.created_at < now
    assert Booking.objects.filter(status=BookingStatus.ATTENDED).count() == 15
    assert Booking.objects.filter(status=BookingStatus.ATTENDED, debrief__isnull=True).count() == 0
    assert (
        Partner.objects.filter(opportunities__slots__bookings__debrief__isnull=False).distinct().count() >= 8
    )


def test_demo_review_history_sends_no_email_now(django_capture_on_commit_callbacks, mailoutbox):
    from debriefs.notifications import _TOLD

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data")

    review_subjects = {str(subject) for subject, _line in _TOLD.values()}
    assert [mail.subject for mail in mailoutbox if mail.subject in review_subjects] == []
    assert not ReviewEvent.objects.filter(notified_at__isnull=True).exists()
    assert len(mailoutbox) > 0  # the live booking steps still send theirs


def test_demo_data_rolls_the_debrief_themes_up_for_the_themes_page():
    from debriefs.models import RollupDebriefFact, ThemeRollup

    call_command("demo_data", stdout=StringIO())

    counted = Debrief.objects.exclude(status=DebriefStatus.DRAFT).count()
    assert RollupDebriefFact.objects.count() == counted > 0
    assert ThemeRollup.objects.filter(debrief_count__gt=0).exists()


def test_demo_surveys_have_answers_that_reach_the_dashboard_and_are_seeded_once():
    from connecting.surveys.models import Survey, SurveyResponse
    from connecting.surveys.selectors import survey_results_summary

    call_command("demo_data", stdout=StringIO())
    call_command("demo_data", stdout=StringIO())

    surveys = Survey.objects.order_by("title")
    assert [(s.title, s.audience, s.status) for s in surveys] == [
        (demo_surveys.PARTICIPANT_SURVEY, "participants", "open"),
        (demo_surveys.PARTNER_SURVEY, "partners", "open"),
    ]
    assert SurveyResponse.objects.count() == 8  # 6 participants and 2 partner contacts
    lines = survey_results_summary(programme=Programme.objects.get(slug="connecting"))
    assert [line.statement for line in lines] == [
        "83% of participants understood the frontline better",  # 5 of 6 agreed
        "83% of participants would recommend a visit to a colleague",
        "100% of partners rated it a good opportunity",
        "100% of partners would host again",
    ]
