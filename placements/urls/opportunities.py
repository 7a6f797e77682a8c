from django.urls import path

from placements.views import opportunities as views

app_name = "opportunities"

urlpatterns = [
    path("", views.opportunity_list, name="list"),
    path("new/", views.opportunity_create, name="create"),
    path("<int:opportunity_id>/", views.opportunity_detail, name="detail"),
    path("<int:opportunity_id>/edit/", views.opportunity_edit, name="edit"),
    path("<int:opportunity_id>/status/", views.opportunity_status, name="status"),
    path("<int:opportunity_id>/slots/new/", views.slot_add, name="slot_add"),
    path("<int:opportunity_id>/slots/series/", views.slot_series_add, name="slot_series_add"),
    path("slots/<int:slot_id>/edit/", views.slot_edit, name="slot_edit"),
    path("slots/<int:slot_id>/remove/", views.slot_delete, name="slot_delete"),
]
