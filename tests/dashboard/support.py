"""What the dashboard tests share: visits on given London days, and the text of a PDF."""

import contextlib
import datetime
import re
import zlib
from html import unescape

from django.utils import timezone

from placements.models import Duration
from tests.factories import (
    BookingFactory,
    CohortFactory,
    DebriefFactory,
    EnrolmentFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerFeedbackFactory,
    ProgrammeFactory,
    SlotFactory,
)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """`hour` o'clock in London on `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def visit(
    *,
    programme,
    participant,
    day: datetime.date,
    partner=None,
    duration: str = Duration.DAY,
    last_day: datetime.date | None = None,
    status: str = "attended",
):
    """A booking of `participant` in `programme` for a slot at `partner` starting at 9:00 on London
    day `day` and ending at 17:00 on `last_day` (the same day unless given)."""
    opportunity = OpportunityFactory(
        partner=partner or PartnerFactory(), programmes=[programme], duration=duration
    )
    slot = SlotFactory(opportunity=opportunity, starts_at=at(day, 9), ends_at=at(last_day or day, 17))
    return BookingFactory(slot=slot, participant=participant, programme=programme, status=status)


def enrol(programme, participant, cohort=None):
    return EnrolmentFactory(programme=programme, participant=participant, cohort=cohort)


def known_visits() -> dict:
    """Five enrolled on "Connecting" (2 target days each); three of their visits count:

    Ada (Adult Social Care): a day at Northbridge on 3 March (debrief 2 days later, approved a
    day after that; host: 5, again yes, prepared yes) and half a day at St Clare's on 10 April.
    Ben (Adult Social Care): two days at Northbridge from 6 May (debrief 5 days later, waiting;
    host: 4, maybe, partly). Cat (Primary Care): missed a visit, and attended one in 2025. Dan
    (Primary Care): nothing. Eve (no directorate): a visit in another programme only.
    """
    programme = ProgrammeFactory(name="Connecting", target_days_per_participant=2)
    other = ProgrammeFactory(name="Other programme", target_days_per_participant=3)
    cohort = CohortFactory(programme=programme, name="Spring")
    northbridge = PartnerFactory(name="Northbridge", sector="acute_nhs_trust", region="north_west")
    st_clares = PartnerFactory(name="St Clare's", sector="hospice", region="london")
    police = PartnerFactory(name="Gwent Police", sector="police", region="wales")
    people = {
        name: ParticipantFactory(full_name=full, directorate=directorate)
        for name, full, directorate in (
            ("ada", "Ada Lovelace", "Adult Social Care"),
            ("ben", "Ben Okri", "Adult Social Care"),
            ("cat", "Cat Stevens", "Primary Care"),
            ("dan", "Dan Brown", "Primary Care"),
            ("eve", "Eve Arnold", ""),
        )
    }
    for name in ("ada", "cat"):
        enrol(programme, people[name], cohort=cohort)
    for name in ("ben", "dan", "eve"):
        enrol(programme, people[name])
    enrol(other, people["eve"])

    ada_day = visit(
        programme=programme, participant=people["ada"], day=datetime.date(2026, 3, 3), partner=northbridge
    )
    DebriefFactory(
        booking=ada_day,
        status="approved",
        consent="anonymised",
        submitted_at=at(datetime.date(2026, 3, 5), 12),
        reviewed_at=at(datetime.date(2026, 3, 6), 12),
    )
    PartnerFeedbackFactory(
        booking=ada_day, value_to_partner=5, would_host_again="yes", visitor_prepared="yes"
    )
    visit(
        programme=programme,
        participant=people["ada"],
        day=datetime.date(2026, 4, 10),
        partner=st_clares,
        duration=Duration.HALF_DAY,
    )
    ben_days = visit(
        programme=programme,
        participant=people["ben"],
        day=datetime.date(2026, 5, 6),
        last_day=datetime.date(2026, 5, 7),
        partner=northbridge,
    )
    DebriefFactory(booking=ben_days, status="submitted", submitted_at=at(datetime.date(2026, 5, 11), 20))
    PartnerFeedbackFactory(
        booking=ben_days, value_to_partner=4, would_host_again="maybe", visitor_prepared="partly"
    )
    visit(
        programme=programme,
        participant=people["cat"],
        day=datetime.date(2026, 3, 10),
        partner=st_clares,
        status="no_show",
    )
    visit(programme=programme, participant=people["cat"], day=datetime.date(2025, 12, 15), partner=st_clares)
    visit(programme=other, participant=people["eve"], day=datetime.date(2026, 3, 3), partner=police)
    return {"programme": programme, "other": other, "cohort": cohort, "people": people}


_STREAM = re.compile(rb"/Length (\d+)\s*>>\s*stream\r?\n", re.DOTALL)
_SHOWN = re.compile(rb"\((.*?)(?<!\\)\)\s*Tj")


def pdf_text(content: bytes) -> str:
    """The strings a PDF made by fpdf2 with a core font draws, in order, joined by single spaces
    so a wrapped sentence reads whole (no PDF library is installed: the page streams are deflated
    and their `(...) Tj` operands read)."""
    shown = []
    for match in _STREAM.finditer(content):
        stream = content[match.end() : match.end() + int(match.group(1))]
        with contextlib.suppress(zlib.error):
            stream = zlib.decompress(stream)
        for raw in _SHOWN.findall(stream):
            text = re.sub(rb"\\([()\\])", rb"\1", raw)
            shown.append(text.decode("latin-1"))
    return " ".join(" ".join(shown).split())


def page_text(html: str) -> str:
    """The words of a page, tags left out, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def svg_texts(html: str, chart_id: str) -> list[str]:
    """The texts drawn in the chart `chart_id`, in order, its title and description left out."""
    match = re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title[^"]*"[^>]*>(.*?)</svg>', html, re.DOTALL)
    assert match, f"no chart {chart_id}"
    return [unescape(t.strip()) for t in re.findall(r"<text[^>]*>(.*?)</text>", match.group(1), re.DOTALL)]


def table_rows(html: str, caption: str) -> list[tuple[str, ...]]:
    """The body rows of the table captioned `caption`, each cell's words."""
    for table in re.findall(r"<table.*?</table>", html, re.DOTALL):
        found = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.DOTALL)
        if found and page_text(found.group(1)) == caption:
            body = re.search(r"<tbody[^>]*>(.*?)</tbody>", table, re.DOTALL).group(1)
            return [
                tuple(
                    unescape(page_text(cell))
                    for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
                )
                for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
            ]
    raise AssertionError(f"no table captioned {caption!r}")


def tables_outside_a_scroll_box(html: str) -> int:
    """How many tables of the page are not the first thing in an `app-table-scroll` box, so
    would widen the whole page on a phone when wider than it."""
    boxed = re.findall(r'<div class="app-table-scroll"[^>]*>\s*<table', html)
    return html.count("<table") - len(boxed)
