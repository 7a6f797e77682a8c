"""The documented backup and restore (scripts/backup, scripts/restore; docs/operations.md) round-trip
the demo data: every table's rows, the key tables row for row, the id sequences and the uploads."""

import os
import shutil
import subprocess
import uuid
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import service_unavailable

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent
KEY_TABLES = ("placements_booking", "debriefs_debrief", "connecting_outboxmessage", "accounts_user")


def _url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"


def _connect(settings_dict: dict, name: str):
    return psycopg2.connect(
        dbname=name,
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
    )


def _snapshot(cursor) -> dict:
    """Row counts of every table, a checksum of each key table, and where each id sequence stands."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (names from pg_tables)
        counts[table] = cursor.fetchone()[0]
    checksums = {}
    for table in KEY_TABLES:
        digest = f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM \"{table}\" t"  # noqa: S608
        cursor.execute(digest)  # the names are the constants above
        checksums[table] = cursor.fetchone()[0]
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
    return {"counts": counts, "checksums": checksums, "sequences": dict(cursor.fetchall())}


def _run(script: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BASE_DIR / "scripts" / script), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


def test_backup_and_restore_round_trip_the_demo_data(postgres, tmp_path):
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            service_unavailable(
                f"{tool} is not on the PATH: the backup procedure needs the PostgreSQL client tools."
            )
    call_command("demo_data", stdout=StringIO())
    media = tmp_path / "private"
    (media / "briefing-packs").mkdir(parents=True)
    (media / "briefing-packs" / "pack.pdf").write_bytes(b"%PDF-1.4 briefing pack")
    settings_dict = connection.settings_dict
    with connection.cursor() as cursor:
        original = _snapshot(cursor)
    env = {
        **os.environ,
        "DATABASE_URL": _url(settings_dict, settings_dict["NAME"]),
        "PRIVATE_MEDIA_ROOT": str(media),
    }
    _run("backup", str(tmp_path / "backup"), env=env)

    restored_name = f"connecting_restore_check_{uuid.uuid4().hex[:12]}"
    maintenance = _connect(settings_dict, "postgres")
    maintenance.autocommit = True
    restored_media = tmp_path / "restored-private"
    try:
        with maintenance.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{restored_name}"')
        _run(
            "restore",
            str(tmp_path / "backup"),
            env={
                **env,
                "DATABASE_URL": _url(settings_dict, restored_name),
                "PRIVATE_MEDIA_ROOT": str(restored_media),
            },
        )
        restored_db = _connect(settings_dict, restored_name)
        try:
            with restored_db.cursor() as cursor:
                restored = _snapshot(cursor)
        finally:
            restored_db.close()
    finally:
        with maintenance.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        maintenance.close()

    assert original["counts"]["placements_booking"] > 0
    assert original["counts"]["debriefs_debrief"] > 0
    assert original["counts"]["connecting_outboxmessage"] > 0
    assert restored == original
    assert (restored_media / "briefing-packs" / "pack.pdf").read_bytes() == b"%PDF-1.4 briefing pack"


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(postgres, tmp_path):
    if shutil.which("psql") is None:
        service_unavailable("psql is not on the PATH: the restore script needs the PostgreSQL client tools.")
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "connecting.dump").write_bytes(b"not reached")
    settings_dict = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": _url(settings_dict, settings_dict["NAME"])}

    result = subprocess.run(
        [str(BASE_DIR / "scripts" / "restore"), str(tmp_path / "backup")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "restore into an empty" in result.stderr
