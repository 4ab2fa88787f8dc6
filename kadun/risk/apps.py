from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "kadun.risk"
    label = "risk"
    verbose_name = "风控"

    def ready(self):
        from kadun.risk import deadlines  # noqa: F401  (跑路 evaluation and the runaway disposal's refunds)
        from kadun.risk import runaway_gate

        runaway_gate.register()  # a frozen shop may not sell nor withdraw (merchants.gate)
