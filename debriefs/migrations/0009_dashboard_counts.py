"""The programme dashboard's counts of debriefs by state, open policy actions and insights, kept
by PostgreSQL triggers (see `debriefs.models.DashboardCount`). Nothing is installed on SQLite,
where the dashboard counts the rows."""

from django.db import migrations, models

COUNTS, CHANGES = "debriefs_dashboardcount", "debriefs_dashboardcountchange"

# Per table: the key a row counts under (NULL: none) and the key prefix a TRUNCATE clears.
COUNTED = {
    "debriefs_debrief": ("'debrief:' || status", "debrief:"),
    "debriefs_policyaction": ("CASE WHEN status <> 'done' THEN 'policy_action:open' END", "policy_action:"),
    "debriefs_insight": ("'insight'", "insight"),
}


def _install(table: str, key: str, prefix: str) -> list[str]:
    function = f"{table}_dashboard_count"
    return [
        f"""
        CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM {COUNTS} WHERE key LIKE '{prefix}%';
                DELETE FROM {CHANGES} WHERE key LIKE '{prefix}%';
            ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO {CHANGES} (key, delta)
                SELECT k, count(*) FROM (SELECT {key} AS k FROM new_rows) c
                WHERE k IS NOT NULL GROUP BY k;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO {CHANGES} (key, delta)
                SELECT k, -count(*) FROM (SELECT {key} AS k FROM old_rows) c
                WHERE k IS NOT NULL GROUP BY k;
            ELSE
                INSERT INTO {CHANGES} (key, delta)
                SELECT k, sum(d) FROM (
                    SELECT {key} AS k, 1 AS d FROM new_rows
                    UNION ALL SELECT {key}, -1 FROM old_rows
                ) c
                WHERE k IS NOT NULL GROUP BY k HAVING sum(d) <> 0;
            END IF;
            RETURN NULL;
        END $$
        """,  # noqa: S608 - fixed names and expressions, above
        f"""CREATE TRIGGER {table}_count_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_count_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_count_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_count_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        # The triggers' lock keeps writers out until this migration commits: nothing is missed.
        f"""INSERT INTO {COUNTS} (key, count)
            SELECT k, count(*) FROM (SELECT {key} AS k FROM {table}) c WHERE k IS NOT NULL GROUP BY k""",  # noqa: S608
    ]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (key, prefix) in COUNTED.items():
        for statement in _install(table, key, prefix):
            schema_editor.execute(statement, params=None)  # None: its % are not placeholders


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in COUNTED:
        for event in ("insert", "update", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_count_{event} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_dashboard_count()")


class Migration(migrations.Migration):
    dependencies = [
        ("debriefs", "0008_rollup_facts_unchecked_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="DashboardCount",
            fields=[
                ("key", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("count", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="DashboardCountChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(db_index=True, max_length=40)),
                ("delta", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
