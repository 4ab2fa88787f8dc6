from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "kadun.reputation"
    label = "reputation"
    verbose_name = "信用"

    def ready(self):
        from kadun.orders.services import refunded_listen
        from kadun.reputation import deadlines  # noqa: F401  (credit refresh, nightly, ban settlement)
        from kadun.reputation import review_images  # noqa: F401  (the picture's publish message)
        from kadun.reputation import services

        refunded_listen(lambda order_id, key: services.score_refresh_order(order_id=order_id))
