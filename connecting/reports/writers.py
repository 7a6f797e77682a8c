"""Rows into files: CSV (as the review exports write it) and XLSX, to a file or as a download.

Both defuse cells a spreadsheet would run as a formula the same way (`debriefs.exports.defuse`: an
apostrophe in front). XLSX keeps numbers as numbers and dates as dates, and is written with
openpyxl's write-only workbook, which streams rows to a temporary file instead of holding them.
"""

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterable
from decimal import Decimal

from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone

from connecting.reports.datasets import CHUNK_SIZE, DATASETS, ExportFilters
from connecting.reports.models import ExportFormat, export_filename
from debriefs.exports import BOM, csv_cell, csv_response, defuse

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The most characters an Excel cell holds; a longer text is cut there rather than make Excel
# "repair" the file.
XLSX_CELL_MAX_CHARACTERS = 32_767
# Characters XML 1.0 cannot hold (control characters but tab, line feed and carriage return).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def xlsx_cell(value):
    """One cell's value for openpyxl: nothing (None or "") as an empty cell, numbers and dates kept,
    London times without a zone, text cleaned of what XML cannot hold and defused."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    text = defuse(_XML_ILLEGAL.sub("", str(value)))
    return text[:XLSX_CELL_MAX_CHARACTERS] or None


def csv_write(file, header: list, rows: Iterable[list]) -> int:
    """Write a CSV (UTF-8 with a byte-order mark, as the downloads) to a binary file; return the rows."""
    text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        text.write(BOM)
        writer.writerow([csv_cell(cell) for cell in header])
        count = 0
        for row in rows:
            writer.writerow([csv_cell(cell) for cell in row])
            count += 1
        text.flush()
    finally:
        text.detach()  # leave the caller's file open
    return count


def xlsx_write(file, header: list, rows: Iterable[list], *, sheet_title: str) -> int:
    """Write an XLSX with one sheet, a bold header row, to a binary file; return the rows."""
    # Imported here: openpyxl takes a sixth of a second to import, which every web process start
    # (and `manage.py check`) would otherwise pay for an export few ask for.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(sheet_title)[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=xlsx_cell(str(name)))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    count = 0
    for row in rows:
        sheet.append([_typed_cell(sheet, value, WriteOnlyCell) for value in row])
        count += 1
    workbook.save(file)
    return count


def _typed_cell(sheet, value, cell_type):
    value = xlsx_cell(value)
    if isinstance(value, datetime.datetime):
        cell = cell_type(sheet, value=value)
        cell.number_format = _DATETIME_FORMAT
        return cell
    if isinstance(value, datetime.date):
        cell = cell_type(sheet, value=value)
        cell.number_format = _DATE_FORMAT
        return cell
    return value


def export_write(file, *, file_format: str, header: list, rows: Iterable[list], sheet_title: str) -> int:
    if file_format == ExportFormat.XLSX:
        return xlsx_write(file, header, rows, sheet_title=sheet_title)
    return csv_write(file, header, rows)


def export_response(
    *, file_format: str, filename: str, header: list, rows: Iterable[list], sheet_title: str
) -> HttpResponse:
    """A small export as a download: a CSV streamed row by row; an XLSX written to a temporary file
    first (a zip cannot be sent before it is finished), then sent from it."""
    if file_format == ExportFormat.CSV:
        response = csv_response(filename, header, rows)
    else:
        file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
        xlsx_write(file, header, rows, sheet_title=sheet_title)
        file.seek(0)
        response = FileResponse(
            file, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[ExportFormat.XLSX]
        )
    _private(response)
    return response


def dataset_response(*, dataset: str, file_format: str, filters: ExportFilters, user) -> HttpResponse:
    """A small export of `dataset` as a download named after the data and today's date."""
    chosen = DATASETS[dataset]
    return export_response(
        file_format=file_format,
        filename=export_filename(dataset, file_format, timezone.localdate()),
        header=chosen.header,
        rows=chosen.rows(filters, user=user, chunk_size=CHUNK_SIZE),
        sheet_title=chosen.sheet_title,
    )


def stored_export_response(name: str, *, filename: str, file_format: str) -> FileResponse:
    """A finished export from the private storage as a download; Http404 if the file is gone.

    Only call this after the view has checked that the person asking may download it.
    """
    try:
        file = storages["private"].open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise Http404("No such export file.") from error
    response = FileResponse(
        file, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[file_format]
    )
    _private(response)
    return response


def _private(response: HttpResponse) -> None:
    # As the briefing packs (`connecting.uploads.document_response`): never sniffed, never cached.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
