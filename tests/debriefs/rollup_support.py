"""What the theme roll-up tests share: a debrief of a visit on a given London day, and the roll-up
tables read back as sorted tuples (whole contents, ids of the rows left out)."""

import datetime

import numpy as np
from django.utils import timezone

from debriefs.models import (
    EmergingTheme,
    RollupDebriefFact,
    RollupDebriefText,
    RollupWord,
    ThemeQuote,
    ThemeRollup,
)
from tests.factories import DebriefFactory, OpportunityFactory, PartnerFactory, PastVisitFactory, SlotFactory

NO_TEXT = {
    "what_i_saw": "",
    "what_i_learnt": "",
    "what_works": "",
    "what_does_not_work": "",
    "policy_implications": "",
}


def visit_at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def debrief_of_visit(
    *,
    programme,
    day: datetime.date | None = None,
    starts_at: datetime.datetime | None = None,
    partner=None,
    participant=None,
    status="submitted",
    consent="anonymised",
    themes=(),
    **texts,
):
    """A debrief, in `status`, of a visit on London day `day` (or at `starts_at`) to `partner` in
    `programme`, naming `themes`. Its free text is only what `texts` gives."""
    starts_at = starts_at or visit_at(day)
    partner = partner or PartnerFactory()
    opportunity = OpportunityFactory(partner=partner, programmes=[programme])
    slot = SlotFactory(
        opportunity=opportunity, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=6)
    )
    booking_fields = {"slot": slot, "programme": programme, "status": "attended"}
    if participant is not None:
        booking_fields["participant"] = participant
    debrief = DebriefFactory(
        booking=PastVisitFactory(**booking_fields), status=status, consent=consent, **{**NO_TEXT, **texts}
    )
    debrief.themes.set(themes)
    return debrief


def rollup_rows(kind: str | None = None) -> list[tuple]:
    rows = ThemeRollup.objects.order_by()
    if kind:
        rows = rows.filter(period_kind=kind)
    return sorted(
        rows.values_list(
            "programme_id",
            "period_kind",
            "period_start",
            "sector",
            "region",
            "directorate",
            "theme__name",
            "debrief_count",
            "cell_debrief_count",
            "share",
            "previous_count",
            "change",
        )
    )


def fact_texts() -> dict[int, tuple[tuple[str, ...], str]]:
    """Each fact's stored words, spelt out (ids differ between vocabularies), and quote, by debrief id."""
    vocabulary = dict(RollupWord.objects.values_list("pk", "word"))
    return {
        debrief_id: (tuple(vocabulary[int(i)] for i in np.frombuffer(bytes(words), dtype="<u4")), quote)
        for debrief_id, words, quote in RollupDebriefText.objects.values_list(
            "fact__debrief_id", "words", "quote"
        )
    }


def rollup_snapshot(*, texts: bool = False) -> dict[str, list[tuple]]:
    """Every roll-up table, whole: the facts with their themes and, with `texts`, what the
    roll-up keeps of the debriefs' texts too (digests, words and quote)."""
    fact_themes: dict[int, list[int]] = {}
    for debrief_id, theme_id in RollupDebriefFact.themes.through.objects.values_list(
        "rollupdebrieffact__debrief_id", "theme_id"
    ):
        fact_themes.setdefault(debrief_id, []).append(theme_id)
    columns = [
        "debrief_id",
        "debrief_updated_at",
        "status",
        "consent",
        "programme_id",
        "visited_on",
        "month_start",
        "quarter_start",
        "sector",
        "region",
        "directorate",
    ]
    kept = fact_texts() if texts else {}
    if texts:
        columns += ["text_digest", "author_digest", "quoted"]
    facts = [
        (*row, tuple(sorted(fact_themes.get(row[0], ()))), *([kept.get(row[0])] if texts else []))
        for row in RollupDebriefFact.objects.values_list(*columns)
    ]
    return {
        "facts": sorted(facts),
        "rollups": rollup_rows(),
        "quotes": sorted(
            ThemeQuote.objects.values_list(
                "programme_id", "period_kind", "period_start", "theme_id", "position", "debrief_id", "text"
            )
        ),
        "emerging": sorted(
            EmergingTheme.objects.values_list(
                "programme_id", "period_kind", "period_start", "phrase", "debrief_count", "score"
            )
        ),
    }
