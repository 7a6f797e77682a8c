"""The demo programme world's second half: partner profiles, cohorts, enrolment, opportunities,
slots over the coming three months, interests, and bookings in every state: requests waiting for
partners, confirmed, declined and cancelled visits (one of them late), a waiting list with an offer,
an expired offer, a request waiting for a line manager, and a history of past visits.

Keyed on natural keys (partner name, opportunity title, cohort name), so seeding twice creates
nothing new; slots are only topped up for an opportunity with none left in the future, and
bookings only when the demo participants have none on upcoming slots (visit history: none on past
slots).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from connecting.working_days import add_working_days, is_working_day
from partners.models import Partner, PartnerBlackout, PartnerMembership, PartnerStatus, Sector
from placements.models import (
    MAX_NOTICE_WORKING_DAYS,
    PLACE_TAKING_STATUSES,
    Booking,
    BookingAction,
    BookingEvent,
    BookingStatus,
    Cohort,
    Duration,
    Enrolment,
    Opportunity,
    OpportunityStatus,
    ParticipantInterests,
    Programme,
    Slot,
    Theme,
    VettingLevel,
)
from placements.selectors.bookings import booking_programme_choices
from placements.services.bookings import (
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_manager_decide,
    booking_offer_accept,
    booking_offers_expire,
    booking_request,
    partner_capacity_check,
)
from placements.services.opportunities import opportunity_update, slot_create, slot_series_create
from placements.taxonomy import policy_areas_seed

# name -> (address line 1, town, postcode, website, description, vetting, weekly cap, monthly cap)
PARTNER_PROFILES = {
    "Northbridge University Hospitals NHS Foundation Trust": (
        "Oxford Road",
        "Manchester",
        "M13 9WL",
        "https://northbridge-nhs.example.org",
        "A large teaching trust with two acute hospitals, a major trauma centre and busy discharge teams.",
        "Visitors to wards need a basic DBS check and must follow infection control guidance.",
        3,
        10,
    ),
    "Riverside Mental Health NHS Trust": (
        "Kirkstall Road",
        "Leeds",
        "LS3 1JN",
        "https://riverside-mh.example.org",
        "Community and inpatient mental health services across West Yorkshire.",
        "An enhanced DBS check for inpatient visits.",
        2,
        6,
    ),
    "St Columba's Hospice": (
        "Boswall Road",
        "Edinburgh",
        "EH5 3RW",
        "https://stcolumbas.example.org",
        "Specialist palliative care in the hospice and in people's homes.",
        "",
        1,
        4,
    ),
    "London Borough of Eastmere": (
        "Town Hall, Mulberry Place",
        "London",
        "E14 2BG",
        "https://eastmere.example.gov.uk",
        "Adult social care, housing and public health for a quarter of a million residents.",
        "",
        None,
        12,
    ),
    "Westshire Clinical Commissioning Group": (
        "Riverside Business Park",
        "Bristol",
        "BS1 6EA",
        "",
        "Plans and buys health services for the county.",
        "",
        None,
        None,
    ),
    "Midshire Police": (
        "Lloyd House",
        "Birmingham",
        "B4 6NQ",
        "https://midshire.police.example.uk",
        "Neighbourhood policing, custody and the public protection unit.",
        "Non-police personnel vetting (NPPV level 1) before the visit.",
        2,
        5,
    ),
    "Oakfield Care Home": (
        "Oakfield Lane",
        "Nottingham",
        "NG7 2RD",
        "",
        "A 60-bed residential and nursing home, rated good.",
        "A basic DBS check.",
        1,
        3,
    ),
    "Harbour Lights Homelessness Charity": (
        "Quayside",
        "Newcastle upon Tyne",
        "NE1 3DX",
        "https://harbourlights.example.org",
        "Outreach, a day centre and supported housing for people sleeping rough.",
        "",
        2,
        None,
    ),
    "Meadow Lane GP Practice": (
        "Meadow Lane",
        "Cambridge",
        "CB1 2JH",
        "",
        "A training practice for 14,000 patients, with a social prescribing team.",
        "A confidentiality agreement on arrival.",
        1,
        4,
    ),
    "Kingsbridge Probation Delivery Unit": (
        "Bridge Street",
        "Reading",
        "RG1 2LU",
        "",
        "Supervision of people on licence and community sentences.",
        "A basic DBS check.",
        None,
        4,
    ),
    "Valleys Carers' Centre": (
        "High Street",
        "Merthyr Tydfil",
        "CF47 8AF",
        "",
        "Support, advice and respite for unpaid carers.",
        "",
        None,
        None,
    ),
    "Lough Shore Fire and Rescue Station": ("Shore Road", "Belfast", "BT15 3PL", "", "", "", None, None),
}


@dataclass(frozen=True)
class DemoOpportunity:
    partner: str
    title: str
    summary: str
    what_you_will_do: str
    themes: tuple[str, ...]
    weekday: int  # 0 = Monday
    hours: tuple[int, int]
    capacity: int
    duration: Duration = Duration.DAY
    vetting: VettingLevel = VettingLevel.NONE
    notice: int = 10
    is_remote: bool = False


OPPORTUNITIES = [
    DemoOpportunity(
        "Northbridge University Hospitals NHS Foundation Trust",
        "A day with the discharge team",
        "Follow patients from the ward to home and see where discharge gets stuck.",
        "Join the 8am board round, shadow a discharge coordinator and sit in on the transfer of care hub.",
        ("hospital-discharge-and-patient-flow", "adult-social-care", "integrated-care"),
        1,
        (8, 16),
        2,
        vetting=VettingLevel.BASIC_DBS,
    ),
    DemoOpportunity(
        "Northbridge University Hospitals NHS Foundation Trust",
        "Emergency department shift",
        "Half a day in a busy emergency department, from triage to handover.",
        "Shadow the nurse in charge, watch ambulance handovers and talk to the patient flow team.",
        ("acute-and-emergency-care", "workforce"),
        3,
        (13, 18),
        1,
        duration=Duration.HALF_DAY,
        vetting=VettingLevel.BASIC_DBS,
    ),
    DemoOpportunity(
        "Northbridge University Hospitals NHS Foundation Trust",
        "Digital patient records in practice",
        "See how clinicians use the electronic patient record, and where it slows them down.",
        "Meet the chief clinical information officer and observe a ward round on tablets.",
        ("digital-data-and-technology",),
        4,
        (10, 13),
        3,
        duration=Duration.HALF_DAY,
    ),
    DemoOpportunity(
        "Riverside Mental Health NHS Trust",
        "Community crisis team",
        "A day with the crisis resolution and home treatment team.",
        "Join home visits with the team and the daily safety huddle.",
        ("mental-health", "health-inequalities"),
        2,
        (9, 17),
        1,
        vetting=VettingLevel.ENHANCED_DBS,
        notice=15,
    ),
    DemoOpportunity(
        "Riverside Mental Health NHS Trust",
        "Mental health and policing: street triage",
        "An evening with a nurse and a police officer responding together.",
        "Ride along with the street triage car and meet the control room staff.",
        ("mental-health", "policing-and-community-safety"),
        4,
        (17, 23),
        1,
        vetting=VettingLevel.ENHANCED_DBS,
        notice=15,
    ),
    DemoOpportunity(
        "St Columba's Hospice",
        "Hospice at home",
        "See how the hospice supports people to die well at home.",
        "Join the hospice at home nurses on visits and the multidisciplinary meeting.",
        ("end-of-life-care", "integrated-care"),
        2,
        (9, 16),
        1,
    ),
    DemoOpportunity(
        "London Borough of Eastmere",
        "Adult social care front door",
        "How a council decides who gets care, and how fast.",
        "Listen in on the contact centre, join a needs assessment and meet the brokerage team.",
        ("adult-social-care", "housing-and-homelessness"),
        0,
        (9, 17),
        3,
    ),
    DemoOpportunity(
        "London Borough of Eastmere",
        "Public health outreach online",
        "An online morning with the public health team on vaccination uptake.",
        "Join the team's stand-up and a community engagement session on video.",
        ("public-health-and-prevention", "health-inequalities"),
        3,
        (9, 12),
        6,
        duration=Duration.HALF_DAY,
        notice=5,
        is_remote=True,
    ),
    DemoOpportunity(
        "Westshire Clinical Commissioning Group",
        "Commissioning community services",
        "How local NHS money is planned and spent.",
        "Sit in on a contract review and a planning meeting with providers.",
        ("integrated-care", "primary-care"),
        2,
        (10, 15),
        4,
    ),
    DemoOpportunity(
        "Midshire Police",
        "Neighbourhood policing shift",
        "A shift with a neighbourhood team: vulnerability, anti-social behaviour and partners.",
        "Patrol with officers, visit a partnership meeting and the custody suite.",
        ("policing-and-community-safety", "mental-health", "drugs-and-alcohol"),
        1,
        (14, 22),
        1,
        vetting=VettingLevel.POLICE_VETTING,
        notice=20,
    ),
    DemoOpportunity(
        "Midshire Police",
        "Public protection unit",
        "How police, social care and health protect people at risk.",
        "Join a multi-agency risk assessment conference and meet the safeguarding hub.",
        ("policing-and-community-safety", "children-and-young-people"),
        3,
        (9, 17),
        1,
        vetting=VettingLevel.POLICE_VETTING,
        notice=20,
    ),
    DemoOpportunity(
        "Oakfield Care Home",
        "A day in a care home",
        "What good residential care looks like, and what it costs to run.",
        "Help at mealtimes, meet residents and families, and talk to the registered manager about staffing.",
        ("adult-social-care", "workforce"),
        2,
        (9, 16),
        1,
        vetting=VettingLevel.BASIC_DBS,
    ),
    DemoOpportunity(
        "Harbour Lights Homelessness Charity",
        "Day centre and outreach",
        "A day at the day centre and an early-morning outreach shift.",
        "Serve breakfast, join outreach workers and meet the housing first team.",
        ("housing-and-homelessness", "drugs-and-alcohol", "voluntary-and-community-sector"),
        4,
        (7, 15),
        2,
    ),
    DemoOpportunity(
        "Meadow Lane GP Practice",
        "General practice from the inside",
        "A day in a training practice: reception, triage and social prescribing.",
        "Shadow the reception team, a GP triage session and a social prescribing link worker.",
        ("primary-care", "public-health-and-prevention"),
        3,
        (8, 16),
        1,
    ),
    DemoOpportunity(
        "Kingsbridge Probation Delivery Unit",
        "Probation in the community",
        "How probation supervises people on licence and works with housing and treatment.",
        "Sit in on supervision appointments (with consent) and a multi-agency meeting.",
        ("justice-and-rehabilitation", "housing-and-homelessness"),
        2,
        (9, 16),
        2,
        vetting=VettingLevel.BASIC_DBS,
    ),
    DemoOpportunity(
        "Valleys Carers' Centre",
        "Supporting unpaid carers",
        "A morning with the carers' support workers.",
        "Join a carers' drop-in and a benefits advice session.",
        ("adult-social-care", "voluntary-and-community-sector"),
        1,
        (10, 13),
        2,
        duration=Duration.HALF_DAY,
    ),
    DemoOpportunity(
        "Lough Shore Fire and Rescue Station",
        "Safe and well visits",
        "How firefighters use home fire safety checks to spot wider needs.",
        "Join a crew on safe and well visits.",
        ("emergency-preparedness", "public-health-and-prevention"),
        3,
        (9, 15),
        2,
    ),
]

SLOT_WEEKS = 11  # with the two-week lead, weekly slots over the coming three months
COHORTS = {
    "connecting": [("2026 to 2027 senior leaders", datetime.date(2026, 4, 1), datetime.date(2027, 3, 31))],
    "leadership-collaborative": [("Cohort 1", datetime.date(2026, 9, 1), datetime.date(2027, 7, 31))],
}
PROGRAMME_POLICIES = {
    "connecting": {
        "bookings_confirmed_automatically": False,
        "line_manager_approval_required": False,
        "max_places_per_slot": 6,
    },
    # The line manager approves first; the booking is then confirmed without the partner.
    "leadership-collaborative": {
        "bookings_confirmed_automatically": True,
        "line_manager_approval_required": True,
        "max_places_per_slot": 8,
    },
}
# participant e-mail local part -> (policy-area slugs, sectors, base postcode, learning objective)
INTERESTS = {
    "aisha.rahman": (
        ("hospital-discharge-and-patient-flow", "acute-and-emergency-care"),
        (Sector.ACUTE_NHS_TRUST, Sector.CARE_HOME),
        "SW1H 0EU",
        "Understand why medically fit patients wait to leave hospital.",
    ),
    "tom.whitaker": (
        ("adult-social-care", "workforce"),
        (Sector.CARE_HOME, Sector.LOCAL_AUTHORITY),
        "LS1 4AP",
        "See the pressures on care providers first hand.",
    ),
    "daniel.price": (
        ("mental-health",),
        (Sector.MENTAL_HEALTH_TRUST, Sector.POLICE),
        "SW1H 0EU",
        "How crisis care works across health and policing.",
    ),
}


def _programme_for(slot, participant):
    """The first programme (by name) the booking can count towards, as a participant would pick."""
    return next(iter(booking_programme_choices(slot=slot, participant=participant)), None)


def _first_weekday_after(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _seed_partner_profiles(created: dict) -> None:
    for name, (
        line_1,
        town,
        postcode,
        website,
        description,
        vetting,
        week,
        month,
    ) in PARTNER_PROFILES.items():
        updated = Partner.objects.filter(name=name, postcode="").update(
            address_line_1=line_1,
            town=town,
            postcode=postcode,
            website=website,
            description=description,
            vetting_requirements=vetting,
            max_visitors_per_week=week,
            max_visitors_per_month=month,
        )
        created["partner_profiles"] += updated
    hospice = Partner.objects.get(name="St Columba's Hospice")
    winter = datetime.date(timezone.localdate().year, 12, 22)
    _, was_created = PartnerBlackout.objects.get_or_create(
        partner=hospice,
        reason="Winter pressures",
        defaults={"starts_on": winter, "ends_on": winter + datetime.timedelta(days=14)},
    )
    created["blackouts"] += was_created


def _seed_programmes(participants) -> None:
    for slug, policy in PROGRAMME_POLICIES.items():
        Programme.objects.filter(slug=slug).update(**policy)
    for slug, cohorts in COHORTS.items():
        programme = Programme.objects.get(slug=slug)
        for name, starts_on, ends_on in cohorts:
            cohort, _ = Cohort.objects.get_or_create(
                programme=programme, name=name, defaults={"starts_on": starts_on, "ends_on": ends_on}
            )
            members = participants if slug == "connecting" else participants[::3]
            for participant in members:
                Enrolment.objects.get_or_create(
                    programme=programme, participant=participant, defaults={"cohort": cohort}
                )


def _seed_opportunities(created: dict, team_user) -> list[Opportunity]:
    programmes = {p.slug: p for p in Programme.objects.all()}
    themes = {t.slug: t for t in Theme.objects.all()}
    first_day = timezone.localdate() + datetime.timedelta(days=14)
    opportunities = []
    for index, demo in enumerate(OPPORTUNITIES):
        partner = Partner.objects.get(name=demo.partner)
        host = partner.memberships.select_related("user").filter(is_admin=True).first().user
        status = (
            OpportunityStatus.PUBLISHED
            if partner.status != PartnerStatus.INVITED
            else OpportunityStatus.DRAFT
        )
        opportunity, was_created = Opportunity.objects.get_or_create(
            partner=partner,
            title=demo.title,
            defaults={
                "summary": demo.summary,
                "what_you_will_do": demo.what_you_will_do,
                "duration": demo.duration,
                "is_remote": demo.is_remote,
                "vetting_level": demo.vetting,
                "minimum_notice_working_days": demo.notice,
                "accessibility": "Step-free access throughout. Tell the host about anything you need.",
                "dress_code": "Smart casual; no ties on clinical areas." if "NHS" in partner.name else "",
                "host_name": host.full_name,
                "host_email": host.email,
                "status": status,
                "published_at": timezone.now() if status == OpportunityStatus.PUBLISHED else None,
                "created_by": team_user,
            },
        )
        created["opportunities"] += was_created
        if was_created:
            in_programmes = [programmes["connecting"]]
            if index % 3 == 0:
                in_programmes.append(programmes["leadership-collaborative"])
            opportunity.programmes.set(in_programmes)
            opportunity.policy_areas.set([themes[slug] for slug in demo.themes])
        if not opportunity.slots.filter(starts_at__gt=timezone.now()).exists():
            series = slot_series_create(
                opportunity=opportunity,
                first_day=_first_weekday_after(first_day, demo.weekday),
                start_time=datetime.time(demo.hours[0]),
                end_time=datetime.time(demo.hours[1]),
                weeks=SLOT_WEEKS,
                capacity=demo.capacity,
            )
            created["slots"] += len(series.created)
        opportunities.append(opportunity)
    return opportunities


def _seed_interests(participants) -> None:
    themes = {t.slug: t for t in Theme.objects.all()}
    for participant in participants:
        spec = INTERESTS.get(participant.email.split("@")[0])
        if spec is None or hasattr(participant, "interests"):
            continue
        slugs, sectors, postcode, objective = spec
        interests = ParticipantInterests.objects.create(
            participant=participant,
            sectors=list(sectors),
            base_postcode=postcode,
            learning_objective=objective,
        )
        interests.policy_areas.set([themes[slug] for slug in slugs])


def _seed_requests(created: dict, participants, opportunities) -> None:
    """A few requests so partner dashboards have something waiting."""
    for participant, opportunity in zip(participants[:4], opportunities[:8:2], strict=False):
        if Booking.objects.filter(participant=participant, slot__opportunity=opportunity).exists():
            continue  # asked on an earlier run
        slots = opportunity.slots.filter(starts_at__gt=timezone.now()).order_by("starts_at")
        # The soonest slot may fall inside the notice period, or a cap or blackout may refuse it,
        # whatever the day the demo is loaded: ask for the first slot that the partner can take.
        for slot in slots[:UPCOMING_SLOTS_TRIED]:
            programme = _programme_for(slot, participant)
            if programme is None:
                break
            try:
                booking_request(slot=slot, participant=participant, programme=programme)
            except ValidationError:
                continue
            created["bookings"] += 1
            break


# --- Bookings in every state, made through the booking services -------------------------------------

DEMO_BY_TITLE = {demo.title: demo for demo in OPPORTUNITIES}
# The remote opportunity whose partner adds a slot at short notice, and then lengthens its notice.
LATE_CANCELLATION_TITLE = "Public health outreach online"
UPCOMING_SLOTS_TRIED = 8

# What happened to one booking: the outcome a story expects, checked before anything is kept.
Outcome = list[tuple[Booking, BookingStatus]]


class _NotAsPlanned(Exception):
    """A story ended differently on this slot (a cap held an offer back, say): try the next slot."""


def _demo_opportunity(title: str) -> Opportunity | None:
    return (
        Opportunity.objects.select_related("partner")
        .filter(title=title, partner__name=DEMO_BY_TITLE[title].partner, status=OpportunityStatus.PUBLISHED)
        .first()
    )


def _host(slot: Slot):
    """The partner's admin contact, who answers requests for the partner in the demo."""
    return _admin_contact(slot.opportunity.partner_id)


def _admin_contact(partner_id: int):
    membership = (
        PartnerMembership.objects.select_related("user")
        .filter(partner_id=partner_id, is_admin=True)
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise _NotAsPlanned("the partner has no admin contact")
    return membership.user


def _request(slot: Slot, participant, *, programme: Programme | None = None, **options) -> Booking:
    programme = programme or _programme_for(slot, participant)
    if programme is None:
        raise _NotAsPlanned("the participant is on no programme that offers this slot")
    if programme.line_manager_approval_required:
        options["line_manager_email"] = f"line.manager@{participant.email.rsplit('@', 1)[1]}"
    return booking_request(slot=slot, participant=participant, programme=programme, **options)


def _expect(booking: Booking, status: str) -> Booking:
    booking.refresh_from_db()
    if booking.status != status:
        raise _NotAsPlanned(f"booking {booking.pk} is {booking.status}, not {status}")
    return booking


def _confirmed(slot: Slot, *, who) -> Outcome:
    booking = _request(slot, who)
    booking_confirm(booking=booking, by=_host(slot))
    return [(booking, BookingStatus.CONFIRMED)]


def _declined(slot: Slot, *, who, reason: str) -> Outcome:
    booking = _request(slot, who)
    booking_decline(booking=booking, by=_host(slot), reason=reason)
    return [(booking, BookingStatus.DECLINED)]


def _cancelled_by_participant(slot: Slot, *, who, reason: str) -> Outcome:
    booking = _request(slot, who)
    booking_confirm(booking=booking, by=_host(slot))
    booking_cancel(booking=booking, by=who, reason=reason)
    return [(booking, BookingStatus.CANCELLED)]


def _fill(slot: Slot, first, waiting) -> tuple[Booking, list[Booking]]:
    """`first` takes the slot's last place and the partner confirms; the others join its waiting list."""
    booking = _request(slot, first)
    booking_confirm(booking=booking, by=_host(slot))
    queue = [
        _expect(_request(slot, person, join_waitlist=True), BookingStatus.WAITLISTED) for person in waiting
    ]
    return booking, queue


def _offer_expires(slot: Slot, *, first, waiting, reason: str) -> Outcome:
    """A full slot: the visitor cancels, the first in line lets the offer run out, the next is offered."""
    booking, queue = _fill(slot, first, waiting)
    booking_cancel(booking=booking, by=first, reason=reason)
    offered = _expect(queue[0], BookingStatus.OFFERED)
    # The demo simulates the 48 hours passing: only this offer's deadline moves into the past, and the
    # scheduled job's own service then expires it and offers the place to the next person waiting.
    Booking.objects.filter(pk=offered.pk).update(
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    booking_offers_expire()
    statuses = [BookingStatus.EXPIRED, BookingStatus.OFFERED] + [BookingStatus.WAITLISTED] * (len(queue) - 2)
    return [(booking, BookingStatus.CANCELLED), *zip(queue, statuses, strict=True)]


def _offer_accepted(slot: Slot, *, first, waiting, reason: str) -> Outcome:
    """A full slot: the partner cancels the visit, and the person waiting accepts the place."""
    booking, queue = _fill(slot, first, [waiting])
    booking_cancel(booking=booking, by=_host(slot), reason=reason)
    booking_offer_accept(booking=_expect(queue[0], BookingStatus.OFFERED), by=waiting)
    return [(booking, BookingStatus.CANCELLED), (queue[0], BookingStatus.CONFIRMED)]


def _manager_answers(
    slot: Slot, *, who, programme: Programme, approve: bool | None, reason: str = ""
) -> Outcome:
    """A request through a programme that needs the line manager; `approve` None leaves it waiting."""
    booking = _expect(_request(slot, who, programme=programme), BookingStatus.REQUESTED)
    if approve is None:
        return [(booking, BookingStatus.REQUESTED)]
    booking_manager_decide(booking=booking, approve=approve, reason=reason)
    if not approve:
        return [(booking, BookingStatus.DECLINED)]
    automatic = programme.bookings_confirmed_automatically
    return [(booking, BookingStatus.CONFIRMED if automatic else BookingStatus.REQUESTED)]


def _tell(created: dict, title: str, story: Callable[[Slot], Outcome]) -> None:
    """Play `story` on the first upcoming slot of `title` where it ends as planned.

    A cap, a blackout, a clash or a notice period can refuse a step; then nothing of the story is kept
    (its savepoint rolls back, with the e-mails it queued) and the next slot is tried.
    """
    opportunity = _demo_opportunity(title)
    if opportunity is None:
        return
    slots = opportunity.slots.filter(starts_at__gt=timezone.now()).order_by("starts_at")
    for slot in slots[:UPCOMING_SLOTS_TRIED]:
        try:
            with transaction.atomic():
                outcome = story(slot)
                for booking, status in outcome:
                    _expect(booking, status)
        except (ValidationError, _NotAsPlanned):
            continue
        created["bookings"] += len(outcome)
        return


def _seed_late_cancellation(created: dict, participant) -> None:
    """A confirmed visit cancelled inside the notice period, through the partner's and booking services.

    Nobody can book inside the notice period, so a late cancellation needs something to change after
    the booking. Here the partner adds a slot at the earliest date its notice allows, the participant
    books it and the partner confirms; then the partner lengthens its notice (as partners do after
    short-notice cancellations), so the participant's cancellation falls inside it.
    """
    opportunity = _demo_opportunity(LATE_CANCELLATION_TITLE)
    if opportunity is None:
        return
    demo = DEMO_BY_TITLE[LATE_CANCELLATION_TITLE]
    notice = opportunity.minimum_notice_working_days
    longer = min(notice + 5, MAX_NOTICE_WORKING_DAYS)
    nation = opportunity.partner.nation
    day = add_working_days(timezone.localdate(), max(notice, 1), nation)
    for _attempt in range(longer - notice):  # any of these days is inside the longer notice
        try:
            with transaction.atomic():
                slot = slot_create(
                    opportunity=opportunity,
                    starts_at=_at(day, demo.hours[0]),
                    ends_at=_at(day, demo.hours[1]),
                    capacity=demo.capacity,
                )
                booking = _request(slot, participant)
                booking_confirm(booking=booking, by=_host(slot))
                opportunity_update(
                    opportunity=Opportunity.objects.get(pk=opportunity.pk),
                    programmes=opportunity.programmes.all(),
                    policy_areas=opportunity.policy_areas.all(),
                    is_remote=opportunity.is_remote,
                    minimum_notice_working_days=longer,
                )
                booking_cancel(
                    booking=booking,
                    by=participant,
                    reason="A ministerial submission is due that morning, so I can no longer join.",
                )
                if not _expect(booking, BookingStatus.CANCELLED).cancelled_late:
                    raise _NotAsPlanned("the cancellation was not late")
        except (ValidationError, _NotAsPlanned):
            day = add_working_days(day, 1, nation)
            continue
        created["slots"] += 1
        created["bookings"] += 1
        return


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _seed_booking_states(created: dict, people: dict) -> None:
    """Bookings in every state a booking can reach before its visit, each through the real services."""
    collaborative = Programme.objects.get(slug="leadership-collaborative")
    stories = [
        ("General practice from the inside", partial(_confirmed, who=people["fiona.mcleod"])),
        ("Hospice at home", partial(_confirmed, who=people["sanjay.patel"])),
        # The README's participant has a confirmed visit to come, with no preparation yet: hers to write.
        ("Adult social care front door", partial(_confirmed, who=people["aisha.rahman"])),
        (
            "Commissioning community services",
            partial(
                _declined,
                who=people["owen.griffiths"],
                reason="The provider planning meeting has moved online that week; please choose a later date.",
            ),
        ),
        (
            "Probation in the community",
            partial(
                _cancelled_by_participant,
                who=people["emma.jones"],
                reason="The workforce model is due to ministers that week; I will book again in the new year.",
            ),
        ),
        (
            "Emergency department shift",
            partial(
                _offer_expires,
                first=people["grace.okafor"],
                waiting=[people["tom.whitaker"], people["owen.griffiths"], people["daniel.price"]],
                reason="I have been asked to give evidence to a select committee that afternoon.",
            ),
        ),
        (
            "A day in a care home",
            partial(
                _offer_accepted,
                first=people["owen.griffiths"],
                waiting=people["fiona.mcleod"],
                reason="The home is closed to visitors that day after an outbreak of norovirus.",
            ),
        ),
        (
            "Day centre and outreach",
            partial(_manager_answers, who=people["emma.jones"], programme=collaborative, approve=None),
        ),
        (
            "Community crisis team",
            partial(_manager_answers, who=people["daniel.price"], programme=collaborative, approve=True),
        ),
        (
            "Neighbourhood policing shift",
            partial(
                _manager_answers,
                who=people["aisha.rahman"],
                programme=collaborative,
                approve=False,
                reason="Not during the spending review, please: book a shift in the new year.",
            ),
        ),
    ]
    for title, story in stories:
        _tell(created, title, story)
    _seed_late_cancellation(created, people["aisha.rahman"])


# --- Visit history: what already happened ----------------------------------------------------------

# (participant e-mail local part, opportunity title, weeks ago, what happened). Each participant's
# visits fall in different weeks, so none of them overlap.
VISIT_HISTORY = [
    ("aisha.rahman", "A day with the discharge team", 6, BookingStatus.ATTENDED),
    ("aisha.rahman", "Emergency department shift", 3, BookingStatus.ATTENDED),
    ("tom.whitaker", "A day in a care home", 5, BookingStatus.ATTENDED),
    ("tom.whitaker", "Adult social care front door", 2, BookingStatus.NO_SHOW),
    ("daniel.price", "Community crisis team", 4, BookingStatus.ATTENDED),
]
_ATTENDANCE_ACTION = {
    BookingStatus.ATTENDED: BookingAction.ATTENDED,
    BookingStatus.NO_SHOW: BookingAction.NO_SHOW,
}


def _past_visit_day(weeks_ago: int, weekday: int, nation: str) -> datetime.date:
    today = timezone.localdate()
    day = today - datetime.timedelta(days=today.weekday(), weeks=weeks_ago) + datetime.timedelta(days=weekday)
    while not is_working_day(day, nation):
        day -= datetime.timedelta(weeks=1)
    return day


def seed_visit_history(created: dict, people: dict, programme: Programme, history=VISIT_HISTORY) -> None:
    """Past visits, so "My visits" has a history and days completed.

    The services rightly refuse to create or book a slot in the past, so history is written here
    directly: the slot (its places held equal to its visits), the booking in its final state and the
    steps that led there (requested, confirmed, attended or not), with the people who took them and
    times in the past. Every step is marked as notified, so no e-mail goes out about it now. The
    partner's caps and blackouts still apply: a visit they would have refused is left out, and so
    is one the participant already has (a second run adds nothing).
    """
    now = timezone.now()
    for local_part, title, weeks_ago, outcome in history:
        opportunity = _demo_opportunity(title)
        participant = people.get(local_part)
        if opportunity is None or participant is None:
            continue
        if Booking.objects.filter(
            participant=participant, slot__opportunity=opportunity, slot__starts_at__lte=now
        ).exists():
            continue
        demo = DEMO_BY_TITLE[title]
        day = _past_visit_day(weeks_ago, demo.weekday, opportunity.partner.nation)
        starts_at, ends_at = _at(day, demo.hours[0]), _at(day, demo.hours[1])
        try:
            partner_capacity_check(partner=opportunity.partner, day=day)
        except ValidationError:
            continue
        requested_at = starts_at - datetime.timedelta(weeks=5)
        confirmed_at = requested_at + datetime.timedelta(days=1)
        recorded_at = ends_at + datetime.timedelta(hours=1)
        host = _admin_contact(opportunity.partner_id)
        slot = Slot.objects.create(
            opportunity=opportunity,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=demo.capacity,
            places_held=int(outcome in PLACE_TAKING_STATUSES),
            created_at=requested_at - datetime.timedelta(weeks=2),
        )
        booking = Booking.objects.create(
            slot=slot,
            participant=participant,
            programme=programme,
            status=outcome,
            calendar_sequence=2,  # as the services leave it: the invite when confirmed, again when recorded
            created_at=requested_at,
        )
        Booking.objects.filter(pk=booking.pk).update(updated_at=recorded_at)
        steps = [
            (BookingAction.REQUESTED, "", BookingStatus.REQUESTED, participant, requested_at),
            (BookingAction.CONFIRMED, BookingStatus.REQUESTED, BookingStatus.CONFIRMED, host, confirmed_at),
            (_ATTENDANCE_ACTION[outcome], BookingStatus.CONFIRMED, outcome, host, recorded_at),
        ]
        BookingEvent.objects.bulk_create(
            BookingEvent(
                booking=booking,
                action=action,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                created_at=when,
                notified_at=when,
            )
            for action, from_status, to_status, actor, when in steps
        )
        created["slots"] += 1
        created["bookings"] += 1


def _has_bookings(participants, *, upcoming: bool) -> bool:
    bookings = Booking.objects.filter(participant__in=participants)
    if upcoming:
        return bookings.filter(slot__starts_at__gt=timezone.now()).exists()
    return bookings.filter(slot__starts_at__lte=timezone.now()).exists()


def demo_seed_placements(*, participants, team_user) -> dict[str, int]:
    created = {"partner_profiles": 0, "blackouts": 0, "opportunities": 0, "slots": 0, "bookings": 0}
    policy_areas_seed()
    _seed_partner_profiles(created)
    _seed_programmes(participants)
    opportunities = _seed_opportunities(created, team_user)
    _seed_interests(participants)
    # Decided before seeding either: each guard looks only at its own side of now.
    seed_upcoming = not _has_bookings(participants, upcoming=True)
    seed_history = not _has_bookings(participants, upcoming=False)
    people = {participant.email.split("@")[0]: participant for participant in participants}
    if seed_upcoming:
        _seed_requests(created, participants, opportunities)
        _seed_booking_states(created, people)
    if seed_history:
        seed_visit_history(created, people, Programme.objects.get(slug="connecting"))
    return created
