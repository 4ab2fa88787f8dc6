from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "kadun.backoffice"
    label = "backoffice"
