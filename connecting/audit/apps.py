from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "connecting.audit"
    label = "audit"
    verbose_name = "Audit log"
