from django.db.models import Case, IntegerField, Value, When

from kadun.payments.models import Payment, Refund, SandboxTrade
from kadun.payments.states import PaymentStatus


def payment_of(order) -> Payment | None:
    """The order's payment that counts: the credited (succeeded) one, else the newest (the one the
    buyer is asked to pay now; an order may have several, 换一种支付方式)."""
    credited_first = Case(When(status=PaymentStatus.SUCCEEDED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return Payment.objects.filter(order=order).order_by(credited_first, "-id").first()


def credited_payment(order_id: int) -> Payment | None:
    """The one payment of the order whose money was credited (at most one: a DB constraint)."""
    return Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED).first()


def payments_count(order_id: int) -> int:
    return Payment.objects.filter(order_id=order_id).count()


def duplicates_of(order) -> list[dict]:
    """重复支付: the order's payments that succeeded after another was credited, each with its
    automatic refund (amount, status) for the order page."""
    rows = Payment.objects.filter(order=order, status=PaymentStatus.DUPLICATE).order_by("id")
    refunds = {r.payment_id: r for r in Refund.objects.filter(order=order, reason="duplicate_payment")}
    return [{"payment": p, "refund": refunds.get(p.pk)} for p in rows]


def payments_of(order) -> list[Payment]:
    """Every payment of the order, oldest first (staff: switched methods, 重复支付, failed tries)."""
    return list(Payment.objects.filter(order=order).order_by("id"))


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


def usdt_trade(out_trade_no: str):
    from kadun.payments.models import UsdtTrade

    return UsdtTrade.objects.filter(out_trade_no=out_trade_no).first()
