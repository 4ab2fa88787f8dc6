from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "kadun.evidence"
    label = "evidence"
    verbose_name = "存证"
