"""Reads for finding an opportunity: the filtered, searchable, sortable list, and recommendations.

Everything starts from `opportunity_list_for_user`, so a participant only ever sees published
opportunities of active partners, whatever the filters say.
"""

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from connecting.accounts.roles import is_participant, is_programme_team
from connecting.postcodes import postcode_distance_km, postcode_district
from partners.models import Sector
from placements.models import Opportunity, ParticipantInterests, Programme, Slot, Theme
from placements.selectors.availability import slot_bookable_filter
from placements.selectors.opportunities import (
    OPPORTUNITY_FINGERPRINT_FIELDS,
    opportunities_fingerprint,
    opportunity_list_for_user,
)


class Sort:
    SOONEST = "soonest"
    NEWEST = "newest"
    RELEVANCE = "relevance"


@dataclass(frozen=True)
class BrowseFilters:
    """What the browse form asks for; an empty value means "any"."""

    q: str = ""
    programme: Programme | None = None
    sector: str = ""
    region: str = ""
    policy_area: Theme | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    duration: str = ""
    free_places_only: bool = False
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        """Relevance only means something with keywords; it is the default then, soonest otherwise."""
        if self.sort == Sort.RELEVANCE and not self.q:
            return Sort.SOONEST
        return self.sort or (Sort.RELEVANCE if self.q else Sort.SOONEST)


# --- Keyword search -----------------------------------------------------------------------------

# More words than this add nothing to a search but cost a join-free LIKE each on the fallback.
MAX_SEARCH_WORDS = 10


# A "quoted phrase" or a run of non-spaces, either with a leading minus to leave it out.
_SEARCH_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


@dataclass(frozen=True)
class SearchTerms:
    wanted: list[str]
    unwanted: list[str]


def search_terms(q: str) -> SearchTerms:
    """The fallback's reading of web-search syntax, as PostgreSQL's websearch_to_tsquery reads it
    where it can: "a phrase" is one term, -word (or -"a phrase") leaves out what contains it, and
    "or" is dropped (every other term must appear). Distinct, in order, at most MAX_SEARCH_WORDS
    in all; stray quotes and a lone minus are ignored."""
    wanted: list[str] = []
    unwanted: list[str] = []
    seen: set[str] = set()
    for match in _SEARCH_TERM.finditer(q):
        minus = match.group(1) or match.group(3)
        term = " ".join((match.group(2) if match.group(2) is not None else match.group(4)).split()).strip('"')
        if not term or term.casefold() == "or" or term == "-" or term.casefold() in seen:
            continue
        seen.add(term.casefold())
        (unwanted if minus else wanted).append(term)
    total = MAX_SEARCH_WORDS
    wanted = wanted[:total]
    return SearchTerms(wanted=wanted, unwanted=unwanted[: total - len(wanted)])


def opportunity_search_postgres(*, queryset: QuerySet[Opportunity], q: str) -> QuerySet[Opportunity]:
    """PostgreSQL full-text search: title weighs most, then summary and policy areas, then the rest
    (what you will do, partner name, site address, partner's town); annotates `rank`.

    websearch syntax ("discharge team" -nights, or) is accepted and never raises on odd input.
    Matches and ranks the stored `search_document` (kept up to date by triggers), so nothing is
    parsed per row at query time.
    """
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = SearchQuery(q, search_type="websearch", config="english")
    return queryset.filter(search_document=query).annotate(rank=SearchRank(F("search_document"), query))


def opportunity_search_fallback(*, queryset: QuerySet[Opportunity], q: str) -> QuerySet[Opportunity]:
    """Search for databases without full-text search (SQLite): every term (`search_terms`) must
    appear somewhere in the title, summary, what you will do, partner name, site address, partner's
    town or the name of one of its policy areas, and no left-out term may. `rank` counts the words found in the title, so title matches still come
    first. Policy areas are matched with EXISTS, so an opportunity is never listed twice."""
    terms = search_terms(q)
    words = terms.wanted
    if not words and not terms.unwanted:
        return queryset.annotate(rank=Value(0, output_field=IntegerField()))
    tags = Opportunity.policy_areas.through.objects.filter(opportunity_id=OuterRef("pk"))

    def anywhere(word: str) -> Q:
        return (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(what_you_will_do__icontains=word)
            | Q(partner__name__icontains=word)
            | Q(site_address__icontains=word)
            | Q(partner__town__icontains=word)
            | Q(Exists(tags.filter(theme__name__icontains=word)))
        )

    for word in words:
        queryset = queryset.filter(anywhere(word))
    for word in terms.unwanted:
        queryset = queryset.exclude(anywhere(word))
    rank = sum(
        (
            Case(When(title__icontains=word, then=Value(1)), default=Value(0), output_field=IntegerField())
            for word in words
        ),
        start=Value(0, output_field=IntegerField()),
    )
    return queryset.annotate(rank=rank)


def opportunity_search(*, queryset: QuerySet[Opportunity], q: str) -> QuerySet[Opportunity]:
    if connection.vendor == "postgresql":
        return opportunity_search_postgres(queryset=queryset, q=q)
    return opportunity_search_fallback(queryset=queryset, q=q)


# --- The list -----------------------------------------------------------------------------------


def opportunity_availability(
    *, ids: list[int], bookable: Q, date_from=None, date_to=None
) -> dict[int, tuple[datetime.datetime, int, bool]]:
    """{opportunity id: (start of its soonest bookable slot, places left across its bookable
    slots, whether one of them falls in date_from..date_to)} for those of `ids` with a bookable
    slot: one grouped pass over the slots, whatever the number of opportunities. The ids go in
    as a list (PostgreSQL hashes it) rather than a subquery, which the planner would join slot by
    slot."""
    if not ids:
        return {}
    in_range = Q()
    if date_from:
        in_range &= Q(starts_at__date__gte=date_from)
    if date_to:
        in_range &= Q(starts_at__date__lte=date_to)
    rows = (
        Slot.objects.filter(bookable, opportunity_id__in=ids)
        .order_by()
        .values("opportunity")
        .annotate(
            next_free=Min("starts_at"),
            free=Sum(F("capacity") - F("places_held")),
            in_range=Count("pk", filter=in_range) if in_range else Value(1),
        )
        .values_list("opportunity", "next_free", "free", "in_range")
    )
    return {pk: (next_free, free, bool(hits)) for pk, next_free, free, hits in rows}


class _Match(NamedTuple):
    """One opportunity that matches the filters: what sorting needs, and what the bookable filter
    needs to read only the caps and notice dates of the matches."""

    pk: int
    title: str
    published_at: datetime.datetime | None
    partner_id: int
    partner__max_visitors_per_week: int | None
    partner__max_visitors_per_month: int | None
    minimum_notice_working_days: int
    partner__region: str
    rank: float


def _bookable_for(matches: Sequence, *, now: datetime.datetime, participant) -> Q:
    """`slot_bookable_filter` for the slots of these opportunities only: it reads the full weeks
    and months of their capped partners alone (a partner with no cap has none) and works their
    notice dates out from the rows, rather than reading every capped partner's slots and every
    opportunity's notice."""
    return slot_bookable_filter(
        now=now,
        participant=participant,
        partners={
            match.partner_id
            for match in matches
            if match.partner__max_visitors_per_week is not None
            or match.partner__max_visitors_per_month is not None
        },
        notice_pairs={(match.minimum_notice_working_days, match.partner__region) for match in matches},
    )


class OpportunityResults(Sequence):
    """A sorted browse list that loads whole opportunities only for the slice asked for (the
    Paginator's page), with `next_free_slot` and `free_places` set on each. `availability` (see
    `opportunity_availability`) can be handed on to the recommendations of the same request; it is
    None when the sort did not need it, and then worked out for the slice alone."""

    def __init__(
        self,
        matches: list[_Match],
        queryset: QuerySet[Opportunity],
        *,
        availability: dict | None,
        now: datetime.datetime,
        participant,
    ):
        self._matches = matches
        self._queryset = queryset
        self._now = now
        self._participant = participant
        self.availability = availability

    def __len__(self) -> int:
        return len(self._matches)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        matches = self._matches[index]
        ids = [match.pk for match in matches]
        availability = self.availability
        if availability is None:
            bookable = _bookable_for(matches, now=self._now, participant=self._participant)
            availability = opportunity_availability(ids=ids, bookable=bookable)
        loaded = {opportunity.pk: opportunity for opportunity in self._queryset.filter(pk__in=ids)}
        page = []
        for pk in ids:
            opportunity = loaded[pk]
            opportunity.next_free_slot, opportunity.free_places, _in_range = availability.get(
                pk, (None, 0, False)
            )
            page.append(opportunity)
        return page

    def __iter__(self):
        return iter(self[:])


_LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC)

# What a result card shows (templates/placements/_opportunity_card.html) besides its policy
# areas, and no more: the long descriptions stay in the database.
_CARD_FIELDS = (
    "title",
    "summary",
    "is_remote",
    "duration",
    "status",
    "partner__name",
    "partner__status",
    "partner__sector",
    "partner__region",
    "partner__town",
)


def _newest_first(match: _Match):
    return (
        match.published_at is None,
        -(match.published_at.timestamp() if match.published_at else 0),
        -match.pk,
    )


def _browse_filtered(*, user, filters: BrowseFilters) -> QuerySet[Opportunity]:
    """The opportunities the user may see that match the filters on their own fields (not the
    keywords, dates or free places, which need more than a WHERE)."""
    opportunities = opportunity_list_for_user(user=user)
    if filters.programme is not None:
        opportunities = opportunities.filter(programmes=filters.programme)
    if filters.policy_area is not None:
        opportunities = opportunities.filter(policy_areas=filters.policy_area)
    if filters.sector:
        opportunities = opportunities.filter(partner__sector=filters.sector)
    if filters.region:
        opportunities = opportunities.filter(partner__region=filters.region)
    if filters.duration:
        opportunities = opportunities.filter(duration=filters.duration)
    return opportunities


# The matches' SQL by role and filters: the ORM compiles the same text every time (about 0.5 ms).
_MATCHES_SQL: dict = {}
_MATCHES_SQL_KEPT = 256


def _matches_sql(*, user, filters: BrowseFilters) -> tuple[str, tuple]:
    """The compiled query of the opportunities matching the filters and keywords, with
    OPPORTUNITY_FINGERPRINT_FIELDS. What a participant or the team may see depends on the
    role alone, so theirs is compiled once per process; anyone else's every time."""
    key = (user.role, filters) if is_participant(user) or is_programme_team(user) else None
    compiled = _MATCHES_SQL.get(key) if key is not None else None
    if compiled is None:
        matching = _browse_filtered(user=user, filters=filters)
        if filters.q:
            matching = opportunity_search(queryset=matching, q=filters.q)
        compiled = matching.order_by().values_list(*OPPORTUNITY_FINGERPRINT_FIELDS).query.sql_with_params()
        if key is not None:
            if len(_MATCHES_SQL) >= _MATCHES_SQL_KEPT:
                _MATCHES_SQL.clear()
            _MATCHES_SQL[key] = compiled
    return compiled


def opportunity_browse_fingerprint(*, user, filters: BrowseFilters, now: datetime.datetime) -> str:
    """`opportunities_fingerprint` of the opportunities matching the filters and keywords, for this
    user at `now` (`connecting.page_bodies`). The date filters, "free places only" and the sort
    work on those same rows, and are in the address the key is made with.

    Two queries: the matches, by the same query set the list is built from (planned each time:
    its keywords are then parsed once, not once a row); then the fingerprint of their rows. A
    match that appears between the two makes another key the next time, never a wrong body."""
    sql, params = _matches_sql(user=user, filters=filters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        matches = cursor.fetchall()
    participant = user if is_participant(user) else None
    return opportunities_fingerprint(opportunities=matches, participant=participant, now=now)


def opportunity_browse_list(
    *, user, filters: BrowseFilters, now: datetime.datetime | None = None
) -> OpportunityResults:
    """The opportunities the user may see that match the filters, with `next_free_slot` and
    `free_places` for the result cards, sorted as asked.

    "Free" means bookable (`placements.selectors.availability`): for a participant, also not a slot
    they have already asked for. The filters run in SQL and return ids (and rank); the soonest
    free place of every match comes from one grouped pass, which reads the caps and notice of the
    matches' partners alone; the sort happens here; only the page shown is loaded in full."""
    now = now or timezone.now()
    participant = user if is_participant(user) else None
    opportunities = _browse_filtered(user=user, filters=filters)
    full = opportunities.only(*_CARD_FIELDS).prefetch_related("policy_areas")
    if filters.q:
        opportunities = opportunity_search(queryset=opportunities, q=filters.q)
    else:
        opportunities = opportunities.annotate(rank=Value(0, output_field=IntegerField()))
    matches = [_Match(*row) for row in opportunities.values_list(*_Match._fields)]
    dated = bool(filters.date_from or filters.date_to)
    sort = filters.effective_sort
    if sort == Sort.NEWEST and not (dated or filters.free_places_only):
        # Nothing here needs the free places of every match: only the page's, worked out later.
        matches.sort(key=_newest_first)
        return OpportunityResults(matches, full, availability=None, now=now, participant=participant)
    availability = opportunity_availability(
        ids=[match.pk for match in matches],
        bookable=_bookable_for(matches, now=now, participant=participant),
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    if dated:
        matches = [match for match in matches if match.pk in availability and availability[match.pk][2]]
    elif filters.free_places_only:
        matches = [match for match in matches if match.pk in availability]

    def soonest(match: _Match):
        free = availability.get(match.pk)
        return (free is None, free[0] if free else _LATEST, match.title, match.pk)

    if sort == Sort.NEWEST:
        matches.sort(key=_newest_first)
    elif sort == Sort.RELEVANCE:
        matches.sort(key=lambda match: (-match.rank, *soonest(match)))
    else:
        matches.sort(key=soonest)
    return OpportunityResults(matches, full, availability=availability, now=now, participant=participant)


# --- Recommended for you ------------------------------------------------------------------------

POINTS_PER_POLICY_AREA = 3
POINTS_FOR_SECTOR = 2
# (within this many km, points): the first band that fits wins.
DISTANCE_BANDS_KM = ((25, 2), (80, 1))
SOON_DAYS = 30
POINTS_FOR_SOON = 1


@dataclass
class Recommendation:
    opportunity: Opportunity
    score: int
    reasons: list[str] = field(default_factory=list)


def participant_interests_get(*, participant) -> ParticipantInterests | None:
    return (
        ParticipantInterests.objects.filter(participant=participant).prefetch_related("policy_areas").first()
    )


def participant_interests_can_recommend(interests: ParticipantInterests | None) -> bool:
    """Recommendations need a policy area, a sector or a base postcode; a learning objective alone
    is not enough to match on."""
    return bool(
        interests and (interests.sectors or interests.base_postcode or list(interests.policy_areas.all()))
    )


def _distance_km(base_postcode: str, location_postcode: str, *, is_remote: bool) -> float | None:
    if not base_postcode or is_remote or not location_postcode:
        return None
    try:
        return postcode_distance_km(base_postcode, location_postcode)
    except ValidationError:  # a postcode stored before validation existed: no distance, no error
        return None


def _same_district(a: str, b: str) -> bool:
    try:
        return postcode_district(a) == postcode_district(b)
    except ValidationError:
        return False


def opportunity_recommendations_for(
    *, participant, limit: int = 5, now: datetime.datetime | None = None, availability: dict | None = None
) -> list[Recommendation]:
    """Up to `limit` opportunities with a place the participant can ask for (a bookable slot, see
    `placements.selectors.availability`) that match the participant's interests.

    Score: 3 per shared policy area, 2 if the partner is in one of their sectors, 2 within 25 km
    of their base (1 within 80 km; district to district; remote opportunities get none), and 1 for
    a bookable place in the next 30 days. Only opportunities that match at least one interest are
    offered: soonness alone is not a reason to recommend. Ties go to the soonest free place.
    """
    now = now or timezone.now()
    interests = participant_interests_get(participant=participant)
    if not participant_interests_can_recommend(interests):
        return []
    their_areas = {theme.pk: theme for theme in interests.policy_areas.all()}
    their_sectors = set(interests.sectors)

    # One light row per opportunity with a bookable place (no model instances, no prefetch per
    # row): with a base postcode every such opportunity is a candidate, so this list is as long
    # as the catalogue. Only the `limit` winners are then loaded in full.
    candidates = opportunity_list_for_user(user=participant)
    through = Opportunity.policy_areas.through.objects.filter(theme_id__in=their_areas)
    if not interests.base_postcode:
        # Narrow in the database what can be: with no base postcode, only an area or sector match scores.
        candidates = candidates.filter(
            Q(pk__in=through.values("opportunity_id")) | Q(partner__sector__in=their_sectors)
        )
    shared_areas: dict[int, list[str]] = {}
    for opportunity_id, theme_id in through.values_list("opportunity_id", "theme_id"):
        shared_areas.setdefault(opportunity_id, []).append(their_areas[theme_id].name)
    rows = list(
        candidates.values_list(
            "pk",
            "title",
            "partner__sector",
            "site_postcode",
            "partner__postcode",
            "is_remote",
            "partner_id",
            "minimum_notice_working_days",
            "partner__region",
        )
    )
    if availability is None:  # else handed on from the browse list of the same request
        bookable = slot_bookable_filter(
            now=now,
            participant=participant,
            partners={row[6] for row in rows},
            notice_pairs={(row[7], row[8]) for row in rows},
        )
        availability = opportunity_availability(ids=[row[0] for row in rows], bookable=bookable)

    # Score every candidate, but word the reasons only for the `limit` shown.
    soon = now + datetime.timedelta(days=SOON_DAYS)
    scored = []
    for pk, title, sector, site_postcode, partner_postcode, is_remote, *_facts in rows:
        if pk not in availability:
            continue
        next_free_slot = availability[pk][0]
        location = site_postcode or partner_postcode
        distance = _distance_km(interests.base_postcode, location, is_remote=is_remote)
        distance_points = next(
            (
                points
                for within_km, points in DISTANCE_BANDS_KM
                if distance is not None and distance <= within_km
            ),
            0,
        )
        score = (
            POINTS_PER_POLICY_AREA * len(shared_areas.get(pk, ()))
            + (POINTS_FOR_SECTOR if sector in their_sectors else 0)
            + distance_points
        )
        if not score:
            continue
        if next_free_slot <= soon:
            score += POINTS_FOR_SOON
        scored.append((-score, next_free_slot, title, pk, score, sector, location, distance_points, distance))

    scored.sort(key=lambda row: row[:4])
    scored = scored[:limit]
    chosen = {
        opportunity.pk: opportunity
        for opportunity in opportunity_list_for_user(user=participant)
        .filter(pk__in=[row[3] for row in scored])
        .prefetch_related("programmes", "policy_areas")
    }
    recommendations = []
    for _negated, next_free_slot, _title, pk, score, sector, location, distance_points, distance in scored:
        reasons = []
        shared = shared_areas.get(pk)
        if shared:
            reasons.append(
                _("Matches your interest in %(areas)s") % {"areas": get_text_list(sorted(shared), _("and"))}
            )
        if sector in their_sectors:
            reasons.append(_("%(sector)s, one of your sectors") % {"sector": Sector(sector).label})
        if distance_points:
            if _same_district(interests.base_postcode, location):
                reasons.append(_("In the same postcode district as your base"))
            else:
                reasons.append(_("About %(km)d km from your base") % {"km": round(distance)})
        if next_free_slot <= soon:
            reasons.append(_("A free place in the next %(days)d days") % {"days": SOON_DAYS})
        opportunity = chosen[pk]
        opportunity.next_free_slot = next_free_slot
        recommendations.append(Recommendation(opportunity=opportunity, score=score, reasons=reasons))
    return recommendations
