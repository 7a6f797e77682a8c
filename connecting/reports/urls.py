from django.urls import path

from connecting.reports import views

app_name = "reports"

urlpatterns = [
    path("exports/", views.export_form, name="exports"),
    path("exports/mine/", views.export_list, name="mine"),
    path("exports/<int:job_id>/download/", views.export_download, name="download"),
]
