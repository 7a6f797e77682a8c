from django.urls import path

from placements.views import opportunities as views

app_name = "opportunities"

urlpatterns = [
    path("", views.opportunity_list, name="list"),
]
