"""Helpers for the 换一种支付方式 / 重复支付 tests: a guest's browser on its order, the switch
through HTTP, and a sandbox notification for one particular payment (not the order's current)."""
from __future__ import annotations

from django.test import Client

from kadun.payments.models import Payment, SandboxTrade
from kadun.payments.providers import sandbox


def guest_client(token: str) -> Client:
    """A browser holding the guest's access link: the session is granted the order."""
    client = Client()
    response = client.get(f"/o/{token}/")
    assert response.status_code == 302
    return client


def switch(client: Client, order, provider: str, **extra):
    return client.post(f"/orders/{order.order_no}/pay/switch/", {"provider": provider}, **extra)


def sandbox_notification(payment: Payment) -> dict[str, str]:
    """The sandbox's signed success notification for this payment (its trade marked paid)."""
    SandboxTrade.objects.filter(out_trade_no=payment.out_trade_no).update(status="paid")
    return sandbox.notification_params(SandboxTrade.objects.get(out_trade_no=payment.out_trade_no))


def notify_sandbox(payment: Payment) -> str:
    return Client().post("/pay/notify/sandbox/", sandbox_notification(payment)).content.decode()


def payments(order) -> list[Payment]:
    return list(Payment.objects.filter(order=order).order_by("id"))
