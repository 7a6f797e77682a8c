from django.apps import AppConfig


class ConnectingConfig(AppConfig):
    name = "connecting"
    verbose_name = "Connecting"
