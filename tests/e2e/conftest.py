"""End-to-end journeys: Debian's Chromium, driven by Playwright, against the portal served by
pytest-django's live server on the PostgreSQL test database, with a real Celery worker on Redis
sending e-mail to a real SMTP server on the loopback (tests/smtp_server.py).

Not part of the default run: they take a minute and need Chromium. `scripts/e2e` runs them
(it sets E2E=1); so does `E2E=1 scripts/test tests/e2e`.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import service_unavailable

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")

if os.environ.get("E2E") != "1":
    collect_ignore_glob = ["test_*.py"]
else:
    # Playwright's sync API keeps an event loop on the main thread; Django refuses ORM calls from
    # a thread with a running loop. The tests' own ORM calls are ordinary blocking calls. Only in
    # the journeys' run: elsewhere it would leak into the deploy checks' subprocesses.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end journey in a real browser (scripts/e2e)")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        service_unavailable(f"The journeys need Chromium at {CHROMIUM}: apt-get install chromium.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def artefacts(request) -> Path:
    """A folder for this test's screenshots: $E2E_ARTIFACTS_DIR (default var/e2e-artifacts/)."""
    from tests.support import BASE_DIR

    root = Path(os.environ.get("E2E_ARTIFACTS_DIR") or BASE_DIR / "var" / "e2e-artifacts")
    folder = root / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def portal(
    request, transactional_db, postgres, redis_url, live_server, settings, tmp_path, artefacts, browser
):
    """The running portal with its worker and mail server; see tests/e2e/portal.py."""
    from tests.e2e.portal import Portal

    running = Portal(
        live_server_url=live_server.url,
        settings=settings,
        redis_url=redis_url,
        tmp_path=tmp_path,
        artefacts=artefacts,
        browser=browser,
    )
    running.start()
    yield running
    running.stop(failed=getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
