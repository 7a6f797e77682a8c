from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
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


@login_not_required
@never_cache
def healthz(request):
    """For load balancers and container health checks: 200 when the database and cache answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy, and the body says which part
        checks["database"] = "error"
    try:
        cache.set("healthz", "ok", 10)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error"
    except Exception:  # noqa: BLE001
        checks["cache"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    jobs = background_jobs_status() if checks["database"] == "ok" else {"running": False}
    checks["background_jobs"] = "ok" if jobs["running"] else "not seen recently"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
