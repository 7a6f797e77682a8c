from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "connecting.surveys"
    label = "surveys"
    verbose_name = "Surveys"
