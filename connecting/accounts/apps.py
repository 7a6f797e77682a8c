from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "connecting.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from allauth.mfa.signals import authenticator_removed
        from django.contrib.auth.signals import user_logged_in

        from connecting.accounts.middleware import mfa_seen_at_sign_in, mfa_seen_clear

        user_logged_in.connect(mfa_seen_at_sign_in, dispatch_uid="mfa_seen_at_sign_in")
        authenticator_removed.connect(mfa_seen_clear, dispatch_uid="mfa_seen_clear")
