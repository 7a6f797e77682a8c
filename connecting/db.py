"""Statements run often enough that PostgreSQL's planning is much of their cost: prepared once per
connection (`PREPARE`), then only executed.

Needs a session of its own per connection (no transaction-pooling proxy in between), as the
portal's deployment has. A prepared statement outlives a rollback, so one prepared in a
transaction that failed is still there; the name carries a digest of the text, so a statement
prepared by other code (or an older version of this one) is never run instead.
"""

import datetime
import hashlib
import io
import json
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection
from django.utils import timezone

# The raw connections on which each statement has been prepared (a statement lives as long as its
# connection; a new one is prepared on first use).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s")


def prepared_forget() -> None:
    """Forget which connections have which statement (the statements stay): for tests."""
    _prepared.clear()


def execute_prepared(cursor, name: str, sql: str, values: Sequence) -> None:
    """Execute `sql` (PostgreSQL's `$1`, `$2`, ... for its parameters, each cast to its type
    where PostgreSQL cannot tell it) on `cursor` as the prepared statement `name`."""
    name = f"{name}_{hashlib.sha256(sql.encode()).hexdigest()[:12]}"
    raw = connection.connection
    if name not in _prepared.setdefault(raw, set()):
        # Once per connection: the session may have it already.
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"PREPARE {name} AS {sql}")
        _prepared[raw].add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(values))})", list(values))


def fetchone_prepared(name: str, sql: str, params: Mapping[str, object]) -> tuple | None:
    """The first row of `sql`, written with named parameters (`%(name)s`, the values adapted for
    the database by the caller): prepared on PostgreSQL, run as it is on any other database."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchone()
        order: list[str] = []

        def positional(match: re.Match) -> str:
            if match[1] not in order:
                order.append(match[1])
            return f"${order.index(match[1]) + 1}"

        numbered = _NAMED_PARAMETER.sub(positional, sql)
        execute_prepared(cursor, name, numbered, [params[key] for key in order])
        return cursor.fetchone()


def from_db_datetime(value: datetime.datetime | None) -> datetime.datetime | None:
    """A datetime column read with raw SQL, as the ORM would give it: aware (SQLite's are naive UTC)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


# --- Bulk writes -----------------------------------------------------------------------------------

# COPY sends this much text at a time: memory stays bounded however many rows there are (a
# StringIO holding one non-Latin-1 character takes 4 bytes a character).
_COPY_BUFFER_CHARS = 4_000_000


def copy_value(value) -> str:
    """`value` in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()  # bytea's hex input, its backslash escaped for COPY
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value)
    elif not isinstance(value, str):
        return str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, suffix: str = "") -> int:
    """Write `rows` (values of `columns`, in order) into `table` with PostgreSQL's COPY, many times
    faster than INSERTs for thousands of rows. `suffix` is COPY text appended to every line (the
    values of further columns, the same for all rows, tab first). Returns the rows written."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    count = 0
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert

        def flush():
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            buffer.seek(0)
            buffer.truncate()

        for row in rows:
            buffer.write("\t".join(map(copy_value, row)))
            buffer.write(suffix)
            buffer.write("\n")
            count += 1
            if buffer.tell() > _COPY_BUFFER_CHARS:
                flush()
        if buffer.tell():
            flush()
    return count
