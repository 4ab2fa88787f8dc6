from kadun.payments.models import Payment, Refund, SandboxTrade


def payment_of(order) -> Payment | None:
    return Payment.objects.filter(order=order).first()


def refunds_of(order):
    return Refund.objects.filter(order=order).order_by("id")


def sandbox_trade(out_trade_no: str) -> SandboxTrade | None:
    return SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
