from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kadun.accounts"
    label = "accounts"
