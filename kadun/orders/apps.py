from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kadun.orders"
    label = "orders"

    def ready(self):
        from kadun.orders import deadlines  # noqa: F401  (registers deadline handlers)
        from kadun.orders import services  # noqa: F401  (registers order_on_paid, told by payments of a succeeded payment)
