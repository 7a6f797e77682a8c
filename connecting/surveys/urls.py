from django.urls import path

from connecting.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list_view, name="list"),
    path("new/", views.survey_create_view, name="create"),
    path("<int:survey_id>/", views.survey_detail_view, name="detail"),
    path("<int:survey_id>/edit/", views.survey_edit_view, name="edit"),
    path("<int:survey_id>/open/", views.survey_open_view, name="open"),
    path("<int:survey_id>/close/", views.survey_close_view, name="close"),
    path("<int:survey_id>/results/", views.survey_results_view, name="results"),
    path("<int:survey_id>/answer/", views.survey_answer_view, name="answer"),
    path("<int:survey_id>/thank-you/", views.survey_thanks_view, name="thanks"),
]
