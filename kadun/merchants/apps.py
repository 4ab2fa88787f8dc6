from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "kadun.merchants"
    label = "merchants"

    def ready(self):
        from kadun.merchants import deposit, withdrawals  # noqa: F401  (gate checks, deadline handlers, outbox senders, payment listeners)
