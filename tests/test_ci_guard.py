"""Under CI=true a missing PostgreSQL or Redis fails the run; elsewhere the tests that need it skip, saying why."""

import os
import subprocess
import sys

from tests.support import BASE_DIR

# Port 1: nothing listens there.
DEAD_POSTGRES = "postgres://postgres@127.0.0.1:1/connecting"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _pytest(test_id: str, **env_overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", test_id],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_under_ci_an_unreachable_server_stops_the_run():
    result = _pytest(
        "tests/test_compose.py::test_compose_has_the_production_shape",
        CI="true",
        DATABASE_URL=DEAD_POSTGRES,
        REDIS_URL=DEAD_REDIS,
    )

    assert result.returncode != 0
    assert f"CI=true: nothing answers at DATABASE_URL={DEAD_POSTGRES}." in result.stdout + result.stderr


def test_under_ci_sqlite_is_refused():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_compose.py::test_compose_has_the_production_shape"],
        cwd=BASE_DIR, env={**env, "CI": "true", "REDIS_URL": DEAD_REDIS}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode != 0
    assert "CI=true: DATABASE_URL must point at PostgreSQL." in result.stdout + result.stderr


def test_outside_ci_a_test_needing_redis_skips_with_the_reason():
    result = _pytest(
        "tests/test_celery.py::test_a_task_makes_a_round_trip_through_a_real_worker_on_redis",
        CI="false",
        REDIS_URL=DEAD_REDIS,
    )

    assert result.returncode == 0, result.stdout
    assert f"Redis is not reachable at {DEAD_REDIS}." in result.stdout
    assert "1 skipped" in result.stdout
