from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "kadun.merchants"
    label = "merchants"

    def ready(self):
        from kadun.merchants import deposit, withdrawals  # noqa: F401  (gate checks, deadline handlers, outbox senders, payment listeners)
        from kadun.merchants import badges  # noqa: F401  (registers the nightly badge recompute)
        from kadun.merchants import onboarding  # noqa: F401  (registers the 资质审核 SELL_CHECK, first in the gate)
        from kadun.merchants import onboarding_files  # noqa: F401  (registers the file publisher)
