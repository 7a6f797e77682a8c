import os
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection

CI = os.environ.get("CI") == "true"


def pytest_sessionstart(session):
    # Under CI the suite must run against the real servers; a fallback would hide what it skips.
    if CI and not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise pytest.UsageError("CI=true: DATABASE_URL must point at PostgreSQL.")
    if CI and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("CI=true: REDIS_URL must point at Redis.")
    if CI:
        for name, default_port in (("DATABASE_URL", 5432), ("REDIS_URL", 6379)):
            if not _reachable(os.environ[name], default_port):
                raise pytest.UsageError(f"CI=true: nothing answers at {name}={os.environ[name]}.")


def service_unavailable(reason: str) -> None:
    """A test that needs a real server fails under CI and skips, saying why, on a developer's machine."""
    if CI:
        pytest.fail(f"{reason} (CI=true, so this fails rather than skips)")
    pytest.skip(reason)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


@pytest.fixture
def postgres(db):
    """For tests of behaviour only PostgreSQL has (row locks, concurrency, full-text search)."""
    if connection.vendor != "postgresql":
        service_unavailable("This test needs PostgreSQL: set DATABASE_URL.")
    return connection


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_unavailable("This test needs Redis: set REDIS_URL.")
    if not _reachable(url, 6379):
        service_unavailable(f"Redis is not reachable at {url}.")
    return url


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "http://testserver"
    # Each test client builds its own middleware; without this WhiteNoise re-scans every static
    # file for each one (about 0.1 s a test). Autorefresh looks files up only when asked for.
    settings.WHITENOISE_AUTOREFRESH = True
    # Rate-limit counters and used TOTP codes live in the cache; each test starts clean, and so do
    # the page bodies kept in memory.
    from django.core.cache import cache

    from connecting.page_bodies import page_bodies_clear

    cache.clear()
    page_bodies_clear()
    yield
    cache.clear()
    page_bodies_clear()


@pytest.fixture(autouse=True)
def _celery_runs_tasks_inline():
    """Tasks enqueued on commit run in the test's own process; tests of the real worker start one."""
    from connecting.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
    # Eager tasks flag "no joining results" in a process-wide global and restore it on the way out;
    # eager tasks finishing in several threads at once can restore it in the wrong order and leave
    # it set, which would make a later test's `result.get()` refuse to run.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture
def participant(db):
    from tests.factories import ParticipantFactory

    return ParticipantFactory()


@pytest.fixture
def programme_team_member(db):
    from tests.factories import ProgrammeTeamFactory

    return ProgrammeTeamFactory()


@pytest.fixture
def partner_membership(db):
    from tests.factories import PartnerMembershipFactory

    return PartnerMembershipFactory()
