"""/healthz: the database, the cache (Redis when configured) and the Celery worker's heartbeat."""

import socket
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connections
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from connecting.models import Heartbeat
from connecting.selectors import WORKER_HEARTBEAT

pytestmark = pytest.mark.django_db

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "test-healthz",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def _worker_seen(ago: timedelta) -> str:
    seen_at = timezone.now() - ago
    Heartbeat.objects.create(name=WORKER_HEARTBEAT, seen_at=seen_at)
    return seen_at.isoformat()


@pytest.mark.redis
def test_healthz_with_database_redis_and_worker_up_is_ok(client, redis_url):
    last_seen = _worker_seen(timedelta(seconds=30))

    with override_settings(CACHES=_redis_cache(redis_url)):
        response = client.get(reverse("healthz"))
        caches["default"].delete("healthz")

    assert (response.status_code, response.json()) == (
        200,
        {
            "status": "ok",
            "checks": {
                "database": {"status": "ok"},
                "cache": {"status": "ok", "backend": "redis"},
                "worker": {"status": "ok", "last_seen": last_seen},
            },
        },
    )
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.redis
def test_healthz_with_redis_down_is_503_and_says_so(client):
    last_seen = _worker_seen(timedelta(seconds=30))

    with override_settings(CACHES=_redis_cache(f"redis://127.0.0.1:{_closed_port()}/0")):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.json()) == (
        503,
        {
            "status": "error",
            "checks": {
                "database": {"status": "ok"},
                "cache": {"status": "error", "backend": "redis", "error": "ConnectionError"},
                "worker": {"status": "ok", "last_seen": last_seen},
            },
        },
    )


def test_healthz_with_the_database_down_is_503_and_does_not_ask_for_the_worker(client, monkeypatch):
    real = connections["default"]
    settings_dict = dict(real.settings_dict)
    if real.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=_closed_port())
    else:
        settings_dict.update(NAME="/nonexistent-folder/connecting.sqlite3")
    broken = type(real)(settings_dict, alias="healthz-broken")
    monkeypatch.setattr("connecting.views.connection", broken)

    with override_settings(CACHES=LOCAL_CACHE):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.json()) == (
        503,
        {
            "status": "error",
            "checks": {
                "database": {"status": "error", "error": "OperationalError"},
                "cache": {"status": "ok", "backend": "local memory"},
                "worker": {"status": "unknown", "last_seen": None},
            },
        },
    )


def test_healthz_with_no_worker_heartbeat_is_still_200_but_says_the_worker_is_not_seen(client):
    with override_settings(CACHES=LOCAL_CACHE):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.json()) == (
        200,
        {
            "status": "ok",
            "checks": {
                "database": {"status": "ok"},
                "cache": {"status": "ok", "backend": "local memory"},
                "worker": {"status": "not seen recently", "last_seen": None},
            },
        },
    )


def test_healthz_with_a_stale_heartbeat_says_when_the_worker_was_last_seen(client, settings):
    settings.HEARTBEAT_SECONDS = 60
    last_seen = _worker_seen(timedelta(minutes=4))

    with override_settings(CACHES=LOCAL_CACHE):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.json()["checks"]["worker"]) == (
        200,
        {"status": "not seen recently", "last_seen": last_seen},
    )


def test_healthz_is_open_to_anonymous_visitors_and_needs_no_session(client):
    with override_settings(CACHES=LOCAL_CACHE):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.cookies) == (200, {})
