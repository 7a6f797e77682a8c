"""`connecting.db`: a statement written with named parameters is prepared once per connection on
PostgreSQL and only executed after that; each name is one parameter however often it appears.
`copy_rows` writes what it is given, whatever COPY's text format makes of backslashes."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connecting.db import fetchone_prepared, prepared_forget

pytestmark = pytest.mark.django_db

SQL = "SELECT %(a)s::int + %(b)s::int, %(a)s::int * 10, %(day)s::date + 1"


def test_named_parameters_become_one_positional_parameter_each(postgres):
    row = fetchone_prepared("connecting_test_sum", SQL, {"b": 3, "a": 2, "day": datetime.date(2027, 2, 28)})

    assert row == (5, 20, datetime.date(2027, 3, 1))


def test_a_statement_is_prepared_once_per_connection_and_found_again_once_forgotten(postgres):
    fetchone_prepared("connecting_test_sum", SQL, {"a": 1, "b": 1, "day": datetime.date(2027, 1, 1)})
    with CaptureQueriesContext(connection) as again:
        second = fetchone_prepared(
            "connecting_test_sum", SQL, {"a": 4, "b": 5, "day": datetime.date(2027, 1, 1)}
        )
    prepared_forget()  # as a new process finds a connection's session
    with CaptureQueriesContext(connection) as forgotten:
        third = fetchone_prepared(
            "connecting_test_sum", SQL, {"a": 7, "b": 0, "day": datetime.date(2027, 1, 1)}
        )

    assert (second[0], third[0]) == (9, 7)
    assert [query["sql"].split()[0] for query in again.captured_queries] == ["EXECUTE"]
    statements = [query["sql"] for query in forgotten.captured_queries]
    assert "pg_prepared_statements" in statements[0]
    assert [sql.split()[0] for sql in statements[1:]] == ["EXECUTE"]


def test_another_text_under_the_same_name_is_another_statement(postgres):
    first = fetchone_prepared("connecting_test_sum", SQL, {"a": 2, "b": 2, "day": datetime.date(2027, 1, 1)})
    other = fetchone_prepared("connecting_test_sum", "SELECT %(a)s::int - %(b)s::int", {"a": 2, "b": 2})

    assert (first[0], other[0]) == (4, 0)


def test_copy_rows_writes_every_kind_of_value_as_given(postgres):
    from connecting.db import copy_rows

    rows = [
        (
            "tab\there, line\nend, back\\slash, \\N, naïve ‘quote’",
            b"\x00\x01\xff\\",
            True,
            datetime.date(2027, 2, 28),
            {"a": [1, "b"]},
            7,
        ),
        (None, b"", False, None, None, None),
    ]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copied (t text, b bytea, f boolean, d date, j jsonb, n integer)")

        written = copy_rows("copied", ["t", "b", "f", "d", "j", "n"], iter(rows))

        cursor.execute("SELECT t, b, f, d, j, n FROM copied ORDER BY n NULLS LAST")
        found = [
            (t, bytes(b), f, d, json.loads(j) if isinstance(j, str) else j, n)
            for t, b, f, d, j, n in cursor.fetchall()
        ]
    assert written == 2
    assert found == rows
