from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "connecting.accounts"
    label = "accounts"
    verbose_name = "Accounts"
