"""Exports of debriefs and their actions, for the programme team: the rows, and the CSV download.

Consent decides what a row says about its author: the name and e-mail address only when the
author shared with their name; otherwise those cells are blank. Which debriefs are in an export at
all (team-only ones only when asked for) is the selector's job.

The row generators yield typed values (numbers, dates, text, None for nothing), so the same rows
make a CSV here and an XLSX in `connecting.reports.writers`, where dates stay dates. They read a
chunk of rows at a time, so a large export never sits in memory whole.

The CSV files open in Excel: UTF-8 with a byte-order mark, and any cell a spreadsheet would take
for a formula is prefixed with an apostrophe (`defuse`, which the XLSX writer applies too).
"""

import csv
import datetime
import itertools
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from debriefs.models import Debrief, DebriefAction, PolicyAction, SharingConsent

CHUNK_SIZE = 500
BOM = "\ufeff"
# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, as a cell that may still become one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """The text with an apostrophe in front when a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_cell(value) -> str:
    """One cell's text: dates as ISO dates, times of day to the minute in Europe/London, nothing
    as blank, a would-be formula defused with '."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    return defuse(str(value))


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A CSV download streamed row by row, with a byte-order mark first so Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield BOM + writer.writerow([csv_cell(cell) for cell in header])
        for row in rows:
            yield writer.writerow([csv_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _author(debrief: Debrief) -> tuple[str, str]:
    if debrief.consent != SharingConsent.NAMED:
        return "", ""
    participant = debrief.booking.participant
    return participant.full_name, participant.email


def _date(moment) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def _themes(debrief: Debrief) -> str:
    return "; ".join(theme.name for theme in debrief.themes.all())


DEBRIEF_HEADER = [
    gettext_lazy("Debrief ID"),
    gettext_lazy("Status"),
    gettext_lazy("Submitted"),
    gettext_lazy("Visit date"),
    gettext_lazy("Programme"),
    gettext_lazy("Cohort"),
    gettext_lazy("Partner"),
    gettext_lazy("Partner sector"),
    gettext_lazy("Opportunity"),
    gettext_lazy("Themes"),
    gettext_lazy("Tags"),
    gettext_lazy("Usefulness (1 to 5)"),
    gettext_lazy("Consent"),
    gettext_lazy("Author name"),
    gettext_lazy("Author e-mail address"),
    gettext_lazy("Reviewer"),
    gettext_lazy("What I saw"),
    gettext_lazy("What I learnt"),
    gettext_lazy("What surprised me"),
    gettext_lazy("What works"),
    gettext_lazy("What does not work"),
    gettext_lazy("Implications for policy"),
]


def debrief_rows(debriefs, *, chunk_size: int = CHUNK_SIZE) -> Iterator[list]:
    """One row per debrief of the export's queryset (see `debrief_export_rows`), in DEBRIEF_HEADER order."""
    for debrief in debriefs.iterator(chunk_size=chunk_size):
        booking = debrief.booking
        opportunity = booking.slot.opportunity
        name, email = _author(debrief)
        yield [
            debrief.pk,
            debrief.get_status_display(),
            _date(debrief.submitted_at),
            _date(booking.slot.starts_at),
            booking.programme.name,
            debrief.cohort_name,
            opportunity.partner.name,
            opportunity.partner.get_sector_display(),
            opportunity.title,
            _themes(debrief),
            "; ".join(debrief.tags),
            debrief.usefulness,
            debrief.get_consent_display(),
            name,
            email,
            str(debrief.reviewer) if debrief.reviewer else "",
            debrief.what_i_saw,
            debrief.what_i_learnt,
            debrief.what_surprised_me,
            debrief.what_works,
            debrief.what_does_not_work,
            debrief.policy_implications,
        ]


ACTION_HEADER = [
    gettext_lazy("Kind"),
    gettext_lazy("Debrief ID"),
    gettext_lazy("Action"),
    gettext_lazy("Owner"),
    gettext_lazy("Due date"),
    gettext_lazy("Status"),
    gettext_lazy("What we did"),
    gettext_lazy("Themes"),
    gettext_lazy("Consent"),
    gettext_lazy("Author name"),
    gettext_lazy("Author e-mail address"),
]


def _action_row(debrief: Debrief, kind: str, description: str, owner: str, due, status: str, outcome: str):
    name, email = _author(debrief)
    return [
        kind,
        debrief.pk,
        description,
        owner,
        due,
        status,
        outcome,
        _themes(debrief),
        debrief.get_consent_display(),
        name,
        email,
    ]


def action_rows(participant_actions, policy_actions, *, chunk_size: int = CHUNK_SIZE) -> Iterator[list]:
    """The participants' own actions, then the policy follow-ups, in ACTION_HEADER order."""
    own: Iterator[DebriefAction] = participant_actions.iterator(chunk_size=chunk_size)
    follow_ups: Iterator[PolicyAction] = policy_actions.iterator(chunk_size=chunk_size)
    kind_own, kind_follow_up = _("participant action"), _("policy follow-up")
    return itertools.chain(
        (_action_row(a.debrief, kind_own, a.description, a.owner, a.due_on, "", "") for a in own),
        (
            _action_row(
                a.debrief,
                kind_follow_up,
                a.description,
                str(a.owner),
                None,
                a.get_status_display(),
                a.outcome,
            )
            for a in follow_ups
        ),
    )
