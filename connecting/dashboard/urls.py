from django.urls import path

from connecting.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("refresh/", views.dashboard_refresh, name="refresh"),
    path("impact-pack/", views.impact_pack_page, name="impact_pack"),
    path("impact-pack.pdf", views.impact_pack_download, name="impact_pack_pdf"),
]
