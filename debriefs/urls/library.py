from django.urls import path

from debriefs.views import library as views

app_name = "library"

urlpatterns = [
    path("", views.insight_list, name="list"),
    path("you-said-we-did/", views.you_said_we_did, name="you_said_we_did"),
    path("<int:insight_id>/", views.insight_detail, name="detail"),
]
