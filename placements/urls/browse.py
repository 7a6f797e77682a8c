from django.urls import path

from placements.views import browse as views

app_name = "browse"

urlpatterns = [
    path("", views.opportunity_browse, name="list"),
    path("interests/", views.participant_interests_edit, name="interests"),
    path("<int:opportunity_id>/", views.opportunity_detail, name="detail"),
]
