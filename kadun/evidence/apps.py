from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "kadun.evidence"
    label = "evidence"
    verbose_name = "存证"

    def ready(self):
        from kadun.evidence import complaints_sources  # noqa: F401  (registers the complaint board's sources)
        # Every app's evidence sources (``<app>/evidence.py``; aftersales': ``evidence_sources.py``),
        # so evidence-check knows them all whatever has been imported yet.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("evidence", "evidence_sources")
