from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kadun.core"
    label = "core"
