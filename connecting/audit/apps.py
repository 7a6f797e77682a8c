from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "connecting.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from allauth.account.signals import user_logged_in
        from django.contrib.auth.signals import user_login_failed

        from connecting.audit import signals

        user_logged_in.connect(signals.record_sign_in, dispatch_uid="audit_sign_in")
        user_login_failed.connect(signals.record_sign_in_failed, dispatch_uid="audit_sign_in_failed")
