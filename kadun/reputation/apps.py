from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "kadun.reputation"
    label = "reputation"
    verbose_name = "信用"
