"""What the export tests share: visits at fixed London times, and reading exports back."""

import csv
import datetime
import io
import zoneinfo

from openpyxl import load_workbook

from tests.factories import OpportunityFactory, PastVisitFactory, SlotFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def london(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def visit(
    *,
    partner,
    programme,
    day: datetime.date,
    hours=(9, 17),
    participant=None,
    status="attended",
    opportunity=None,
    capacity=4,
    starts_at=None,
    ends_at=None,
    **fields,
):
    """A booking of `participant` (a new one if None) on a new slot of `partner` on a London `day`
    (from `hours[0]` to `hours[1]` o'clock, unless `starts_at` and `ends_at` are given)."""
    opportunity = opportunity or OpportunityFactory(
        partner=partner, programmes=[programme], title=f"A day at {partner.name}"
    )
    slot = SlotFactory(
        opportunity=opportunity,
        starts_at=starts_at or london(day, hours[0]),
        ends_at=ends_at or london(day, hours[1]),
        capacity=capacity,
    )
    booking_fields = {"slot": slot, "programme": programme, "status": status, **fields}
    if participant is not None:
        booking_fields["participant"] = participant
    return PastVisitFactory(**booking_fields)


def csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(content: bytes) -> list[list]:
    """Every row of the workbook's only sheet, as openpyxl reads the values back."""
    workbook = load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 1
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
