from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "kadun.aftersales"
    label = "aftersales"

    def ready(self):
        from kadun.aftersales import deadlines  # noqa: F401  (registers deadline handlers)
        from kadun.aftersales import evidence  # noqa: F401  (registers the evidence_publish outbox sender)
        from kadun.aftersales.selectors import holds_order
        from kadun.orders.services import hold_register

        hold_register("refund_request", holds_order)
