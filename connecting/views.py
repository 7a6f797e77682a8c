from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from connecting.accounts.roles import home_url_name
from connecting.selectors import background_jobs_status


@login_not_required
def home(request):
    if request.user.is_authenticated:
        return redirect(home_url_name(request.user))
    return render(request, "home.html")


@login_not_required
def privacy(request):
    return render(request, "privacy.html")


def _database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy; the body says which part
        return {"status": "error", "error": type(error).__name__}
    return {"status": "ok"}


def _cache_check() -> dict:
    backend = "redis" if "redis" in settings.CACHES["default"]["BACKEND"].lower() else "local memory"
    try:
        cache.set("healthz", "ok", 10)
        answered = cache.get("healthz") == "ok"
    except Exception as error:  # noqa: BLE001
        return {"status": "error", "backend": backend, "error": type(error).__name__}
    return {"status": "ok" if answered else "error", "backend": backend}


def _worker_check(*, database_ok: bool) -> dict:
    if not database_ok:
        return {"status": "unknown", "last_seen": None}
    jobs = background_jobs_status()
    last_seen = jobs["last_seen"].isoformat() if jobs["last_seen"] else None
    return {"status": "ok" if jobs["running"] else "not seen recently", "last_seen": last_seen}


@login_not_required
@never_cache
@transaction.non_atomic_requests  # with the database down, opening the request's transaction would be a 500
def healthz(request):
    """For load balancers, container health checks and people: what answers and what does not.

    503 when the database or the cache (Redis, when REDIS_URL is set) fails, because the portal
    cannot serve a page without them. The Celery worker is reported from its heartbeat but does not
    fail the check: restarting web servers would not bring a stopped worker back.
    """
    database = _database_check()
    checks = {
        "database": database,
        "cache": _cache_check(),
        "worker": _worker_check(database_ok=database["status"] == "ok"),
    }
    healthy = checks["database"]["status"] == "ok" and checks["cache"]["status"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
