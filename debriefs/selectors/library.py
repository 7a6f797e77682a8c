"""Reads for the learning library (published insights) and the partners' "You said, we did" page.

Everything the library shows starts from `insight_list_for_user`, so a partner contact only ever
sees insights about their own organisations, whatever the filters or the URL say.
"""

import datetime
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404

from connecting.accounts.roles import is_participant, is_partner_contact, is_programme_team
from connecting.page_bodies import row_version
from debriefs.models import (
    SHAREABLE_CONSENTS,
    Debrief,
    DebriefStatus,
    Insight,
    PolicyAction,
    PolicyActionStatus,
)
from partners.models import Partner
from placements.models import Programme, Theme
from placements.selectors.browse import search_terms


@dataclass(frozen=True)
class LibraryFilters:
    """What the library's filter form asks for; an empty value means "any"."""

    q: str = ""
    theme: Theme | None = None
    sector: str = ""
    region: str = ""
    programme: Programme | None = None
    visited_from: datetime.date | None = None
    visited_to: datetime.date | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _partners_of(user) -> QuerySet[Partner]:
    return Partner.objects.filter(memberships__user=user)


def insight_list_for_user(*, user) -> QuerySet[Insight]:
    """Every insight the person may read, newest first: all of them for participants and the
    programme team, those about their own organisations for a partner contact, none for anyone
    else. Each carries its partner, programme and themes."""
    insights = (
        Insight.objects.select_related("partner", "programme")
        .prefetch_related("themes")
        .order_by("-published_at", "-pk")
    )
    if is_participant(user) or is_programme_team(user):
        return insights
    if is_partner_contact(user):
        return insights.filter(partner__in=_partners_of(user))
    return insights.none()


def insight_get_for_user(*, insight_id: int, user) -> Insight:
    """The one door from a URL to an insight: one the user may not read answers 404."""
    insight = insight_list_for_user(user=user).filter(pk=insight_id).first()
    if insight is None:
        raise Http404("No such insight.")
    return insight


# --- Keyword search -----------------------------------------------------------------------------


class RankedInsights(Sequence):
    """Keyword-search results on PostgreSQL, best match first, for the Paginator: `ranked` finds
    and ranks the matches by their ids alone, and only the slice asked for (a page) is loaded in
    full from `queryset`, with its partner, programme and themes; each carries its `rank`.

    Ranking the full rows would join every match to its partner and programme before keeping a
    page of them: a common word matches a quarter of the library.

    The match count and each page's ids and ranks are kept in the cache for
    LIBRARY_SEARCH_CACHE_SECONDS, keyed by the ranking query's SQL and parameters (so by the
    words, the filters and the reader's scope). Ranking 17,000 matches of a common word takes
    ~20 ms of SQL, repeated by everyone who searches for it. The rows themselves are read afresh
    every time, so an edit shows at once and a withdrawn insight drops out; only a newly
    published insight can take that long to appear in a search."""

    def __init__(self, ranked: QuerySet[Insight], queryset: QuerySet[Insight]):
        self._ranked = ranked
        self._queryset = queryset
        self._count: int | None = None
        self._digest: str | None = None

    def _cached(self, part: str, compute: Callable):
        seconds = settings.LIBRARY_SEARCH_CACHE_SECONDS
        if seconds <= 0:
            return compute()
        if self._digest is None:  # compiled once for the count and the page
            sql, params = self._ranked.query.sql_with_params()
            self._digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
        key = f"library-search:{self._digest}:{part}"
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, timeout=seconds)
        return value

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._cached("count", self._ranked.count)
        return self._count

    def _ranks(self, index: slice) -> dict[int, float]:
        return dict(
            self._cached(
                f"{index.start}:{index.stop}:{index.step}",
                lambda: list(self._ranked.values_list("pk", "rank")[index]),
            )
        )

    def ids(self, start: int, stop: int) -> list[int]:
        """The ids of a page, best match first, without reading the rows."""
        return list(self._ranks(slice(start, stop)))

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1 or None][0]
        ranks = self._ranks(index)
        loaded = {insight.pk: insight for insight in self._queryset.filter(pk__in=ranks)}
        page = []
        for pk, rank in ranks.items():
            if pk in loaded:  # else withdrawn since it was ranked
                loaded[pk].rank = rank
                page.append(loaded[pk])
        return page

    def __iter__(self):
        return iter(self[:])


def insight_search_postgres(*, queryset: QuerySet[Insight], q: str) -> RankedInsights:
    """PostgreSQL full-text search, best match first: the title weighs most, then the text, then
    the theme names. websearch syntax ("care home" -agency, or) never raises on odd input.

    Matches and ranks the stored `search_document` (kept up to date by triggers): the GIN index
    finds the matches and nothing is parsed per row at query time."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = SearchQuery(q, search_type="websearch", config="english")
    ranked = (
        queryset.filter(search_document=query)
        .annotate(rank=SearchRank(F("search_document"), query))
        .order_by("-rank", "-published_at", "-pk")
    )
    return RankedInsights(ranked, queryset)


def insight_search_fallback(*, queryset: QuerySet[Insight], q: str) -> QuerySet[Insight]:
    """Search for databases without full-text search (SQLite): every term (`search_terms`: words,
    "phrases", -left-out) must appear in the title, the text or a theme's name, and no left-out one. Insights with more of the words in their title come first."""
    terms = search_terms(q)
    words = terms.wanted
    themes = Insight.themes.through.objects.filter(insight_id=OuterRef("pk"))

    def anywhere(word: str) -> Q:
        return (
            Q(title__icontains=word)
            | Q(body__icontains=word)
            | Exists(themes.filter(theme__name__icontains=word))
        )

    for word in words:
        queryset = queryset.filter(anywhere(word))
    for word in terms.unwanted:
        queryset = queryset.exclude(anywhere(word))
    in_title = [
        Case(When(title__icontains=word, then=1), default=0, output_field=IntegerField()) for word in words
    ]
    rank = sum(in_title, start=Value(0, output_field=IntegerField()))
    return queryset.annotate(rank=rank).order_by("-rank", "-published_at", "-pk")


def insight_search(*, queryset: QuerySet[Insight], q: str) -> QuerySet[Insight] | RankedInsights:
    if connection.vendor == "postgresql":
        return insight_search_postgres(queryset=queryset, q=q)
    return insight_search_fallback(queryset=queryset, q=q)


def insight_list_filtered(*, user, filters: LibraryFilters) -> QuerySet[Insight] | RankedInsights:
    """The insights the user may read that match the filters: newest first, or best match first
    when there are keywords (on PostgreSQL a `RankedInsights`, which the Paginator takes as well)."""
    insights = insight_list_for_user(user=user)
    if filters.theme is not None:
        insights = insights.filter(themes=filters.theme)
    if filters.sector:
        insights = insights.filter(sector=filters.sector)
    if filters.region:
        insights = insights.filter(region=filters.region)
    if filters.programme is not None:
        insights = insights.filter(programme=filters.programme)
    if filters.visited_from:
        insights = insights.filter(visited_on__gte=filters.visited_from)
    if filters.visited_to:
        insights = insights.filter(visited_on__lte=filters.visited_to)
    if filters.q:
        insights = insight_search(queryset=insights, q=filters.q)
    return insights


def insight_page_ids(insights: QuerySet[Insight] | RankedInsights, start: int, stop: int) -> list[int]:
    """The ids of the insights `insights[start:stop]` holds, in order, without reading the rows."""
    if isinstance(insights, RankedInsights):
        return insights.ids(start, stop)
    return list(insights.values_list("pk", flat=True)[start:stop])


def insight_page_fingerprint(ids: Sequence[int]) -> str:
    """A digest of every row a page of library cards shows (`connecting.page_bodies`): each
    insight with its partner, programme and themes."""
    tables = {
        "insight": Insight._meta.db_table,
        "partner": Partner._meta.db_table,
        "programme": Programme._meta.db_table,
        "theme": Theme._meta.db_table,
        "insight_themes": Insight.themes.through._meta.db_table,
    }
    v = row_version
    sql = f"""
        SELECT md5(coalesce(string_agg(concat_ws(';', i.id || {v("i")}, {v("p")}, {v("g")},
            (SELECT string_agg(t.id || {v("t")}, ',' ORDER BY t.id) FROM {tables["theme"]} t
               JOIN {tables["insight_themes"]} it ON it.theme_id = t.id WHERE it.insight_id = i.id)
        ), ',' ORDER BY i.id), ''))
        FROM {tables["insight"]} i
        LEFT JOIN {tables["partner"]} p ON p.id = i.partner_id
        LEFT JOIN {tables["programme"]} g ON g.id = i.programme_id
        WHERE i.id = ANY(%s)
    """  # noqa: S608 - table names from the models; the ids are a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(ids)])
        return cursor.fetchone()[0]


# --- You said, we did ----------------------------------------------------------------------------


@dataclass(frozen=True)
class YouSaidWeDid:
    """What came of the visits one partner hosted, with nothing that names a participant and no
    debrief text: how many debriefs count, their themes (each with a `debrief_count`, most first),
    the policy actions done ("what we did", newest first) and those still under way."""

    partner: Partner
    debriefs: int
    themes: list[Theme]
    done: list[PolicyAction]
    in_progress: list[PolicyAction]


def you_said_we_did_partners_for_user(*, user) -> QuerySet[Partner]:
    """The partners whose page the person may see: any for the programme team, their own for a
    partner contact, none for anyone else."""
    if is_programme_team(user):
        return Partner.objects.order_by("name", "pk")
    if is_partner_contact(user):
        return _partners_of(user).order_by("name", "pk")
    return Partner.objects.none()


def _debriefs_counted(partner: Partner) -> QuerySet[Debrief]:
    """The debriefs of the partner's visits the author agreed to share and the team approved: a
    debrief for the programme team only, or one not yet approved, contributes nothing."""
    return Debrief.objects.filter(
        booking__slot__opportunity__partner=partner,
        consent__in=SHAREABLE_CONSENTS,
        status__in=(DebriefStatus.APPROVED, DebriefStatus.PUBLISHED),
    )


def you_said_we_did_for_partner(*, partner: Partner) -> YouSaidWeDid:
    counted = _debriefs_counted(partner)
    # Filtering before annotating makes the count cover the counted debriefs only.
    themes = (
        Theme.objects.filter(debriefs__in=counted)
        .annotate(debrief_count=Count("debriefs"))
        .order_by("-debrief_count", "name", "pk")
    )
    actions = PolicyAction.objects.filter(debrief__in=counted)
    done = actions.filter(status=PolicyActionStatus.DONE).order_by("-done_at", "-pk")
    in_progress = actions.exclude(status=PolicyActionStatus.DONE).order_by("-created_at", "-pk")
    return YouSaidWeDid(
        partner=partner,
        debriefs=counted.count(),
        themes=list(themes),
        done=list(done),
        in_progress=list(in_progress),
    )
