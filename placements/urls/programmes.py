from django.urls import path

from placements.views import programmes as views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("<int:programme_id>/", views.programme_detail, name="detail"),
    path("<int:programme_id>/edit/", views.programme_edit, name="edit"),
    path("<int:programme_id>/cohorts/new/", views.cohort_create, name="cohort_create"),
    path("<int:programme_id>/cohorts/<int:cohort_id>/edit/", views.cohort_edit, name="cohort_edit"),
    path("<int:programme_id>/enrolments/new/", views.enrolment_add, name="enrolment_add"),
    path("<int:programme_id>/enrolments/upload/", views.enrolment_upload, name="enrolment_upload"),
    path(
        "<int:programme_id>/enrolments/<int:enrolment_id>/cohort/",
        views.enrolment_move,
        name="enrolment_move",
    ),
    path(
        "<int:programme_id>/enrolments/<int:enrolment_id>/remove/",
        views.enrolment_remove,
        name="enrolment_remove",
    ),
]
