"""Rows into CSV and XLSX files: typed cells, London times, and formulas defused in both."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from connecting.reports.writers import XLSX_CELL_MAX_CHARACTERS, csv_write, xlsx_cell, xlsx_write
from tests.reports.support import csv_rows, london, xlsx_rows

HEADER = ["ID", "Visit starts", "Visit date", "Note", "Score", "Nothing"]
ROWS = [
    [7, datetime.datetime(2026, 6, 10, 9, 0), datetime.date(2026, 6, 10), "A plain note", 3.5, None],
    [8, london(datetime.date(2026, 1, 5), 14, 30), datetime.date(2026, 1, 5), "", 4, ""],
]


def test_csv_write_writes_a_bom_then_text_cells_with_times_to_the_minute():
    file = io.BytesIO()

    count = csv_write(file, HEADER, ROWS)

    assert count == 2
    assert not file.closed
    assert csv_rows(file.getvalue()) == [
        HEADER,
        ["7", "2026-06-10 09:00", "2026-06-10", "A plain note", "3.5", ""],
        ["8", "2026-01-05 14:30", "2026-01-05", "", "4", ""],
    ]


def test_xlsx_write_keeps_numbers_as_numbers_and_dates_as_dates():
    file = io.BytesIO()

    count = xlsx_write(file, HEADER, ROWS, sheet_title="Bookings")

    assert count == 2
    workbook = load_workbook(io.BytesIO(file.getvalue()))
    sheet = workbook.worksheets[0]
    assert (workbook.sheetnames, sheet.freeze_panes, sheet["A1"].font.bold) == (["Bookings"], "A2", True)
    assert xlsx_rows(file.getvalue()) == [
        HEADER,
        [
            7,
            datetime.datetime(2026, 6, 10, 9, 0),
            datetime.datetime(2026, 6, 10, 0, 0),
            "A plain note",
            3.5,
            None,
        ],
        [8, datetime.datetime(2026, 1, 5, 14, 30), datetime.datetime(2026, 1, 5, 0, 0), None, 4, None],
    ]
    assert [(cell.data_type, cell.number_format) for cell in sheet[2][:3]] == [
        ("n", "General"),
        ("d", "yyyy-mm-dd hh:mm"),
        ("d", "yyyy-mm-dd"),
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_xlsx_cells_a_spreadsheet_would_run_as_formulas_are_defused_as_in_the_csv(start):
    file = io.BytesIO()
    xlsx_write(file, ["Note"], [[f'{start}HYPERLINK("http://evil.example")']], sheet_title="Notes")

    sheet = load_workbook(io.BytesIO(file.getvalue())).worksheets[0]

    # XML reads a carriage return back as a line feed; the apostrophe in front is what counts.
    read_back = start.replace("\r", "\n")
    assert (sheet["A2"].value, sheet["A2"].data_type) == (
        f'\'{read_back}HYPERLINK("http://evil.example")',
        "s",
    )


def test_xlsx_cell_drops_characters_xml_cannot_hold_and_cuts_text_excel_cannot_hold():
    assert [
        xlsx_cell("bell\x07 and form feed\x0c"),
        xlsx_cell("tab\tand\nnew line"),
        len(xlsx_cell("x" * (XLSX_CELL_MAX_CHARACTERS + 10))),
        xlsx_cell("\x00"),
        xlsx_cell(0),
        xlsx_cell(london(datetime.date(2026, 7, 1), 0, 30)),
    ] == [
        "bell and form feed",
        "tab\tand\nnew line",
        XLSX_CELL_MAX_CHARACTERS,
        None,
        0,
        datetime.datetime(2026, 7, 1, 0, 30),
    ]
