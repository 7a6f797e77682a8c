import json
import sqlite3

import pytest

from tests.support import PRODUCTION_ENV, load_settings, portal_env, run_portal


def test_with_no_environment_the_portal_runs_on_its_embedded_default(tmp_path):
    loaded = load_settings(portal_env(tmp_path))

    assert loaded == {
        "engine": "django.db.backends.sqlite3",
        "name": str(tmp_path / "var" / "connecting.sqlite3"),
        "host": "",
        "sqlite_options": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "broker": "filesystem://",
        "email": "django.core.mail.backends.filebased.EmailBackend",
        "debug": True,
        "secure_cookies": [False, False],
        "oidc_apps": [],
    }
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path):
    loaded = load_settings(
        portal_env(
            tmp_path,
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/connecting",
            REDIS_URL="redis://127.0.0.1:6379/3",
            EMAIL_URL="smtp://mail.example.org:25",
        )
    )

    assert (loaded["engine"], loaded["name"], loaded["host"]) == (
        "django.db.backends.postgresql",
        "connecting",
        "127.0.0.1",
    )
    assert (loaded["cache"], loaded["broker"], loaded["email"]) == (
        "django.core.cache.backends.redis.RedisCache",
        "redis://127.0.0.1:6379/3",
        "django.core.mail.backends.smtp.EmailBackend",
    )


def test_single_sign_on_is_off_by_default_and_on_with_oidc_settings(tmp_path):
    loaded = load_settings(
        portal_env(
            tmp_path,
            OIDC_CLIENT_ID="client-id",
            OIDC_CLIENT_SECRET="client-secret",
            OIDC_SERVER_URL="https://login.microsoftonline.com/tenant/v2.0",
        )
    )

    assert loaded["oidc_apps"] == ["entra"]


def test_embedded_sqlite_database_migrates_and_uses_wal(tmp_path):
    env = portal_env(tmp_path)

    migrate = run_portal(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    assert migrate.returncode == 0, migrate.stderr

    with sqlite3.connect(tmp_path / "var" / "connecting.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "accounts_user",
        "partners_partner",
        "placements_programme",
        "account_emailaddress",
        "mfa_authenticator",
    } <= tables


def test_production_with_every_setting_passes_the_deploy_checks(tmp_path):
    result = run_portal(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], portal_env(tmp_path, **PRODUCTION_ENV)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    loaded = load_settings(portal_env(tmp_path, **PRODUCTION_ENV))
    assert (loaded["debug"], loaded["secure_cookies"]) == (False, [True, True])


# Real requests through the production middleware, in a process of its own. Neither the redirect
# nor a "page not found" needs the database or Redis, which do not exist here.
PRODUCTION_RESPONSE_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
client = Client(HTTP_HOST="connecting.example.gov.uk")
plain = client.get("/privacy/")
secure = client.get("/no-such-page/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "secure": [secure.status_code, {k: secure.get(k) for k in (
        "Strict-Transport-Security", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options",
    )}, secure.get("Content-Security-Policy", "").split("; ")],
    "cookies": {
        "session": [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_AGE],
        "csrf": [s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY],
    },
    "session_limits": [s.SESSION_IDLE_SECONDS, s.SESSION_MAX_SECONDS],
}))
"""


def _probe(env: dict, script: str) -> dict:
    result = run_portal(["-c", script], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_responses_redirect_to_https_and_carry_hsts_and_the_policy(tmp_path):
    env = portal_env(tmp_path, **PRODUCTION_ENV, STATIC_MANIFEST="false")

    probed = _probe(env, PRODUCTION_RESPONSE_PROBE)

    assert probed["plain"] == [301, "https://connecting.example.gov.uk/privacy/"]
    status, headers, policy = probed["secure"]
    assert (status, headers) == (
        404,
        {
            "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
        },
    )
    assert sorted(policy) == [
        "base-uri 'self'",
        "default-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "img-src 'self' data:",
        "object-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ]
    assert probed["cookies"] == {"session": [True, True, 43200], "csrf": [True, True]}
    assert probed["session_limits"] == [1800, 43200]


def test_session_limits_come_from_the_environment(tmp_path):
    env = portal_env(tmp_path, SESSION_IDLE_SECONDS="600", SESSION_MAX_SECONDS="3600")

    probed = _probe(
        env,
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_IDLE_SECONDS, s.SESSION_MAX_SECONDS, s.SESSION_COOKIE_AGE]))",
    )

    assert probed == [600, 3600, 3600]


def test_single_sign_on_lets_forms_lead_to_the_identity_provider_and_nowhere_else(tmp_path):
    env = portal_env(
        tmp_path,
        OIDC_CLIENT_ID="client-id",
        OIDC_CLIENT_SECRET="client-secret",
        OIDC_SERVER_URL="https://login.microsoftonline.com/tenant/v2.0",
    )

    probed = _probe(
        env,
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))",
    )

    assert probed == ["'self'", "https://login.microsoftonline.com"]


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_URL", "SITE_URL"]
)
def test_production_without_a_required_setting_refuses_to_start(tmp_path, missing):
    env = portal_env(tmp_path, **{k: v for k, v in PRODUCTION_ENV.items() if k != missing})

    result = run_portal(["manage.py", "check"], env)

    assert result.returncode != 0
    assert f"{missing} must be set when CONNECTING_ENV=production." in result.stderr


def test_unknown_mode_refuses_to_start(tmp_path):
    result = run_portal(["manage.py", "check"], portal_env(tmp_path, CONNECTING_ENV="staging"))

    assert result.returncode != 0
    assert "CONNECTING_ENV must be 'local' or 'production'" in result.stderr


def test_production_static_files_collect_with_hashed_names_and_rewritten_font_urls(tmp_path):
    env = portal_env(tmp_path, **PRODUCTION_ENV, STATIC_ROOT=str(tmp_path / "static"))

    result = run_portal(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)

    assert result.returncode == 0, result.stderr
    hashed_css = [p for p in (tmp_path / "static" / "css").glob("application.*.css") if p.suffix == ".css"]
    assert len(hashed_css) == 1
    css = hashed_css[0].read_text()
    assert "/static/govuk/assets/fonts/bold-" in css
    assert "/static/govuk/assets/fonts/bold-b542beb274-v2.woff2" not in css  # rewritten to the hashed name
