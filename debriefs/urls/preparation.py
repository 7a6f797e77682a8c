from django.urls import path

from debriefs.views import preparation as views

app_name = "preparation"

urlpatterns = [
    path("preparation/", views.preparation_view, name="preparation"),
    path("joining-instructions/", views.joining_instructions_view, name="joining_instructions"),
    path("briefing-pack/", views.briefing_pack_download, name="briefing_pack"),
]
