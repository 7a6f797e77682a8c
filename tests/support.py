"""Helpers for tests that start the portal's own processes (settings loads, Celery workers)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables that switch the portal's mode; a subprocess starts with none of them unless given.
MODE_VARIABLES = (
    "CONNECTING_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "SITE_URL",
    "DEBUG",
    "CONNECTING_DATA_DIR",
    "STATIC_ROOT",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SERVER_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)

PRODUCTION_ENV = {
    "CONNECTING_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-test-key-" + "q9" * 20,
    "DATABASE_URL": "postgres://connecting:secret@db.internal:5432/connecting",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "connecting.example.gov.uk",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.gov.uk:587",
    "SITE_URL": "https://connecting.example.gov.uk",
}


def portal_env(tmp_path: Path, **variables: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in MODE_VARIABLES}
    env["CONNECTING_DATA_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "connecting.settings"
    env.update(variables)
    return env


def run_portal(args: list[str], env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "engine": s.DATABASES["default"]["ENGINE"],
    "name": str(s.DATABASES["default"]["NAME"]),
    "host": s.DATABASES["default"].get("HOST", ""),
    "sqlite_options": s.DATABASES["default"].get("OPTIONS", {}),
    "cache": s.CACHES["default"]["BACKEND"],
    "broker": s.CELERY_BROKER_URL,
    "email": s.EMAIL_BACKEND,
    "debug": s.DEBUG,
    "secure_cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "oidc_apps": [a["provider_id"] for a in s.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]],
}))
"""


def load_settings(env: dict) -> dict:
    result = run_portal(["-c", SETTINGS_PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def invitation_token_from(message) -> str:
    """The token in the link of an invitation e-mail: the only place the raw secret exists."""
    return re.search(r"/partners/invitations/([\w-]+)/", message.body).group(1)


class Raised(str):
    """What `run_at_once` gives for a thread whose action raised: "<ErrorName>: <message>"."""


def run_at_once(action, *, threads: int) -> list:
    """Run `action()` from `threads` threads released together, each on its own database
    connection (so, on PostgreSQL, concurrent transactions contending for the same locks), and
    return what each returned, or a `Raised` for an error it raised."""
    import threading

    from django.db import connection

    results, lock = [], threading.Lock()
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            result = action()
        except Exception as error:  # noqa: BLE001 - every failure must reach the assertion
            result = Raised(f"{type(error).__name__}: {error}")
        finally:
            connection.close()
        with lock:
            results.append(result)

    started = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=60)
    return results
