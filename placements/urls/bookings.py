from django.urls import path

from placements.views import bookings as views

app_name = "bookings"

urlpatterns = [
    path("request/<int:slot_id>/", views.booking_request_view, name="request"),
]
