import os

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from connecting import views
from connecting.accounts import views as account_views

# The admin's own log-in would skip allauth's MFA and rate limits: send it through allauth.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Connecting administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    # Ahead of allauth's own route of the same name: see the view's docstring.
    path("accounts/2fa/authenticate/", account_views.mfa_authenticate, name="mfa_authenticate"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("connecting.accounts.urls")),
    path("partners/", include("partners.urls")),
    path("programmes/", include("placements.urls.programmes")),
    path("opportunities/", include("placements.urls.opportunities")),
    path("find/", include("placements.urls.browse")),
    path("bookings/", include("placements.urls.bookings")),
    # Before and after a visit, on the booking's own address: /bookings/<id>/preparation/ and so on.
    path("bookings/<int:booking_id>/", include("debriefs.urls.preparation")),
    path("bookings/<int:booking_id>/", include("debriefs.urls.debriefs")),
    path("review/", include("debriefs.urls.review")),
    path("library/", include("debriefs.urls.library")),
    path("outbox/", include("connecting.outbox_urls")),
    path("reports/", include("connecting.reports.urls")),
    path("visits/", include("placements.urls.visits")),
    path("calendar/", include("placements.urls.calendar")),
    path("dashboard/", include("connecting.dashboard.urls")),
    path("surveys/", include("connecting.surveys.urls")),
    path("audit/", include("connecting.audit.urls")),
    # /account/my-data/ and /privacy/people/…: subject access and erasure.
    path("", include("connecting.privacy.urls")),
    path("django-admin/", admin.site.urls),
]

# The load benchmark's baseline page (scripts/bench/load.py): never with DEBUG on, never in production.
if not settings.DEBUG and not settings.PRODUCTION and os.environ.get("BENCHMARK_PAGES") == "1":
    from connecting import bench_views

    urlpatterns.append(path("bench/baseline/", bench_views.baseline, name="bench_baseline"))
