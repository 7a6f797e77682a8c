from django.urls import path

from debriefs.views import review as views
from debriefs.views import themes as theme_views

app_name = "review"

urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("<int:debrief_id>/", views.review_detail, name="detail"),
    path("<int:debrief_id>/start/", views.review_start, name="start"),
    path("<int:debrief_id>/changes/", views.review_request_changes, name="request_changes"),
    path("<int:debrief_id>/approve/", views.review_approve, name="approve"),
    path("<int:debrief_id>/publish/", views.review_publish, name="publish"),
    path("<int:debrief_id>/unpublish/", views.review_unpublish, name="unpublish"),
    path("<int:debrief_id>/reopen/", views.review_reopen, name="reopen"),
    path("<int:debrief_id>/comment/", views.review_comment, name="comment"),
    path("<int:debrief_id>/assign/", views.review_assign, name="assign"),
    path("<int:debrief_id>/flag/", views.review_flag, name="flag"),
    path("themes/", theme_views.theme_rollup_view, name="themes"),
    path("actions/", views.policy_action_list_view, name="policy_actions"),
    path("actions/<int:action_id>/", views.policy_action_edit, name="policy_action"),
    path("export/debriefs.csv", views.export_debriefs, name="export_debriefs"),
    path("export/actions.csv", views.export_actions, name="export_actions"),
]
