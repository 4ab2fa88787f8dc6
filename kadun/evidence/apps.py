from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "kadun.evidence"
    label = "evidence"
    verbose_name = "存证"

    def ready(self):
        from kadun.evidence import complaints_sources  # noqa: F401  (registers the complaint board's sources)
