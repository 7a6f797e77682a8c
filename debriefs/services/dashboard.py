"""Keeping the dashboard's counts (`debriefs.models.DashboardCount`) small to read."""

from django.db import connection

from debriefs.models import DashboardCount, DashboardCountChange


def dashboard_counts_compact() -> int:
    """Fold the changes the triggers appended into the counts, in one statement (so a reader sees
    them either all before or all after), and return how many were folded. Writers only append,
    so this waits for none of them; two runs at once fold each change once. Nothing to do on
    SQLite, which has no triggers."""
    if connection.vendor != "postgresql":
        return 0
    counts, changes = DashboardCount._meta.db_table, DashboardCountChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH folded AS (DELETE FROM {changes} RETURNING key, delta), "  # noqa: S608 - model tables
            "summed AS (SELECT key, sum(delta) AS delta, count(*) AS n FROM folded GROUP BY key), "
            f"written AS (INSERT INTO {counts} (key, count) SELECT key, delta FROM summed "
            f"ON CONFLICT (key) DO UPDATE SET count = {counts}.count + EXCLUDED.count) "
            "SELECT coalesce(sum(n), 0) FROM summed"
        )
        return int(cursor.fetchone()[0])
