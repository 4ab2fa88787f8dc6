from django.apps import AppConfig


class ReportConfig(AppConfig):
    name = "kadun.report"
    label = "report"
    verbose_name = "透明度报告"

    def ready(self):
        from kadun.report import deadlines  # noqa: F401  (the daily report's worker duty)
