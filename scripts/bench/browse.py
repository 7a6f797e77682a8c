#!/usr/bin/env python
"""Benchmark of the participant-facing reads of "Finding an opportunity" (issue 3) on PostgreSQL.

Builds a programme-sized dataset in a dedicated database (300 partners, 1,200 opportunities,
30,000 slots over the next six months with about 30% of places held, 2,000 participants of whom
500 have interests), then times the browse list, the recommendations, the detail page's slot
table and the full HTTP pages, with DEBUG off. Results and targets: docs/benchmarks.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/connecting_bench .venv/bin/python scripts/bench/browse.py

The database name must end in "_bench" (the script refuses anything else, since `--rebuild`
empties tables); it is created and migrated if missing. The dataset is kept between runs and
rebuilt when asked (`--rebuild`) or when it is more than a week old (its slots drift into the past).
"""

import argparse
import datetime
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BENCH_SLUG = "bench-connecting"
SEED = 20260
SCALE = {
    "partners": 300,
    "opportunities": 1_200,
    "slots": 30_000,
    "participants": 2_000,
    "with_interests": 500,
}
HORIZON_DAYS = 182
MAX_DATA_AGE = datetime.timedelta(days=7)
PAGE_SIZE = 20  # placements.views.browse.PAGE_SIZE
RECOMMENDATIONS_SHOWN = 3  # placements.views.browse.RECOMMENDATIONS_SHOWN
DETAIL_SLOTS = 25
KEYWORDS = "discharge team"

# The one participant measured with interests that have a base postcode (so every opportunity with
# a free place is a candidate), one with policy areas and sectors only (narrowed in SQL), and one
# with no interests (the browse page then skips recommendations).
P_POSTCODE = "bench-participant-0001@dhsc.gov.uk"
P_NO_POSTCODE = "bench-participant-0002@dhsc.gov.uk"
P_NO_INTERESTS = "bench-participant-1999@dhsc.gov.uk"


# --- Environment, before Django loads ------------------------------------------------------------


def _database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def _configure_environment() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name ends in _bench.")
    name = _database_name(url)
    if not name.endswith("_bench"):
        sys.exit(f"Refusing to run on database {name!r}: its name must end in '_bench'.")
    os.environ["DJANGO_SETTINGS_MODULE"] = "connecting.settings"
    # Measure what production serves: no debug pages, no SQL kept per query.
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    return url


def _create_database_if_missing(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlparse(url)
    name = _database_name(url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"Creating database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


# --- The dataset ------------------------------------------------------------------------------------

TOWNS = [
    "Northbridge", "Eastwick", "Kingsford", "Ashby", "Millbrook", "Redcliffe", "Hollowell", "Brackley",
    "Stanmoor", "Westerham", "Fairhaven", "Oakhampton", "Lindon", "Carrow", "Thornbury", "Whitmore",
    "Elmsworth", "Harrowgate", "Calder", "Penrose", "Aldwick", "Marston", "Briarfield", "Kestle",
]  # fmt: skip
SECTOR_NAMES = {
    "acute_nhs_trust": "Hospitals NHS Foundation Trust",
    "mental_health_trust": "Mental Health NHS Trust",
    "primary_care": "Medical Practice",
    "hospice": "Hospice",
    "care_home": "Care Home",
    "local_authority": "Council",
    "police": "Police",
    "probation_justice": "Probation Delivery Unit",
    "fire_and_rescue": "Fire and Rescue Service",
    "charity": "Community Trust",
    "education": "Academy",
    "other": "Partnership",
}
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
REASONS = [
    "Winter pressures",
    "CQC inspection",
    "Staff training week",
    "Building works",
    "Peak holiday cover",
]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _districts() -> tuple[list[str], list[str]]:
    from connecting.postcodes import _district_centroids

    gb = sorted(_district_centroids())
    northern_ireland = [f"BT{n}" for n in range(1, 60)]
    return gb, northern_ireland


def dataset_wipe() -> None:
    """Empty every table the dataset fills (the seeded policy areas stay)."""
    from allauth.account.models import EmailAddress
    from django.contrib.sessions.models import Session
    from django.db import connection

    from connecting.accounts.models import User
    from partners.models import Partner, PartnerBlackout
    from placements.models import Booking, Enrolment, Opportunity, ParticipantInterests, Programme, Slot

    models = [
        Booking, Slot, Opportunity.policy_areas.through, Opportunity.programmes.through, Opportunity,
        PartnerBlackout, Partner, ParticipantInterests.policy_areas.through, ParticipantInterests, Enrolment,
        Programme, EmailAddress, Session, User,
    ]  # fmt: skip
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def dataset_build() -> dict:
    """Fill the database with the benchmark programme world; returns what it made."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from connecting.accounts.models import Grade, Role, User
    from partners.models import Partner, PartnerBlackout, PartnerStatus
    from placements.models import (
        Booking,
        BookingStatus,
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

    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate(now)
    themes = list(Theme.objects.order_by("pk"))
    if not themes:
        sys.exit("No policy areas: the migrations seed them; run migrate first.")
    gb_districts, ni_districts = _districts()

    def postcode(region: str) -> str:
        district = rng.choice(ni_districts if region == "northern_ireland" else gb_districts)
        return f"{district} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPRSTUWXYZ')}"

    with transaction.atomic():
        programmes = Programme.objects.bulk_create(
            [
                Programme(
                    name="Connecting",
                    slug=BENCH_SLUG,
                    owner_organisation="Department of Health and Social Care",
                    starts_on=today - datetime.timedelta(days=400),
                    created_at=now,
                ),
                Programme(
                    name="Cross-sector leadership collaborative",
                    slug="bench-collaborative",
                    owner_organisation="Cabinet Office",
                    starts_on=today - datetime.timedelta(days=200),
                    bookings_confirmed_automatically=True,
                ),
                Programme(
                    name="Frontline insight",
                    slug="bench-frontline",
                    owner_organisation="Home Office",
                    starts_on=today - datetime.timedelta(days=100),
                    line_manager_approval_required=True,
                ),
            ]
        )

        # People. One unusable password hash for all: the benchmark signs in with force_login.
        password = make_password(None)
        grades = [Grade.EO, Grade.HEO, Grade.SEO, Grade.G7, Grade.G6, Grade.SCS1]
        participants = User.objects.bulk_create(
            [
                User(
                    email=f"bench-participant-{n:04d}@dhsc.gov.uk",
                    full_name=f"Participant {n:04d}",
                    job_title="Policy adviser",
                    organisation="Department of Health and Social Care",
                    grade=rng.choice(grades),
                    role=Role.PARTICIPANT,
                    password=password,
                )
                for n in range(1, SCALE["participants"] + 1)
            ]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=p, email=p.email, primary=True, verified=True) for p in participants]
        )
        enrolled_in: dict[int, list] = {programme.pk: [] for programme in programmes}
        enrolments = []
        for person in participants:
            chosen = rng.sample(programmes, k=rng.choices([1, 2], weights=[75, 25])[0])
            for programme in chosen:
                enrolments.append(Enrolment(programme=programme, participant=person))
                enrolled_in[programme.pk].append(person)
        Enrolment.objects.bulk_create(enrolments)

        # Partners: mostly active; some capped per week or month, some with blackouts ahead.
        partners = []
        for n in range(SCALE["partners"]):
            sector = _weighted(rng, SECTOR_WEIGHTS)
            region = _weighted(rng, REGION_WEIGHTS)
            town = rng.choice(TOWNS)
            partners.append(
                Partner(
                    name=f"{town} {SECTOR_NAMES[sector]} {n + 1:03d}",
                    sector=sector,
                    region=region,
                    status=rng.choices(
                        [
                            PartnerStatus.ACTIVE,
                            PartnerStatus.PAUSED,
                            PartnerStatus.INVITED,
                            PartnerStatus.ARCHIVED,
                        ],
                        weights=[90, 5, 3, 2],
                    )[0],
                    address_line_1=f"{rng.randint(1, 200)} High Street",
                    town=town,
                    postcode=postcode(region),
                    website=f"https://partner{n + 1:03d}.example.org",
                    description="We provide frontline services to the local population.",
                    max_visitors_per_week=rng.randint(3, 10) if rng.random() < 0.25 else None,
                    max_visitors_per_month=rng.randint(8, 30) if rng.random() < 0.15 else None,
                )
            )
        partners = Partner.objects.bulk_create(partners)
        blackouts = []
        for partner in partners:
            if rng.random() < 0.2:
                for _ in range(rng.randint(1, 2)):
                    first = today + datetime.timedelta(days=rng.randint(0, HORIZON_DAYS - 21))
                    blackouts.append(
                        PartnerBlackout(
                            partner=partner,
                            starts_on=first,
                            ends_on=first + datetime.timedelta(days=rng.randint(2, 20)),
                            reason=rng.choice(REASONS),
                        )
                    )
        PartnerBlackout.objects.bulk_create(blackouts)

        # Opportunities: every partner has at least one, the rest spread at random.
        owners = list(partners) + [
            rng.choice(partners) for _ in range(SCALE["opportunities"] - len(partners))
        ]
        rng.shuffle(owners)
        opportunities = []
        for n, partner in enumerate(owners):
            team = rng.choice(TEAMS)
            title = rng.choice(TITLE_FORMS).format(team=team)
            duration = rng.choices(
                [Duration.HALF_DAY, Duration.DAY, Duration.SEVERAL_DAYS], weights=[25, 60, 15]
            )[0]
            status = rng.choices(
                [OpportunityStatus.PUBLISHED, OpportunityStatus.DRAFT, OpportunityStatus.PAUSED, OpportunityStatus.CLOSED],
                weights=[85, 7, 4, 4],
            )[0]  # fmt: skip
            created = now - datetime.timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1440))
            remote = rng.random() < 0.08
            opportunities.append(
                Opportunity(
                    partner=partner,
                    title=f"{title} ({partner.town})" if rng.random() < 0.5 else title,
                    summary=f"See how the {team} at {partner.name} works day to day and what gets in its way.",
                    what_you_will_do=(
                        f"Join the {team} for the morning handover, shadow a senior practitioner, sit in on "
                        "a case review and talk to staff about the pressures they face this winter. "
                        "There is time at the end to discuss what national policy looks like from here."
                    ),
                    is_remote=remote,
                    site_address=""
                    if remote or rng.random() < 0.6
                    else f"Site {rng.randint(1, 9)}, {partner.town}",
                    site_postcode="" if remote or rng.random() < 0.7 else postcode(partner.region),
                    duration=duration,
                    vetting_level=rng.choices(
                        [
                            VettingLevel.NONE,
                            VettingLevel.BASIC_DBS,
                            VettingLevel.ENHANCED_DBS,
                            VettingLevel.POLICE_VETTING,
                        ],
                        weights=[50, 25, 20, 5],
                    )[0],  # fmt: skip
                    minimum_notice_working_days=rng.choice([0, 5, 10, 10, 10, 15, 20]),
                    host_name=f"Host {n + 1}",
                    host_email=f"host{n + 1}@partner.example.org",
                    status=status,
                    created_at=created,
                    published_at=(
                        created + datetime.timedelta(days=rng.randint(0, 20))
                        if status != OpportunityStatus.DRAFT
                        else None
                    ),
                )
            )
        opportunities = Opportunity.objects.bulk_create(opportunities)
        OpportunityProgrammes = Opportunity.programmes.through
        OpportunityAreas = Opportunity.policy_areas.through
        programmes_of: dict[int, list] = {}
        links, tags = [], []
        for opportunity in opportunities:
            chosen = rng.sample(programmes, k=rng.choices([1, 2], weights=[70, 30])[0])
            programmes_of[opportunity.pk] = chosen
            links += [OpportunityProgrammes(opportunity=opportunity, programme=p) for p in chosen]
            tags += [
                OpportunityAreas(opportunity=opportunity, theme=theme)
                for theme in rng.sample(themes, k=rng.randint(1, 4))
            ]
        OpportunityProgrammes.objects.bulk_create(links)
        OpportunityAreas.objects.bulk_create(tags)

        # Slots: about 25 per opportunity, on weekdays in the next six months, never overlapping.
        # The detail-page case gets exactly DETAIL_SLOTS of them.
        detail = next(
            o
            for o in opportunities
            if o.status == OpportunityStatus.PUBLISHED
            and o.partner.status == PartnerStatus.ACTIVE
            and o.duration == Duration.DAY
            and o.partner.max_visitors_per_week is not None
            and not o.is_remote
        )
        weights = {o.pk: rng.uniform(0.2, 1.8) for o in opportunities}
        scale = SCALE["slots"] / sum(weights.values())
        counts = {pk: max(1, min(45, round(w * scale))) for pk, w in weights.items()}
        counts[detail.pk] = DETAIL_SLOTS
        # Even out rounding so the total is the target.
        keys = [pk for pk in counts if pk != detail.pk]
        while (diff := SCALE["slots"] - sum(counts.values())) != 0:
            pk = rng.choice(keys)
            if diff > 0 and counts[pk] < 45:
                counts[pk] += 1
            elif diff < 0 and counts[pk] > 1:
                counts[pk] -= 1
        days = [today + datetime.timedelta(days=d) for d in range(1, HORIZON_DAYS + 1)]
        weekdays = [d for d in days if d.weekday() < 5]
        pairs_start = [d for d in days if d.weekday() in (0, 2)]  # Mon-Tue, Wed-Thu two-day visits
        slots = []
        for opportunity in opportunities:
            count = counts[opportunity.pk]
            if opportunity.duration == Duration.SEVERAL_DAYS:
                chosen_days = sorted(rng.sample(pairs_start, k=min(count, len(pairs_start))))
            else:
                chosen_days = sorted(rng.sample(weekdays, k=count))
            for day in chosen_days:
                if opportunity.duration == Duration.HALF_DAY and rng.random() < 0.5:
                    start, end = _local(day, 9), _local(day, 12, 30)
                elif opportunity.duration == Duration.HALF_DAY:
                    start, end = _local(day, 13, 30), _local(day, 17)
                elif opportunity.duration == Duration.SEVERAL_DAYS:
                    start, end = _local(day, 9), _local(day + datetime.timedelta(days=1), 17)
                else:
                    start, end = _local(day, 9), _local(day, 17)
                slots.append(
                    Slot(
                        opportunity=opportunity,
                        starts_at=start,
                        ends_at=end,
                        capacity=rng.choice([1, 2, 2, 3, 4, 4, 4, 5, 6, 8]),
                        created_at=now - datetime.timedelta(days=rng.randint(1, 60)),
                    )
                )

        # Places held: nearer dates are fuller; never beyond a partner's weekly or monthly cap
        # (booking_request refuses those), so some weeks are exactly full.
        partner_of = {o.pk: o.partner for o in opportunities}
        week_taken: dict[tuple, int] = {}
        month_taken: dict[tuple, int] = {}
        slots.sort(key=lambda s: s.starts_at)
        for slot in slots:
            partner = partner_of[slot.opportunity_id]
            local_day = timezone.localdate(slot.starts_at)
            week = (partner.pk, local_day.isocalendar()[:2])
            month = (partner.pk, local_day.year, local_day.month)
            ahead = (local_day - today).days
            chance = 0.52 - 0.38 * ahead / HORIZON_DAYS  # about 50% next week, 15% in six months
            held = sum(rng.random() < chance for _ in range(slot.capacity))
            if partner.max_visitors_per_week is not None:
                held = min(held, partner.max_visitors_per_week - week_taken.get(week, 0))
            if partner.max_visitors_per_month is not None:
                held = min(held, partner.max_visitors_per_month - month_taken.get(month, 0))
            slot.places_held = max(held, 0)
            week_taken[week] = week_taken.get(week, 0) + slot.places_held
            month_taken[month] = month_taken.get(month, 0) + slot.places_held
        slots = Slot.objects.bulk_create(slots, batch_size=5_000)

        # A booking for each place held, by people enrolled in one of the opportunity's programmes.
        bookings = []
        for slot in slots:
            if not slot.places_held:
                continue
            programme = rng.choice(programmes_of[slot.opportunity_id])
            for person in rng.sample(enrolled_in[programme.pk], k=slot.places_held):
                bookings.append(
                    Booking(
                        slot=slot,
                        participant=person,
                        programme=programme,
                        status=rng.choices(
                            [BookingStatus.REQUESTED, BookingStatus.CONFIRMED], weights=[35, 65]
                        )[0],
                        created_at=now - datetime.timedelta(days=rng.randint(0, 30)),
                    )
                )
        Booking.objects.bulk_create(bookings, batch_size=5_000)

        # Interests for the first 500 participants; 60% give a base postcode.
        by_email = {p.email: p for p in participants}
        sectors = list(SECTOR_WEIGHTS)
        interests = []
        for person in participants[: SCALE["with_interests"]]:
            has_postcode = rng.random() < 0.6
            if person.email == P_POSTCODE:
                has_postcode = True
            elif person.email == P_NO_POSTCODE:
                has_postcode = False
            interests.append(
                ParticipantInterests(
                    participant=person,
                    sectors=rng.sample(sectors, k=rng.randint(0, 3)),
                    base_postcode=postcode("london" if rng.random() < 0.4 else _weighted(rng, REGION_WEIGHTS))
                    if has_postcode
                    else "",
                    learning_objective="Understand how discharge delays build up across health and care.",
                )
            )
        interests = ParticipantInterests.objects.bulk_create(interests)
        InterestAreas = ParticipantInterests.policy_areas.through
        InterestAreas.objects.bulk_create(
            [
                InterestAreas(participantinterests=item, theme=theme)
                for item in interests
                for theme in rng.sample(themes, k=rng.randint(1, 4))
            ]
        )
        # The measured participants' interests, fixed so runs compare: two areas and two sectors.
        for email in (P_POSTCODE, P_NO_POSTCODE):
            item = next(i for i in interests if i.participant_id == by_email[email].pk)
            item.sectors = ["acute_nhs_trust", "care_home"]
            item.save(update_fields=["sectors"])
            item.policy_areas.set(
                Theme.objects.filter(slug__in=["hospital-discharge-and-patient-flow", "adult-social-care"])
            )

    with connection.cursor() as cursor:
        # Statistics and the visibility map as autovacuum would leave them on a live database.
        cursor.execute("VACUUM (ANALYZE)")
    total_places = sum(s.capacity for s in slots)
    return {
        "programmes": len(programmes),
        "partners": len(partners),
        "partners_with_weekly_cap": sum(p.max_visitors_per_week is not None for p in partners),
        "partners_with_monthly_cap": sum(p.max_visitors_per_month is not None for p in partners),
        "blackouts": len(blackouts),
        "opportunities": len(opportunities),
        "published": sum(o.status == OpportunityStatus.PUBLISHED for o in opportunities),
        "policy_area_tags": len(tags),
        "slots": len(slots),
        "places": total_places,
        "places_held": sum(s.places_held for s in slots),
        "bookings": len(bookings),
        "participants": len(participants),
        "enrolments": len(enrolments),
        "with_interests": len(interests),
    }


def dataset_summary() -> dict:
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from connecting.accounts.models import User
    from partners.models import Partner, PartnerBlackout, PartnerStatus
    from placements.models import Booking, Opportunity, OpportunityStatus, ParticipantInterests, Slot

    slots = Slot.objects.aggregate(
        n=Count("pk"),
        places=Sum("capacity"),
        held=Sum("places_held"),
        future=Count("pk", filter=Q(starts_at__gt=timezone.now())),
    )
    visible = Opportunity.objects.filter(
        status=OpportunityStatus.PUBLISHED, partner__status=PartnerStatus.ACTIVE
    )
    return {
        "partners": Partner.objects.count(),
        "partners_with_weekly_cap": Partner.objects.filter(max_visitors_per_week__isnull=False).count(),
        "partners_with_monthly_cap": Partner.objects.filter(max_visitors_per_month__isnull=False).count(),
        "blackouts": PartnerBlackout.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "published": Opportunity.objects.filter(status=OpportunityStatus.PUBLISHED).count(),
        "visible_to_participants": visible.count(),
        "slots": slots["n"],
        "future_slots": slots["future"],
        "places": slots["places"],
        "places_held": slots["held"],
        "held_share": round(slots["held"] / slots["places"], 3) if slots["places"] else 0,
        "bookings": Booking.objects.count(),
        "participants": User.objects.filter(role="participant").count(),
        "with_interests": ParticipantInterests.objects.count(),
    }


# --- Measuring ----------------------------------------------------------------------------------------


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


CASE_BUDGET_SECONDS = 35


def measure(label: str, fn, *, reps: int, warmup: int = 2) -> dict:
    """Median and p95 wall time of `fn` over `reps` calls, and the queries of one more call.

    A case slower than CASE_BUDGET_SECONDS / reps a call gets fewer repetitions (never under 5), so
    the whole run stays within about ten minutes however slow the code is; the table says how many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = time.perf_counter()
    for _ in range(warmup):
        fn()
    per_call = (time.perf_counter() - start) / warmup
    reps = min(reps, max(5, int(CASE_BUDGET_SECONDS / per_call)))
    with CaptureQueriesContext(connection) as captured:
        detail = fn()
    queries = captured.captured_queries
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    result = {
        "case": label,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": _p95(times) * 1000,
        "queries": len(queries),
        "reps": reps,
        "detail": detail,
        "slowest_query_ms": float(slowest["time"]) * 1000 if slowest else 0.0,
        "slowest_sql": slowest["sql"] if slowest else "",
    }
    print(
        f"  {label:<58} median {result['median_ms']:8.1f} ms  p95 {result['p95_ms']:8.1f} ms  "
        f"{result['queries']:3d} queries  n={reps}  {detail}",
        flush=True,
    )
    return result


def peak_memory(fn) -> float:
    """Peak Python heap allocated while `fn` runs, in MiB (tracemalloc; C allocations not counted)."""
    fn()  # warm caches (postcode table, templates, translations) so they are not counted
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1024 * 1024)


def run(reps: int, http_reps: int, explain: bool) -> None:
    from django.conf import settings
    from django.core.paginator import Paginator
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from connecting.accounts.models import User
    from partners.models import PartnerStatus
    from placements.models import Opportunity, OpportunityStatus
    from placements.selectors.availability import slot_availability_list
    from placements.selectors.browse import (
        BrowseFilters,
        Sort,
        opportunity_browse_list,
        opportunity_recommendations_for,
    )
    from placements.selectors.opportunities import opportunity_get_for_user

    participant = User.objects.get(email=P_POSTCODE)
    narrow = User.objects.get(email=P_NO_POSTCODE)
    plain = User.objects.get(email=P_NO_INTERESTS)
    today = timezone.localdate()
    detail_opportunity = (
        Opportunity.objects.filter(status=OpportunityStatus.PUBLISHED, partner__status=PartnerStatus.ACTIVE)
        .filter(slots__starts_at__gt=timezone.now())
        .annotate(n=Count("slots"))
        .filter(n=DETAIL_SLOTS)
        .order_by("pk")
        .first()
    )

    def browse(filters: BrowseFilters, user=participant):
        def call():
            queryset = opportunity_browse_list(user=user, filters=filters, now=timezone.now())
            page = Paginator(queryset, PAGE_SIZE).get_page(1)
            rows = list(page.object_list)
            for opportunity in rows:  # what the card reads
                list(opportunity.policy_areas.all())
                list(opportunity.programmes.all())
            return f"{len(rows)} rows of {page.paginator.count}"

        return call

    results = []
    print(f"\nSelectors ({reps} repetitions each):")
    cases = [
        ("browse: no filters, page 1", BrowseFilters()),
        ("browse: sector + region", BrowseFilters(sector="acute_nhs_trust", region="london")),
        (
            "browse: date range + only free places",
            BrowseFilters(
                date_from=today + datetime.timedelta(days=14),
                date_to=today + datetime.timedelta(days=45),
                free_places_only=True,
            ),
        ),
        (f'browse: keywords q="{KEYWORDS}"', BrowseFilters(q=KEYWORDS)),
        ("browse: sort=newest", BrowseFilters(sort=Sort.NEWEST)),
    ]
    for label, filters in cases:
        results.append(measure(label, browse(filters), reps=reps))

    def recommend(user):
        def call():
            found = opportunity_recommendations_for(
                participant=user, limit=RECOMMENDATIONS_SHOWN, now=timezone.now()
            )
            return f"{len(found)} shown, scores {[r.score for r in found]}"

        return call

    results.append(
        measure("recommendations: areas + sectors + base postcode", recommend(participant), reps=reps)
    )
    results.append(measure("recommendations: areas + sectors, no postcode", recommend(narrow), reps=reps))

    opportunity = opportunity_get_for_user(opportunity_id=detail_opportunity.pk, user=participant)

    def availability():
        rows = slot_availability_list(opportunity=opportunity, participant=participant, now=timezone.now())
        return f"{len(rows)} slots, {sum(r.can_request for r in rows)} bookable"

    results.append(measure(f"detail: slot_availability_list ({DETAIL_SLOTS} slots)", availability, reps=reps))

    print(f"\nHTTP through django.test.Client, DEBUG={settings.DEBUG} ({http_reps} repetitions each):")
    clients = {}
    for user in (participant, plain):
        client = Client()
        client.force_login(user)
        clients[user.pk] = client

    def get(path: str, user=participant):
        def call():
            response = clients[user.pk].get(path)
            assert response.status_code == 200, (path, response.status_code)
            return f"{response.status_code}, {len(response.content) // 1024} KiB"

        return call

    query = KEYWORDS.replace(" ", "+")
    http_cases = [
        ("GET /find/ (with recommendations)", get("/find/")),
        ("GET /find/ (participant without interests)", get("/find/", plain)),
        (f"GET /find/?q={query}", get(f"/find/?q={query}")),
        (f"GET /find/{detail_opportunity.pk}/", get(f"/find/{detail_opportunity.pk}/")),
    ]
    for label, call in http_cases:
        results.append(measure(label, call, reps=http_reps))

    print("\nPeak Python memory (tracemalloc):")
    memory = {
        "recommendations: areas + sectors + base postcode": peak_memory(recommend(participant)),
        "recommendations: areas + sectors, no postcode": peak_memory(recommend(narrow)),
        "GET /find/ (with recommendations)": peak_memory(get("/find/")),
        f"GET /find/?q={query}": peak_memory(get(f"/find/?q={query}")),
    }
    for label, mib in memory.items():
        print(f"  {label:<58} {mib:6.1f} MiB")

    print("\nMarkdown:\n")
    print("| Case | n | Median (ms) | p95 (ms) | Queries | Slowest query (ms) | Result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['case']} | {r['reps']} | {r['median_ms']:.0f} | {r['p95_ms']:.0f} | {r['queries']} | "
            f"{r['slowest_query_ms']:.0f} | {r['detail']} |"
        )

    if explain:
        print("\nEXPLAIN ANALYZE of the slowest query of each case:")
        with connection.cursor() as cursor:
            for r in results:
                sql = r["slowest_sql"]
                if not sql or not sql.lstrip(" (").upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"\n### {r['case']} ({r['slowest_query_ms']:.1f} ms)\n{plan}")


def machine() -> None:
    import django
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'jit')"
        )
        pg_settings = ", ".join(f"{name}={setting}{unit or ''}" for name, setting, unit in cursor.fetchall())
    print(
        f"Machine: {cpu}, {cores} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg} ({pg_settings}); "
        f"database {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="wipe the benchmark data and build it again")
    parser.add_argument("--reps", type=int, default=30, help="repetitions per selector case (default 30)")
    parser.add_argument("--http-reps", type=int, default=30, help="repetitions per HTTP case (default 30)")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of each case's slowest query"
    )
    args = parser.parse_args()

    url = _configure_environment()
    _create_database_if_missing(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from placements.models import Programme

    call_command("migrate", verbosity=0)
    machine()

    marker = Programme.objects.filter(slug=BENCH_SLUG).first()
    rebuild = args.rebuild or marker is None
    if marker is not None and not args.rebuild and timezone.now() - marker.created_at > MAX_DATA_AGE:
        print(f"The dataset was built on {marker.created_at:%Y-%m-%d}, over a week ago: rebuilding.")
        rebuild = True
    if rebuild:
        start = time.perf_counter()
        dataset_wipe()
        dataset_build()
        print(f"Dataset built in {time.perf_counter() - start:.1f} s.")
    print("Dataset:", dataset_summary())
    run(args.reps, args.http_reps, args.explain)


if __name__ == "__main__":
    main()
