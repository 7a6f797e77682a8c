from django.urls import path

from placements.views import calendar as views

app_name = "calendar"

urlpatterns = [
    path("", views.calendar_settings, name="settings"),
    path("reset/", views.calendar_reset, name="reset"),
    # token_urlsafe draws from the slug alphabet (letters, digits, "-" and "_").
    path("<slug:token>.ics", views.calendar_feed, name="feed"),
]
