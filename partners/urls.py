from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("new/", views.partner_create, name="create"),
    path("dashboard/", views.partner_dashboard, name="dashboard"),
    path("<int:partner_id>/", views.partner_detail, name="detail"),
    path("<int:partner_id>/edit/", views.partner_edit, name="edit"),
    path("<int:partner_id>/status/", views.partner_status_change, name="status"),
    path("<int:partner_id>/capacity/", views.partner_capacity, name="capacity"),
    path("<int:partner_id>/blackouts/", views.partner_blackout_add, name="blackout_add"),
    path(
        "<int:partner_id>/blackouts/<int:blackout_id>/remove/",
        views.partner_blackout_remove,
        name="blackout_remove",
    ),
    path("<int:partner_id>/invite/", views.partner_contact_invite, name="invite"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
