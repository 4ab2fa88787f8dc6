from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    name = "kadun.insurance"
    label = "insurance"
    verbose_name = "售后保险"

    def ready(self):
        # Registers the pool's handlers with payments (a refund's shortfall, the claim) and the
        # premium's return with orders (an order refunded in full before its cover started).
        from kadun.insurance import services  # noqa: F401
