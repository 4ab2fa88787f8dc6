from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kadun.payments"
    label = "payments"

    def ready(self):
        from kadun.payments import checks, refunds_gateway, services  # noqa: F401  (deploy checks, outbox senders, the refunds duty)
        from kadun.payments import deadlines  # noqa: F401  (purges old notification nonces)
        from kadun.payments.providers import epusdt, sandbox, sandbox_payout, wallet, wechatpay, wechatpay_payout  # noqa: F401  (registers the providers)
        from kadun.payments.providers import alipay, alipay_payout, epay  # noqa: F401  (real gateways, enabled by settings)
