"""Statements run often enough that PostgreSQL's planning is much of their cost: prepared once per
connection (`PREPARE`), then only executed.

Needs a session of its own per connection (no transaction-pooling proxy in between), as the
portal's deployment has. A prepared statement outlives a rollback, so one prepared in a
transaction that failed is still there; the name carries a digest of the text, so a statement
prepared by other code (or an older version of this one) is never run instead.
"""

import datetime
import hashlib
import re
import weakref
from collections.abc import Mapping, Sequence

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
    connection.ensure_connection()
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
