from django.urls import path

from placements.views import browse as views

app_name = "browse"

urlpatterns = [
    path("", views.opportunity_browse, name="list"),
]
