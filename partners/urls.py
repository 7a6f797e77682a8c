from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("dashboard/", views.partner_dashboard, name="dashboard"),
    path("<int:partner_id>/", views.partner_detail, name="detail"),
    path("<int:partner_id>/invite/", views.partner_contact_invite, name="invite"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
