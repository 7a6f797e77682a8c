from django.urls import path

from connecting.accounts import reminder_views, views
from connecting.dashboard import views as dashboard_views

app_name = "accounts"

urlpatterns = [
    path("my-connecting/", views.participant_home, name="participant_home"),
    path("programme-team/", dashboard_views.programme_home, name="programme_home"),
    path("profile/", views.profile_edit, name="profile"),
    path("reminders/", reminder_views.reminders_edit, name="reminders"),
    path("reminders/unsubscribe/<str:token>/", reminder_views.unsubscribe, name="unsubscribe"),
]
