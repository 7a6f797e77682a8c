from django.urls import path

from placements.views import visits as views

app_name = "visits"

urlpatterns = [
    path("", views.visit_list, name="list"),
]
