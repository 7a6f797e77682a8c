from django.urls import path

from placements.views import bookings as views

app_name = "bookings"

urlpatterns = [
    path("", views.booking_list, name="list"),
    path("request/<int:slot_id>/", views.booking_request_view, name="request"),
    path("requests/", views.booking_requests, name="requests"),
    path("requests/answer/", views.booking_answer_many_view, name="answer_many"),
    path("approve/<str:token>/", views.booking_manager, name="manager"),
    path("<int:booking_id>/", views.booking_detail, name="detail"),
    path("<int:booking_id>/cancel/", views.booking_cancel_view, name="cancel"),
    path("<int:booking_id>/accept/", views.booking_accept, name="accept"),
    path("<int:booking_id>/answer/", views.booking_answer, name="answer"),
    path("<int:booking_id>/attendance/", views.booking_attendance, name="attendance"),
]
