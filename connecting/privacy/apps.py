from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """No models: subject access, erasure and retention over the other apps' data. Installed so
    Celery finds `connecting.privacy.tasks`."""

    name = "connecting.privacy"
    label = "privacy"
    verbose_name = "Privacy"
