import os
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from connecting.tasks import echo_task
from tests.support import BASE_DIR, portal_env, run_portal


@pytest.fixture
def redis_worker(redis_url, tmp_path):
    """A real Celery worker process on Redis, listening on a queue of its own."""
    from connecting.celery import app

    app.conf.task_always_eager = False  # this test is about the real worker, not inline tasks
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = portal_env(tmp_path, REDIS_URL=redis_url)
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - closed after the worker stops
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "connecting", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield queue
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.mark.redis
def test_a_task_makes_a_round_trip_through_a_real_worker_on_redis(redis_worker):
    result = echo_task.apply_async(kwargs={"payload": "1,200 days of connecting"}, queue=redis_worker)

    assert result.get(timeout=60) == {"payload": "1,200 days of connecting", "length": 24}
    assert result.status == "SUCCESS"


def test_embedded_broker_runs_beat_and_worker_without_any_server(tmp_path):
    """The local run: beat enqueues the heartbeat on the filesystem broker, the worker writes it to SQLite."""
    env = portal_env(tmp_path, HEARTBEAT_SECONDS="1")
    assert run_portal(["manage.py", "migrate", "--noinput", "-v", "0"], env).returncode == 0
    database = tmp_path / "var" / "connecting.sqlite3"
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "connecting", "worker", "--beat", "--pool=solo", "--loglevel=INFO"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(seen) < 2:
            time.sleep(0.5)
            with sqlite3.connect(database, timeout=20) as db:
                row = db.execute("SELECT seen_at FROM connecting_heartbeat WHERE name = 'worker'").fetchone()
            if row and row[0] not in seen:
                seen.append(row[0])
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.seek(0)
        output = log.read()
        log.close()

    assert len(seen) == 2, output[-3000:]
    assert "filesystem://" in output
