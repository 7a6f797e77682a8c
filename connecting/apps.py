from django.apps import AppConfig


class ConnectingConfig(AppConfig):
    name = "connecting"
    verbose_name = "Connecting"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from connecting.middleware import session_clocks_start

        user_logged_in.connect(session_clocks_start, dispatch_uid="session_clocks_start")
