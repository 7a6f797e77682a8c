from django.urls import path

from debriefs.views import debriefs as views

app_name = "debriefs"

urlpatterns = [
    path("debrief/", views.debrief_view, name="debrief"),
    path("feedback/", views.partner_feedback_view, name="feedback"),
]
