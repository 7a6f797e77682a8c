from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "connecting.reports"
    label = "reports"
    verbose_name = "Reports and exports"
