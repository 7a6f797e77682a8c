from django.urls import path

from connecting import outbox_views

app_name = "outbox"

urlpatterns = [
    path("", outbox_views.outbox_list, name="list"),
    path("<int:message_id>/", outbox_views.outbox_detail, name="detail"),
    path("<int:message_id>/retry/", outbox_views.outbox_retry_view, name="retry"),
]
