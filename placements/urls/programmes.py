from django.urls import path

from placements.views import programmes as views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
]
