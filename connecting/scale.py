"""A national-scale data set for the performance benchmark (issue 9): partners, opportunities,
slots, participants, bookings in every state, debriefs with themes and free text, and the
published insights of the learning library.

The big tables are written with PostgreSQL's COPY (ids reserved from each table's sequence up
front, so rows can point at each other before they exist); the small ones with `bulk_create`.
Every CHECK and unique constraint holds: a slot's `places_held` is the number of its bookings that
take a place, a participant has at most one booking per slot, debriefs hang only off past
confirmed or attended bookings, and only shareable debriefs are published.

It refuses production, and any database whose name does not end in `_bench` unless told
(`allow_any_database`, for the test that runs it at a tiny scale).
"""

import datetime
import random
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from connecting.db import copy_rows, copy_value

DEFAULTS = {
    "partners": 2_000,
    "opportunities": 20_000,
    "slots": 200_000,
    "participants": 50_000,
    "bookings": 300_000,
    "debriefs": 150_000,
}
DEFAULT_SEED = 20269
PAST_DAYS = 730  # slots over the last two years...
FUTURE_DAYS = 182  # ...and the next six months
PAST_BOOKING_SHARE = 0.75
EMAIL_DOMAIN = "scale.example.gov.uk"
TEAM_COUNT = 5
# The benchmark signs the programme team in with this; it is test data for a `_bench` database.
TEAM_TOTP_SECRET = "CONNECTINGSCALEBENCHTOTP"  # noqa: S105
TEAM_EMAIL = f"scale-team-01@{EMAIL_DOMAIN}"


def participant_email(n: int) -> str:
    return f"scale-participant-{n:06d}@{EMAIL_DOMAIN}"


class ScaleRefused(Exception):
    pass


def scale_database_check(*, allow_any_database: bool = False) -> str:
    """The database's name, or ScaleRefused if it is production, not PostgreSQL or not a `_bench` one."""
    if getattr(settings, "PRODUCTION", False):
        raise ScaleRefused("Refusing to generate scale data in production.")
    if connection.vendor != "postgresql":
        raise ScaleRefused("Scale data needs PostgreSQL (it writes with COPY).")
    name = connection.settings_dict["NAME"]
    if not allow_any_database and not name.endswith("_bench"):
        raise ScaleRefused(f"Refusing database {name!r}: its name must end in '_bench'.")
    return name


def scale_data_wipe(*, allow_any_database: bool = False) -> None:
    """Empty everything hanging off people, partners and programmes (the policy areas stay)."""
    scale_database_check(allow_any_database=allow_any_database)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, partners_partner, placements_programme, django_session "
            "RESTART IDENTITY CASCADE"
        )


# --- Vocabulary ------------------------------------------------------------------------------------

TOWNS = [
    "Northbridge", "Eastwick", "Kingsford", "Ashby", "Millbrook", "Redcliffe", "Hollowell", "Brackley",
    "Stanmoor", "Westerham", "Fairhaven", "Oakhampton", "Lindon", "Carrow", "Thornbury", "Whitmore",
    "Elmsworth", "Harrowgate", "Calder", "Penrose", "Aldwick", "Marston", "Briarfield", "Kestle",
]  # fmt: skip
SECTOR_NAMES = {
    "acute_nhs_trust": "Hospitals NHS Foundation Trust", "mental_health_trust": "Mental Health NHS Trust",
    "primary_care": "Medical Practice", "hospice": "Hospice", "care_home": "Care Home",
    "local_authority": "Council", "police": "Police", "probation_justice": "Probation Delivery Unit",
    "fire_and_rescue": "Fire and Rescue Service", "charity": "Community Trust", "education": "Academy",
    "other": "Partnership",
}  # fmt: skip
SECTOR_WEIGHTS = {
    "acute_nhs_trust": 14, "mental_health_trust": 8, "primary_care": 10, "hospice": 6, "care_home": 14,
    "local_authority": 12, "police": 6, "probation_justice": 5, "fire_and_rescue": 4, "charity": 12,
    "education": 5, "other": 4,
}  # fmt: skip
REGION_WEIGHTS = {
    "north_east": 6, "north_west": 11, "yorkshire_and_the_humber": 9, "east_midlands": 8,
    "west_midlands": 9, "east_of_england": 9, "london": 14, "south_east": 13, "south_west": 9,
    "wales": 5, "scotland": 5, "northern_ireland": 2,
}  # fmt: skip
ORGANISATIONS = {
    "Department of Health and Social Care": 45, "Cabinet Office": 8, "Home Office": 8, "Ministry of Justice": 7,
    "Department for Education": 7, "Ministry of Housing, Communities and Local Government": 6,
    "HM Treasury": 4, "Department for Work and Pensions": 6, "UK Health Security Agency": 5, "NHS England": 4,
}  # fmt: skip
DIRECTORATES = [
    "Acute Care and Workforce", "Adult Social Care", "Global and Public Health", "Finance and Group Operations",
    "Strategy, Research and Innovation", "Digital, Data and Technology", "Legal Services", "Communications",
    "Mental Health and Disabilities", "Primary Care and Community Health", "Urgent and Emergency Care",
    "NHS Workforce Policy", "Health Inequalities and Prevention", "Children and Families", "Policing Policy",
    "Criminal Justice Reform", "Homelessness and Rough Sleeping", "Local Government Finance",
    "Public Service Reform", "Spending Review Team", "Labour Market Policy", "Schools Policy",
    "Emergency Preparedness and Resilience", "Drugs Policy Unit", "Ministerial Private Office",
]  # fmt: skip
GRADES = ["AO", "EO", "HEO", "SEO", "SEO", "G7", "G7", "G6", "SCS1", "SCS2"]
JOB_TITLES = ["Policy adviser", "Senior policy adviser", "Analyst", "Economist", "Head of policy",
              "Deputy director", "Operational researcher", "Private secretary", "Project manager"]  # fmt: skip
FIRST = ["Alex", "Sam", "Priya", "Tom", "Aisha", "Chris", "Fatima", "Jamie", "Olu", "Hannah", "Ravi", "Megan",
         "Daniel", "Sophie", "Imran", "Grace", "Liam", "Zara", "Owen", "Chloe"]  # fmt: skip
LAST = ["Smith", "Patel", "Jones", "Khan", "Williams", "Brown", "Taylor", "Ahmed", "Evans", "Wilson", "Murphy",
        "Okafor", "Roberts", "Hughes", "Begum", "Walker", "Clarke", "Singh", "Wright", "Green"]  # fmt: skip
TEAMS = [
    "integrated discharge team", "discharge to assess team", "hospital discharge hub", "emergency department",
    "frontline ambulance crew", "community mental health team", "crisis resolution team", "district nursing team",
    "care home staff", "home care team", "neighbourhood policing team", "custody suite", "youth offending team",
    "probation officers", "fire safety team", "GP practice team", "community pharmacy", "hospice ward team",
    "safeguarding team", "adult social care front door", "children's services team", "housing options team",
    "drug and alcohol service", "school pastoral team", "volunteer coordinators", "virtual ward team",
    "urgent community response team", "rapid response team", "reablement team", "outreach team",
]  # fmt: skip
TITLE_FORMS = [
    "A day with the {team}",
    "Shadow the {team}",
    "Half a day with the {team}",
    "Inside the {team}",
]
# Phrases the taxonomy has no word for. Some rise over the two years, so the emerging-theme
# extraction of recent periods has something to find.
EMERGING = [
    "virtual wards", "discharge lounge", "social prescribing", "care navigators", "remote monitoring",
    "hospital at home", "frequent attenders", "shared care records", "agency staffing costs",
    "damp and mould", "language barriers", "pharmacy first", "corridor care", "cost of living pressures",
]  # fmt: skip
RISING = {"corridor care", "pharmacy first", "virtual wards", "cost of living pressures"}
PROBLEMS = [
    "delays in getting care packages arranged", "staff turnover and vacancies", "paperwork that duplicates itself",
    "systems that do not talk to each other", "funding that arrives too late in the year",
    "patients waiting for a bed in the community", "referrals bouncing between services", "high sickness absence",
    "targets that pull teams in different directions", "unclear ownership of the patient's journey",
]  # fmt: skip
PRACTICES = [
    "a daily huddle across health and social care", "a single trusted assessor", "joint visits with the council",
    "a shared whiteboard of every delayed patient", "protected time for supervision", "peer support workers",
    "a named link worker for each care home", "weekend discharge planning", "a single point of access",
]  # fmt: skip
TEMPLATES = {
    "what_i_saw": [
        "I spent the day with the {team} and saw how {practice} works in practice.",
        "The {team} started with a handover where {problem} came up again and again.",
        "Staff showed me how {emerging} fits into their day and where it breaks down.",
        "We followed three people through the service; each one hit {problem}.",
    ],
    "what_i_learnt": [
        "Most of the delay comes from {problem}, not from a shortage of goodwill.",
        "Teams rely heavily on {emerging}, which national policy barely mentions.",
        "{practice} takes time to set up but pays back within weeks.",
        "Frontline staff see {emerging} as the thing that would change their week.",
        "The hardest part is {problem}; the policy levers we hold touch it only indirectly.",
    ],
    "what_surprised_me": [
        "How much of the work depends on {emerging}.",
        "That {problem} is accepted as normal by everyone I met.",
        "How quickly {practice} was set up once the managers agreed.",
    ],
    "what_works": [
        "{practice} keeps people moving and staff feel listened to.",
        "Where {emerging} is in place, people go home days earlier.",
        "Joint ownership: {practice}.",
    ],
    "what_does_not_work": [
        "{problem} undoes much of the good work.",
        "Without funding for {emerging}, the service relies on goodwill.",
        "Guidance assumes {practice}, which this area does not have.",
    ],
    "policy_implications": [
        "We should look again at how guidance treats {emerging}.",
        "A national push on {practice} would help more than new targets.",
        "Our next spending review bid should tackle {problem}.",
        "",
    ],
}
FREE_TAGS = ["winter", "handover", "night shift", "rural", "estates", "rota gaps", "families", "it systems"]
REASONS = [
    "Winter pressures",
    "CQC inspection",
    "Staff training week",
    "Building works",
    "Peak holiday cover",
]


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Writing -------------------------------------------------------------------------------------


def _copy(model, fields: list[str], rows: Iterable[tuple], *, now: datetime.datetime) -> int:
    """COPY `rows` (values of `fields`, in order) into the model's table; any other non-key column
    gets the field's default (auto_now ones get `now`). Returns the rows written."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    others = [f for f in meta.concrete_fields if f.name not in fields and not f.primary_key]
    tail = []
    for field in others:
        default = field.get_default()
        if default is None and not field.null:
            default = now  # auto_now / auto_now_add timestamps
        tail.append(copy_value(default))
    suffix = ("\t" + "\t".join(tail)) if tail else ""
    return copy_rows(meta.db_table, [f.column for f in given + others], rows, suffix=suffix)


def _reserve_ids(model, n: int) -> int:
    """Take `n` ids from the table's sequence at once; returns the first."""
    if n <= 0:
        return 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [model._meta.db_table, model._meta.db_table, n],
        )
        return cursor.fetchone()[0] - n + 1


# --- Building ------------------------------------------------------------------------------------


def scale_data_build(
    *,
    scale: float = 1.0,
    seed: int = DEFAULT_SEED,
    allow_any_database: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Write the data set at `scale` times the default size, in one transaction; returns the counts.

    Refuses (ScaleRefused) production, a database not named `*_bench` unless `allow_any_database`,
    and a database that already holds scale data (wipe it first with `scale_data_wipe`)."""
    scale_database_check(allow_any_database=allow_any_database)
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth.hashers import make_password

    from connecting.accounts.models import Role, User
    from debriefs.models import Debrief, DebriefStatus, Insight, SharingConsent
    from partners.models import Partner, PartnerBlackout, PartnerMembership, PartnerStatus
    from placements.models import (
        PLACE_TAKING_STATUSES,
        Booking,
        BookingStatus,
        Cohort,
        Duration,
        Enrolment,
        ManagerApproval,
        Opportunity,
        OpportunityStatus,
        ParticipantInterests,
        Programme,
        Slot,
        Theme,
        VettingLevel,
    )

    size = {key: max(1, round(value * scale)) for key, value in DEFAULTS.items()}
    size["partners"] = max(size["partners"], 3)
    size["opportunities"] = max(size["opportunities"], size["partners"])
    size["participants"] = max(size["participants"], 20)
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    themes = list(Theme.objects.order_by("pk").values_list("pk", flat=True))
    if not themes:
        raise ScaleRefused("No policy areas: run the migrations first (they seed them).")
    if User.objects.filter(email=participant_email(1)).exists():
        raise ScaleRefused("The database already holds scale data: wipe it first (--wipe).")
    from connecting.postcodes import _district_centroids

    districts = sorted(_district_centroids()) or ["SW1A"]

    def postcode(region: str) -> str:
        district = f"BT{rng.randint(1, 60)}" if region == "northern_ireland" else rng.choice(districts)
        return f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPRSTUWXYZ')}"

    counts: dict[str, int] = {}
    with transaction.atomic():
        # Programmes and cohorts.
        programmes = Programme.objects.bulk_create(
            [
                Programme(name="Connecting (national)", slug="scale-connecting",
                          owner_organisation="Department of Health and Social Care",
                          starts_on=today - datetime.timedelta(days=PAST_DAYS + 60)),
                Programme(name="Cross-sector leadership collaborative (national)", slug="scale-collaborative",
                          owner_organisation="Cabinet Office", bookings_confirmed_automatically=True,
                          starts_on=today - datetime.timedelta(days=PAST_DAYS + 30)),
                Programme(name="Frontline insight (national)", slug="scale-frontline",
                          owner_organisation="Home Office", line_manager_approval_required=True,
                          starts_on=today - datetime.timedelta(days=PAST_DAYS)),
                Programme(name="Civil Service Local (national)", slug="scale-local",
                          owner_organisation="Cabinet Office",
                          starts_on=today - datetime.timedelta(days=PAST_DAYS // 2)),
            ]
        )  # fmt: skip
        cohorts = []
        for programme in programmes:
            for quarter in range(8):
                starts = programme.starts_on + datetime.timedelta(days=91 * quarter)
                cohorts.append(
                    Cohort(programme=programme, name=f"Cohort {quarter + 1}", starts_on=starts,
                           ends_on=starts + datetime.timedelta(days=180))
                )  # fmt: skip
        cohorts = Cohort.objects.bulk_create(cohorts)
        cohorts_of = {p.pk: [c.pk for c in cohorts if c.programme_id == p.pk] for p in programmes}
        log(f"programmes: {len(programmes)}, cohorts: {len(cohorts)}")

        # People: participants, partner contacts and the programme team, one unusable password.
        password = make_password(None)
        n_participants = size["participants"]
        n_contacts = size["partners"] + size["partners"] // 3
        n_users = n_participants + n_contacts + TEAM_COUNT
        first_user = _reserve_ids(User, n_users)
        participant_ids = list(range(first_user, first_user + n_participants))
        contact_ids = list(range(first_user + n_participants, first_user + n_participants + n_contacts))
        team_ids = list(range(first_user + n_participants + n_contacts, first_user + n_users))
        directorate_of: dict[int, str] = {}

        def users():
            for n, pk in enumerate(participant_ids, start=1):
                directorate = rng.choice(DIRECTORATES)
                directorate_of[pk] = directorate
                yield (
                    pk,
                    participant_email(n),
                    f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    rng.choice(JOB_TITLES),
                    _weighted(rng, ORGANISATIONS),
                    directorate,
                    rng.choice(GRADES),
                    Role.PARTICIPANT,
                    password,
                    now - datetime.timedelta(days=rng.randint(0, PAST_DAYS)),
                )
            for n, pk in enumerate(contact_ids, start=1):
                yield (
                    pk,
                    f"scale-contact-{n:05d}@partner.example.org",
                    f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "Service manager",
                    "",
                    "",
                    "",
                    Role.PARTNER_CONTACT,
                    password,
                    now - datetime.timedelta(days=rng.randint(0, PAST_DAYS)),
                )
            for n, pk in enumerate(team_ids, start=1):
                yield (pk, f"scale-team-{n:02d}@{EMAIL_DOMAIN}", f"Team member {n}", "Programme officer",
                       "Department of Health and Social Care", "Connecting programme", "HEO",
                       Role.PROGRAMME_TEAM, password, now - datetime.timedelta(days=PAST_DAYS))  # fmt: skip

        counts["users"] = _copy(
            User,
            ["id", "email", "full_name", "job_title", "organisation", "directorate", "grade", "role",
             "password", "date_joined"],
            users(),
            now=now,
        )  # fmt: skip
        emails = User.objects.filter(pk__gte=first_user).values_list("pk", "email")
        _copy(EmailAddress, ["user", "email", "verified", "primary"],
              ((pk, email, True, True) for pk, email in emails.iterator()), now=now)  # fmt: skip
        for team_user in User.objects.filter(pk__in=team_ids):
            TOTP.activate(team_user, TEAM_TOTP_SECRET)
        counts["participants"] = n_participants
        counts["partner_contacts"] = n_contacts
        counts["programme_team"] = TEAM_COUNT
        log(f"users: {counts['users']}")

        # Enrolments: a quarter of the participants are on two programmes; most are in a cohort.
        enrolled: dict[int, list[int]] = {p.pk: [] for p in programmes}
        programme_weights = [50, 20, 15, 15]

        def enrolments():
            for pk in participant_ids:
                chosen = {rng.choices(programmes, weights=programme_weights)[0]}
                if rng.random() < 0.25:
                    chosen.add(rng.choice(programmes))
                for programme in chosen:
                    enrolled[programme.pk].append(pk)
                    cohort = rng.choice(cohorts_of[programme.pk]) if rng.random() < 0.8 else None
                    yield (
                        programme.pk,
                        pk,
                        cohort,
                        now - datetime.timedelta(days=rng.randint(30, PAST_DAYS)),
                    )

        counts["enrolments"] = _copy(Enrolment, ["programme", "participant", "cohort", "enrolled_at"],
                                     enrolments(), now=now)  # fmt: skip
        for programme in programmes:  # every programme has someone, even at a tiny scale
            if not enrolled[programme.pk]:
                enrolled[programme.pk].append(participant_ids[0])
                Enrolment.objects.get_or_create(programme=programme, participant_id=participant_ids[0])

        # Interests for a fifth of the participants.
        sectors = list(SECTOR_WEIGHTS)
        with_interests = participant_ids[: max(1, n_participants // 5)]
        first_interest = _reserve_ids(ParticipantInterests, len(with_interests))
        counts["participant_interests"] = _copy(
            ParticipantInterests,
            ["id", "participant", "sectors", "base_postcode", "learning_objective"],
            (
                (first_interest + i, pk, rng.sample(sectors, k=rng.randint(0, 3)),
                 postcode(_weighted(rng, REGION_WEIGHTS)) if rng.random() < 0.6 else "",
                 "Understand how delays build up across services.")
                for i, pk in enumerate(with_interests)
            ),
            now=now,
        )  # fmt: skip
        _copy(
            ParticipantInterests.policy_areas.through,
            ["participantinterests", "theme"],
            (
                (first_interest + i, theme)
                for i in range(len(with_interests))
                for theme in rng.sample(themes, k=rng.randint(1, 3))
            ),
            now=now,
        )

        # Partners, their contacts and blackouts.
        partners = []
        for n in range(size["partners"]):
            sector, region, town = (
                _weighted(rng, SECTOR_WEIGHTS),
                _weighted(rng, REGION_WEIGHTS),
                rng.choice(TOWNS),
            )
            partners.append(
                Partner(
                    name=f"{town} {SECTOR_NAMES[sector]} {n + 1:05d}", sector=sector, region=region,
                    status=rng.choices([PartnerStatus.ACTIVE, PartnerStatus.PAUSED, PartnerStatus.INVITED,
                                        PartnerStatus.ARCHIVED], weights=[90, 5, 3, 2])[0],
                    address_line_1=f"{rng.randint(1, 200)} High Street", town=town, postcode=postcode(region),
                    website=f"https://partner{n + 1:05d}.example.org",
                    description="We provide frontline services to the local population.",
                    max_visitors_per_week=rng.randint(5, 12) if rng.random() < 0.1 else None,
                    max_visitors_per_month=rng.randint(15, 40) if rng.random() < 0.05 else None,
                )
            )  # fmt: skip
        partners = Partner.objects.bulk_create(partners, batch_size=2_000)
        counts["partners"] = len(partners)
        memberships = [
            PartnerMembership(partner=partners[i % len(partners)], user_id=pk, is_admin=i < len(partners))
            for i, pk in enumerate(contact_ids)
        ]
        PartnerMembership.objects.bulk_create(memberships, batch_size=5_000)
        blackouts = []
        for partner in partners:
            if rng.random() < 0.15:
                first = today + datetime.timedelta(days=rng.randint(0, FUTURE_DAYS - 21))
                blackouts.append(
                    PartnerBlackout(partner=partner, starts_on=first, reason=rng.choice(REASONS),
                                    ends_on=first + datetime.timedelta(days=rng.randint(2, 20)))
                )  # fmt: skip
        PartnerBlackout.objects.bulk_create(blackouts)
        log(f"partners: {len(partners)}")

        # Opportunities: every partner has at least one.
        n_opps = size["opportunities"]
        owners = list(partners) + [rng.choice(partners) for _ in range(n_opps - len(partners))]
        rng.shuffle(owners)
        first_opp = _reserve_ids(Opportunity, n_opps)
        opp_partner: dict[int, Partner] = {}
        opp_duration: dict[int, str] = {}
        opp_programmes: dict[int, list[int]] = {}
        opp_areas: dict[int, list[int]] = {}

        def opportunities():
            for i, partner in enumerate(owners):
                pk = first_opp + i
                team = rng.choice(TEAMS)
                duration = rng.choices(
                    [Duration.HALF_DAY, Duration.DAY, Duration.SEVERAL_DAYS], weights=[25, 60, 15]
                )[0]
                status = rng.choices(
                    [OpportunityStatus.PUBLISHED, OpportunityStatus.DRAFT, OpportunityStatus.PAUSED,
                     OpportunityStatus.CLOSED], weights=[85, 7, 4, 4])[0]  # fmt: skip
                created = now - datetime.timedelta(days=rng.randint(PAST_DAYS, PAST_DAYS + 100))
                remote = rng.random() < 0.08
                opp_partner[pk], opp_duration[pk] = partner, duration
                opp_programmes[pk] = [
                    p.pk for p in rng.sample(programmes, k=rng.choices([1, 2], weights=[70, 30])[0])
                ]
                opp_areas[pk] = rng.sample(themes, k=rng.randint(1, 4))
                title = rng.choice(TITLE_FORMS).format(team=team)
                yield (
                    pk, partner.pk, f"{title} ({partner.town})" if rng.random() < 0.5 else title,
                    f"See how the {team} at {partner.name} works day to day and what gets in its way.",
                    f"Join the {team} for the morning handover, shadow a senior practitioner, sit in on a case "
                    "review and talk to staff about the pressures they face.",
                    remote, "" if remote else f"Site {rng.randint(1, 9)}, {partner.town}",
                    "" if remote or rng.random() < 0.7 else postcode(partner.region), duration,
                    rng.choices([VettingLevel.NONE, VettingLevel.BASIC_DBS, VettingLevel.ENHANCED_DBS,
                                 VettingLevel.POLICE_VETTING], weights=[50, 25, 20, 5])[0],
                    rng.choice([0, 5, 5, 10, 10, 15]), f"Host {i + 1}", f"host{i + 1}@partner.example.org",
                    status, created, created if status == OpportunityStatus.DRAFT else now,
                    None if status == OpportunityStatus.DRAFT else created + datetime.timedelta(days=rng.randint(0, 20)),
                )  # fmt: skip

        opportunity_values = list(opportunities())
        # Policy areas before their opportunities (foreign keys are checked at commit): the trigger
        # that writes each opportunity's search document then finds them, and no row is rewritten.
        _copy(Opportunity.policy_areas.through, ["opportunity", "theme"],
              ((o, t) for o, ts in opp_areas.items() for t in ts), now=now)  # fmt: skip
        counts["opportunities"] = _copy(
            Opportunity,
            ["id", "partner", "title", "summary", "what_you_will_do", "is_remote", "site_address", "site_postcode",
             "duration", "vetting_level", "minimum_notice_working_days", "host_name", "host_email", "status",
             "created_at", "updated_at", "published_at"],
            opportunity_values,
            now=now,
        )  # fmt: skip
        _copy(Opportunity.programmes.through, ["opportunity", "programme"],
              ((o, p) for o, ps in opp_programmes.items() for p in ps), now=now)  # fmt: skip
        log(f"opportunities: {n_opps}")

        # Slots: weekdays over the last two years and the next six months.
        zone = timezone.get_current_timezone()
        days = [today + datetime.timedelta(days=d) for d in range(-PAST_DAYS, FUTURE_DAYS + 1) if d != 0]
        weekdays = [d for d in days if d.weekday() < 5]

        def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
            return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)

        times = {}
        for day in weekdays:
            times[day] = {
                Duration.DAY: (at(day, 9), at(day, 17)),
                "am": (at(day, 9), at(day, 12, 30)),
                "pm": (at(day, 13, 30), at(day, 17)),
                Duration.SEVERAL_DAYS: (at(day, 9), at(day + datetime.timedelta(days=1), 17)),
            }
        n_slots = size["slots"]
        opp_ids = list(opp_partner)
        slot_opps = opp_ids + rng.choices(opp_ids, k=max(0, n_slots - len(opp_ids)))
        slot_opps = slot_opps[:n_slots]
        first_slot = _reserve_ids(Slot, n_slots)
        slot_rows = []  # [opportunity, starts, ends, capacity]
        for opp in slot_opps:
            day = rng.choice(weekdays)
            duration = opp_duration[opp]
            if duration == Duration.HALF_DAY:
                starts, ends = times[day]["am" if rng.random() < 0.5 else "pm"]
            else:
                starts, ends = times[day][duration]
            slot_rows.append([opp, starts, ends, rng.choice([1, 2, 2, 3, 4, 4, 4, 5, 6, 8])])

        # Bookings, slot by slot, so places held never pass capacity and nobody books a slot twice.
        n_bookings = size["bookings"]
        past = [i for i, row in enumerate(slot_rows) if row[2] < now]
        future = [i for i, row in enumerate(slot_rows) if row[2] >= now]
        held = [0] * n_slots
        people: list[set[int]] = [set() for _ in range(n_slots)]
        booking_rows = []  # (slot index, participant, programme, status)
        S = BookingStatus
        past_taking = [S.ATTENDED] * 90 + [S.NO_SHOW] * 6 + [S.CONFIRMED] * 4
        past_other = [S.CANCELLED] * 6 + [S.DECLINED] * 3 + [S.EXPIRED]
        future_taking = [S.CONFIRMED] * 70 + [S.REQUESTED] * 25 + [S.OFFERED] * 5
        future_other = [S.CANCELLED] * 6 + [S.DECLINED] * 2 + [S.WAITLISTED] * 2

        def fill(indexes: list[int], target: int, taking: list, other: list, other_share: float) -> None:
            # Each state is given once before the weights take over, so that a small build (and
            # any day's draw) still has bookings in every state.
            unseen_taking, unseen_other = list(dict.fromkeys(taking)), list(dict.fromkeys(other))

            def pick(statuses: list, unseen: list, *, full: bool) -> str:
                # Only someone asking for a full slot can be on its waiting list: them first.
                fits = [s for s in unseen if s == S.WAITLISTED and full] + [
                    s for s in unseen if s != S.WAITLISTED
                ]
                status = fits[0] if fits else rng.choice(statuses)
                if status in fits:
                    unseen.remove(status)
                return status

            made = 0
            while made < target and indexes:
                rng.shuffle(indexes)
                progressed = False
                for i in indexes:
                    if made >= target:
                        break
                    opp = slot_rows[i][0]
                    programme = rng.choice(opp_programmes[opp])
                    pool = enrolled[programme]
                    person = rng.choice(pool)
                    if person in people[i]:
                        continue
                    full = held[i] >= slot_rows[i][3]
                    if full or rng.random() < other_share:
                        status = pick(other, unseen_other, full=full)
                        if status == S.WAITLISTED and not full:
                            status = S.CANCELLED
                    else:
                        status = pick(taking, unseen_taking, full=full)
                        held[i] += 1
                    people[i].add(person)
                    booking_rows.append((i, person, programme, status))
                    made += 1
                    progressed = True
                    if held[i] >= slot_rows[i][3] and S.WAITLISTED in unseen_other and made < target:
                        # The place just taken was the last: someone joins its waiting list.
                        waiting = next((p for p in pool if p not in people[i]), None)
                        if waiting is not None:
                            people[i].add(waiting)
                            booking_rows.append((i, waiting, programme, pick(other, unseen_other, full=True)))
                            made += 1
                if not progressed:
                    break

        past_target = round(n_bookings * PAST_BOOKING_SHARE) if future else n_bookings
        fill(past, past_target, past_taking, past_other, 0.12)
        fill(future, n_bookings - len(booking_rows), future_taking, future_other, 0.12)
        if len(booking_rows) < n_bookings:  # a tiny scale can run the future slots dry
            fill(past, n_bookings - len(booking_rows), past_taking, past_other, 0.12)

        counts["slots"] = _copy(
            Slot,
            ["id", "opportunity", "starts_at", "ends_at", "capacity", "places_held", "created_at"],
            (
                (
                    first_slot + i,
                    opp,
                    starts,
                    ends,
                    capacity,
                    held[i],
                    min(starts, now) - datetime.timedelta(days=30),
                )
                for i, (opp, starts, ends, capacity) in enumerate(slot_rows)
            ),
            now=now,
        )
        log(f"slots: {counts['slots']}")

        first_booking = _reserve_ids(Booking, len(booking_rows))
        approval_needed = {p.pk for p in programmes if p.line_manager_approval_required}
        debrief_candidates = []  # booking ids of past confirmed or attended visits

        def bookings():
            for n, (i, person, programme, status) in enumerate(booking_rows):
                pk = first_booking + n
                starts = slot_rows[i][1]
                created = min(starts - datetime.timedelta(days=rng.randint(12, 60)), now)
                if programme in approval_needed:
                    approval = ManagerApproval.PENDING if status == S.REQUESTED else ManagerApproval.APPROVED
                else:
                    approval = ManagerApproval.NOT_REQUIRED
                if status in (S.ATTENDED, S.CONFIRMED) and starts < now:
                    debrief_candidates.append((pk, i, person, programme))
                yield (
                    pk, first_slot + i, person, programme, status,
                    f"manager{person % 997}@{EMAIL_DOMAIN}" if programme in approval_needed else "", approval,
                    now + datetime.timedelta(days=rng.randint(1, 3)) if status == S.OFFERED else None,
                    status == S.CANCELLED and rng.random() < 0.2, created, min(created + datetime.timedelta(days=3), now),
                )  # fmt: skip

        counts["bookings"] = _copy(
            Booking,
            ["id", "slot", "participant", "programme", "status", "line_manager_email", "manager_approval",
             "offer_expires_at", "cancelled_late", "created_at", "updated_at"],
            bookings(),
            now=now,
        )  # fmt: skip
        counts["bookings_holding_a_place"] = sum(1 for row in booking_rows if row[3] in PLACE_TAKING_STATUSES)
        log(f"bookings: {counts['bookings']}")

        # Debriefs of past visits, newest visits most likely still in draft or in review.
        chosen = rng.sample(debrief_candidates, k=min(size["debriefs"], len(debrief_candidates)))
        first_debrief = _reserve_ids(Debrief, len(chosen))
        D = DebriefStatus
        old_statuses = [D.PUBLISHED] * 45 + [D.APPROVED] * 35 + [D.SUBMITTED] * 8 + [D.IN_REVIEW] * 4 + [
            D.CHANGES_REQUESTED] * 3 + [D.DRAFT] * 5  # fmt: skip
        recent_statuses = [D.DRAFT] * 25 + [D.SUBMITTED] * 30 + [D.IN_REVIEW] * 15 + [D.CHANGES_REQUESTED] * 5 + [
            D.APPROVED] * 15 + [D.PUBLISHED] * 10  # fmt: skip
        total_days = PAST_DAYS
        debrief_themes: list[tuple[int, int]] = []
        insights = []  # (debrief id, slot index, person, status fields) for the published ones
        names = dict(User.objects.filter(pk__in=participant_ids).values_list("pk", "full_name").iterator())

        def text(field: str, emerging: str) -> str:
            sentences = rng.sample(TEMPLATES[field], k=min(2, len(TEMPLATES[field])))
            return " ".join(
                s.format(team=rng.choice(TEAMS), problem=rng.choice(PROBLEMS), practice=rng.choice(PRACTICES),
                         emerging=emerging) for s in sentences
            ).strip()  # fmt: skip

        def debriefs():
            for n, (booking_id, i, person, programme) in enumerate(chosen):
                pk = first_debrief + n
                ends = slot_rows[i][2]
                age = (now - ends).days
                status = rng.choice(recent_statuses if age < 45 else old_statuses)
                consent = rng.choices(
                    [SharingConsent.TEAM_ONLY, SharingConsent.ANONYMISED, SharingConsent.NAMED], weights=[30, 45, 25]
                )[0]  # fmt: skip
                if status == D.PUBLISHED and consent == SharingConsent.TEAM_ONLY:
                    consent = SharingConsent.ANONYMISED
                # Rising phrases grow more common towards today.
                weights = [(1 + 4 * (1 - age / total_days)) ** 2 if p in RISING else 1.5 for p in EMERGING]
                emerging = rng.choices(EMERGING, weights=weights)[0]
                submitted = (
                    None
                    if status == D.DRAFT
                    else min(ends + datetime.timedelta(days=rng.randint(1, 14)), now)
                )
                reviewed = (
                    min(submitted + datetime.timedelta(days=rng.randint(1, 10)), now)
                    if status in (D.APPROVED, D.PUBLISHED, D.CHANGES_REQUESTED) else None
                )  # fmt: skip
                reviewer = rng.choice(team_ids) if status not in (D.DRAFT, D.SUBMITTED) else None
                opp = slot_rows[i][0]
                picked = set(rng.sample(opp_areas[opp], k=min(len(opp_areas[opp]), rng.randint(1, 2))))
                if rng.random() < 0.3:
                    picked.add(rng.choice(themes))
                debrief_themes.extend((pk, t) for t in sorted(picked))
                fields = {f: text(f, emerging) for f in TEMPLATES}
                if status == D.PUBLISHED:
                    insights.append((pk, i, person, programme, consent, fields, reviewed, sorted(picked)))
                created = min(ends + datetime.timedelta(days=1), now)
                yield (
                    pk, booking_id, status, fields["what_i_saw"], fields["what_i_learnt"],
                    fields["what_surprised_me"], fields["what_works"], fields["what_does_not_work"],
                    fields["policy_implications"], rng.sample(FREE_TAGS, k=rng.randint(0, 2)),
                    rng.choice([3, 4, 4, 5, 5, 2]), consent, True, reviewer, submitted, reviewed, created,
                    reviewed or submitted or created,
                )  # fmt: skip

        counts["debriefs"] = _copy(
            Debrief,
            ["id", "booking", "status", "what_i_saw", "what_i_learnt", "what_surprised_me", "what_works",
             "what_does_not_work", "policy_implications", "tags", "usefulness", "consent",
             "personal_data_confirmed", "reviewer", "submitted_at", "reviewed_at", "created_at", "updated_at"],
            debriefs(),
            now=now,
        )  # fmt: skip
        counts["debrief_themes"] = _copy(
            Debrief.themes.through, ["debrief", "theme"], debrief_themes, now=now
        )
        log(f"debriefs: {counts['debriefs']}")

        # The learning library: one insight per published debrief.
        first_insight = _reserve_ids(Insight, len(insights))
        insight_themes = []

        def insight_rows():
            for n, (debrief_id, i, person, programme, consent, fields, published, picked) in enumerate(
                insights
            ):
                pk = first_insight + n
                partner = opp_partner[slot_rows[i][0]]
                insight_themes.extend((pk, t) for t in picked)
                yield (
                    pk, debrief_id, fields["what_i_learnt"][:190], f"{fields['what_i_learnt']} {fields['what_works']}",
                    names.get(person, "") if consent == SharingConsent.NAMED else "", partner.pk,
                    programme,
                    partner.sector, partner.region, timezone.localdate(slot_rows[i][1]), rng.choice(team_ids),
                    published,
                )  # fmt: skip

        insight_values = list(insight_rows())
        # Themes first, for the same reason as the opportunities' policy areas.
        _copy(Insight.themes.through, ["insight", "theme"], insight_themes, now=now)
        counts["insights"] = _copy(
            Insight,
            ["id", "debrief", "title", "body", "attribution", "partner", "programme", "sector", "region",
             "visited_on", "published_by", "published_at"],
            insight_values,
            now=now,
        )  # fmt: skip
        log(f"insights: {counts['insights']}")
    return counts
