from kadun.payments.models import Payment, Refund, SandboxTrade


def payment_of(order) -> Payment | None:
    return Payment.objects.filter(order=order).first()


def refunds_of(order):
    return Refund.objects.filter(order=order).order_by("id")


def sandbox_trade(out_trade_no: str) -> SandboxTrade | None:
    return SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()


def payment_choices(*, wallet: bool) -> list[tuple[str, str]]:
    """(provider, label) that checkout may offer now (``KADUN_PAYMENT_PROVIDERS``); the wallet
    only when ``wallet`` (a logged-in buyer)."""
    from kadun.payments import providers

    return providers.choices(wallet=wallet)


def wechat_trade(out_trade_no: str):
    from kadun.payments.models import WechatTrade

    return WechatTrade.objects.filter(out_trade_no=out_trade_no).first()
