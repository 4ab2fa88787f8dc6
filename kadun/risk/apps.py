from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "kadun.risk"
    label = "risk"
    verbose_name = "风控"
