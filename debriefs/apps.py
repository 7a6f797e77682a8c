from django.apps import AppConfig


class DebriefsConfig(AppConfig):
    name = "debriefs"
    verbose_name = "Debriefs and learning"
