"""A believable programme world for the local run and for trying the portal.

Everything is keyed on a natural key (e-mail, organisation name, programme slug), so seeding twice
changes nothing. Later features add their own objects here.
"""

from dataclasses import dataclass, field
from datetime import date

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.db import transaction

from connecting.accounts.models import Grade, Role
from connecting.demo_debriefs import demo_seed_debriefs
from connecting.demo_placements import demo_seed_placements
from connecting.demo_surveys import demo_seed_surveys
from partners.models import Partner, PartnerMembership, PartnerStatus, Region, Sector
from placements.models import Programme

User = get_user_model()

DEMO_PASSWORD = "Connecting-demo-2026"  # noqa: S105 - printed by the run command; demo_data refuses production
# Add this to an authenticator app to sign in as the demo programme team, or run
# `python manage.py demo_totp_code`. It is demo data, useless outside the local run.
DEMO_TOTP_SECRET = "CONNECTINGDEMOTOTPKEY234"  # noqa: S105
DEPARTMENT = "Department of Health and Social Care"
PARTICIPANT_DOMAIN = "connecting-demo.gov.uk"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    job_title: str
    organisation: str = DEPARTMENT
    directorate: str = ""
    grade: str = ""


@dataclass(frozen=True)
class DemoPartner:
    name: str
    sector: Sector
    region: Region
    contact: DemoPerson
    status: PartnerStatus = PartnerStatus.ACTIVE
    colleagues: tuple[DemoPerson, ...] = field(default_factory=tuple)


PROGRAMME_TEAM = DemoPerson(
    email=f"morgan.ellis@{PARTICIPANT_DOMAIN}",
    full_name="Morgan Ellis",
    job_title="Head of the Connecting programme",
    directorate="People and Capability",
    grade=Grade.G6,
)

PARTICIPANTS = [
    DemoPerson(
        f"aisha.rahman@{PARTICIPANT_DOMAIN}",
        "Aisha Rahman",
        "Deputy Director, Acute Care Policy",
        directorate="Acute Care and Workforce",
        grade=Grade.SCS1,
    ),
    DemoPerson(
        f"tom.whitaker@{PARTICIPANT_DOMAIN}",
        "Tom Whitaker",
        "Director, Adult Social Care",
        directorate="Adult Social Care",
        grade=Grade.SCS2,
    ),
    DemoPerson(
        f"grace.okafor@{PARTICIPANT_DOMAIN}",
        "Grace Okafor",
        "Policy Lead, Hospital Discharge",
        directorate="Acute Care and Workforce",
        grade=Grade.G7,
    ),
    DemoPerson(
        f"daniel.price@{PARTICIPANT_DOMAIN}",
        "Daniel Price",
        "Deputy Director, Mental Health",
        directorate="Mental Health and Disability",
        grade=Grade.SCS1,
    ),
    DemoPerson(
        f"fiona.mcleod@{PARTICIPANT_DOMAIN}",
        "Fiona McLeod",
        "Senior Policy Adviser, Primary Care",
        directorate="Primary Care and Prevention",
        grade=Grade.SEO,
    ),
    DemoPerson(
        f"sanjay.patel@{PARTICIPANT_DOMAIN}",
        "Sanjay Patel",
        "Director General, Global and Public Health",
        directorate="Global and Public Health",
        grade=Grade.SCS3,
    ),
    DemoPerson(
        f"emma.jones@{PARTICIPANT_DOMAIN}",
        "Emma Jones",
        "Analyst, Workforce Modelling",
        directorate="Analysis",
        grade=Grade.HEO,
    ),
    DemoPerson(
        f"owen.griffiths@{PARTICIPANT_DOMAIN}",
        "Owen Griffiths",
        "Deputy Director, Digital Services",
        organisation="Cabinet Office",
        directorate="Government Digital Service",
        grade=Grade.SCS1,
    ),
]


def _contact(email: str, full_name: str, job_title: str, organisation: str) -> DemoPerson:
    return DemoPerson(email=email, full_name=full_name, job_title=job_title, organisation=organisation)


PARTNERS = [
    DemoPartner(
        "Northbridge University Hospitals NHS Foundation Trust",
        Sector.ACUTE_NHS_TRUST,
        Region.NORTH_WEST,
        _contact(
            "priya.shah@northbridge-nhs.example.org",
            "Priya Shah",
            "Head of Patient Flow",
            "Northbridge University Hospitals NHS Foundation Trust",
        ),
        colleagues=(
            _contact(
                "liam.byrne@northbridge-nhs.example.org",
                "Liam Byrne",
                "Discharge Team Lead",
                "Northbridge University Hospitals NHS Foundation Trust",
            ),
        ),
    ),
    DemoPartner(
        "Riverside Mental Health NHS Trust",
        Sector.MENTAL_HEALTH_TRUST,
        Region.YORKSHIRE_AND_THE_HUMBER,
        _contact(
            "helen.ward@riverside-mh.example.org",
            "Helen Ward",
            "Community Services Manager",
            "Riverside Mental Health NHS Trust",
        ),
    ),
    DemoPartner(
        "St Columba's Hospice",
        Sector.HOSPICE,
        Region.SCOTLAND,
        _contact(
            "iona.macdonald@stcolumbas-hospice.example.org",
            "Iona MacDonald",
            "Director of Care",
            "St Columba's Hospice",
        ),
    ),
    DemoPartner(
        "London Borough of Eastmere",
        Sector.LOCAL_AUTHORITY,
        Region.LONDON,
        _contact(
            "marcus.bell@eastmere-council.example.org",
            "Marcus Bell",
            "Assistant Director, Adult Social Care",
            "London Borough of Eastmere",
        ),
    ),
    DemoPartner(
        "Westshire Clinical Commissioning Group",
        Sector.OTHER,
        Region.SOUTH_WEST,
        _contact(
            "ruth.carter@westshire-ccg.example.org",
            "Ruth Carter",
            "Head of Commissioning",
            "Westshire Clinical Commissioning Group",
        ),
    ),
    DemoPartner(
        "Midshire Police",
        Sector.POLICE,
        Region.WEST_MIDLANDS,
        _contact(
            "inspector.khan@midshire-police.example.org",
            "Imran Khan",
            "Inspector, Mental Health Liaison",
            "Midshire Police",
        ),
    ),
    DemoPartner(
        "Oakfield Care Home",
        Sector.CARE_HOME,
        Region.EAST_MIDLANDS,
        _contact(
            "janet.hughes@oakfield-care.example.org",
            "Janet Hughes",
            "Registered Manager",
            "Oakfield Care Home",
        ),
    ),
    DemoPartner(
        "Harbour Lights Homelessness Charity",
        Sector.CHARITY,
        Region.NORTH_EAST,
        _contact(
            "sam.robson@harbourlights.example.org",
            "Sam Robson",
            "Outreach Coordinator",
            "Harbour Lights Homelessness Charity",
        ),
    ),
    DemoPartner(
        "Meadow Lane GP Practice",
        Sector.PRIMARY_CARE,
        Region.EAST_OF_ENGLAND,
        _contact(
            "dr.lucy.chen@meadowlane-gp.example.org", "Dr Lucy Chen", "GP Partner", "Meadow Lane GP Practice"
        ),
    ),
    DemoPartner(
        "Kingsbridge Probation Delivery Unit",
        Sector.PROBATION_JUSTICE,
        Region.SOUTH_EAST,
        _contact(
            "paul.adeyemi@kingsbridge-probation.example.org",
            "Paul Adeyemi",
            "Head of Unit",
            "Kingsbridge Probation Delivery Unit",
        ),
    ),
    DemoPartner(
        "Valleys Carers' Centre",
        Sector.CHARITY,
        Region.WALES,
        _contact(
            "carys.evans@valleys-carers.example.org",
            "Carys Evans",
            "Chief Executive",
            "Valleys Carers' Centre",
        ),
        status=PartnerStatus.PAUSED,
    ),
    DemoPartner(
        "Lough Shore Fire and Rescue Station",
        Sector.FIRE_AND_RESCUE,
        Region.NORTHERN_IRELAND,
        _contact(
            "niall.quinn@loughshore-fire.example.org",
            "Niall Quinn",
            "Station Commander",
            "Lough Shore Fire and Rescue Station",
        ),
        status=PartnerStatus.INVITED,
    ),
]

PROGRAMMES = [
    {
        "slug": "connecting",
        "name": "Connecting",
        "owner_organisation": DEPARTMENT,
        "description": "Every senior civil servant in the department spends days with NHS trusts, hospices, councils, "
        "police forces, charities and care homes, and brings the learning back into policy: 1,200 days of connecting.",
        "target_days_per_participant": 4,
        "starts_on": date(2026, 4, 1),
        "ends_on": date(2027, 3, 31),
    },
    {
        "slug": "leadership-collaborative",
        "name": "Cross-Sector Leadership Collaborative",
        "owner_organisation": "Cabinet Office",
        "description": "Leaders from the NHS, local government, policing and the civil service work in cohorts on "
        "shared problems, with project groups, sponsors, facilitators and action learning sets.",
        "target_days_per_participant": 6,
        "starts_on": date(2026, 9, 1),
        "ends_on": date(2027, 7, 31),
    },
]


def _person_upsert(person: DemoPerson, role: Role, **extra) -> tuple[object, bool]:
    user, created = User.objects.get_or_create(
        email=person.email,
        defaults={
            "full_name": person.full_name,
            "job_title": person.job_title,
            "organisation": person.organisation,
            "directorate": person.directorate,
            "grade": person.grade,
            "role": role,
            **extra,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=person.email, defaults={"primary": True, "verified": True}
    )
    return user, created


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create the demo world, or top it up; returns how many of each thing were created now."""
    created = {"programmes": 0, "partners": 0, "people": 0}
    for programme in PROGRAMMES:
        _, was_created = Programme.objects.get_or_create(slug=programme["slug"], defaults=programme)
        created["programmes"] += was_created

    team_user, was_created = _person_upsert(
        PROGRAMME_TEAM, Role.PROGRAMME_TEAM, is_staff=True, is_superuser=True
    )
    created["people"] += was_created
    if not Authenticator.objects.filter(user=team_user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(team_user, DEMO_TOTP_SECRET)

    participants = []
    for person in PARTICIPANTS:
        participant, was_created = _person_upsert(person, Role.PARTICIPANT)
        participants.append(participant)
        created["people"] += was_created

    for demo_partner in PARTNERS:
        partner, was_created = Partner.objects.get_or_create(
            name=demo_partner.name,
            defaults={
                "sector": demo_partner.sector,
                "region": demo_partner.region,
                "status": demo_partner.status,
            },
        )
        created["partners"] += was_created
        for index, person in enumerate((demo_partner.contact, *demo_partner.colleagues)):
            user, was_created = _person_upsert(person, Role.PARTNER_CONTACT)
            created["people"] += was_created
            PartnerMembership.objects.get_or_create(
                partner=partner, user=user, defaults={"is_admin": index == 0}
            )
    created.update(demo_seed_placements(participants=participants, team_user=team_user))
    demo_seed_debriefs(created, participants=participants, team_user=team_user)
    demo_seed_surveys(created, team_user=team_user)
    return created
