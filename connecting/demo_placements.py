"""The demo programme world's second half: partner profiles, cohorts, enrolment, opportunities,
slots over the coming three months, interests, and a few requests waiting for partners.

Keyed on natural keys (partner name, opportunity title, cohort name), so seeding twice creates
nothing new; slots are only topped up for an opportunity with none left in the future.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from partners.models import Partner, PartnerBlackout, PartnerStatus, Sector
from placements.models import (
    Cohort,
    Duration,
    Enrolment,
    Opportunity,
    OpportunityStatus,
    ParticipantInterests,
    Programme,
    Theme,
    VettingLevel,
)
from placements.services.bookings import booking_programme_for, booking_request
from placements.services.opportunities import slot_series_create
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
    "connecting": {"bookings_confirmed_automatically": False, "max_places_per_slot": 6},
    "leadership-collaborative": {"bookings_confirmed_automatically": True, "max_places_per_slot": 8},
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
    """A few requests so partner dashboards have something waiting; only on a fresh seed."""
    if any(participant.bookings.exists() for participant in participants):
        return
    for participant, opportunity in zip(participants[:4], opportunities[:8:2], strict=False):
        slot = opportunity.slots.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()
        programme = booking_programme_for(slot=slot, participant=participant) if slot else None
        if programme is None:
            continue
        try:
            booking_request(slot=slot, participant=participant, programme=programme)
        except ValidationError:
            continue  # a cap or blackout said no: the demo simply has one request fewer
        created["bookings"] += 1


def demo_seed_placements(*, participants, team_user) -> dict[str, int]:
    created = {"partner_profiles": 0, "blackouts": 0, "opportunities": 0, "slots": 0, "bookings": 0}
    policy_areas_seed()
    _seed_partner_profiles(created)
    _seed_programmes(participants)
    opportunities = _seed_opportunities(created, team_user)
    _seed_interests(participants)
    _seed_requests(created, participants, opportunities)
    return created
