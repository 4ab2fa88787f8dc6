"""`kadun reconcile --provider wechatpay`: the v3 交易账单 (bill_type=ALL) applied for with a signed
GET /v3/bill/tradebill, downloaded with a signed GET and checked against the SHA1 the signed answer
gave, then reconciled with our books; a tampered download stores nothing."""
from __future__ import annotations

import pytest

from conftest import make_product
from kadun.payments.models import Payment, ReconciliationRun
from kadun.payments.tests.reconcile_helpers import next_day, reconcile, refund
from kadun.payments.tests.wechat_helpers import gateway, now_ts, post, wechat_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def refunds_settle_at_once(gateway):  # noqa: F811
    """WeChat answers a refund to 零钱 SUCCESS at once: ours is succeeded when the bill is read (a
    PROCESSING one stays processing here until its query, and is not money moved on either side)."""
    gateway.refund_status = "SUCCESS"


def wechat_paid(gateway, price=1010, provider="wechatpay"):  # noqa: F811
    order, _url = wechat_order(make_product(keys=2, price=price), provider=provider)
    no = Payment.objects.get(order=order).out_trade_no
    gateway.pay(no)
    assert post(*gateway.notification(no, timestamp=now_ts()), path=f"/pay/notify/{provider}/")[0] == 200
    order.refresh_from_db()
    return order, no


def differences() -> list[tuple]:
    run = ReconciliationRun.objects.latest("pk")
    return list(run.differences.order_by("pk").values_list("kind", "out_trade_no", "refund_no", "gateway_amount", "our_amount"))


def test_native_and_h5_payments_and_a_refund_that_agree_give_no_difference(gateway):  # noqa: F811
    order, _ = wechat_paid(gateway, price=1010)
    refund(order, 1010)
    wechat_paid(gateway, price=2000, provider="wechatpay_h5")
    code, out, err = reconcile("wechatpay", next_day())
    assert code == 0, err
    run = ReconciliationRun.objects.get()
    assert (run.lines_read, run.matched, run.difference_count, run.source) == (3, 3, 0, "gateway")
    paths = [p for _m, p in gateway.requests]
    assert any(p.startswith("/v3/bill/tradebill?bill_date=") and p.endswith("&bill_type=ALL") for p in paths)
    assert any(p.startswith("/v3/billdownload/file?token=") for p in paths)  # the download was signed too


def test_every_kind_of_difference_in_one_bill(gateway):  # noqa: F811
    from kadun.core import clock

    _o1, only_there = wechat_order(make_product(keys=1, price=700))[0], None
    only_there = Payment.objects.get(order=_o1).out_trade_no
    gateway.pay(only_there)  # paid at WeChat, never notified
    _o2, only_here = wechat_paid(gateway, price=800)
    gateway.trades[only_here]["trade_state"] = "CLOSED"
    _o3, off_by_one = wechat_paid(gateway, price=900)
    gateway.trades[off_by_one]["amount"] = 899
    o4, refunded = wechat_paid(gateway, price=1000)
    ours = refund(o4, 400)
    del gateway.refunds[ours.refund_no]
    gateway.refunds["RX-FOREIGN"] = {"refund_id": "503000999", "out_trade_no": refunded, "at": clock.now(),
                                     "amount": {"refund": 100, "total": 1000, "currency": "CNY"}}
    code, out, _ = reconcile("wechatpay", next_day())
    assert code == 1
    assert sorted(differences()) == sorted([
        ("gateway_only", only_there, "", 700, 700), ("ours_only", only_here, "", None, 800), ("amount", off_by_one, "", 899, 900),
        ("refund_ours_only", refunded, ours.refund_no, None, 400), ("refund_gateway_only", refunded, "RX-FOREIGN", 100, None),
    ])
    for kind in ("gateway_only: 1", "ours_only: 1", "amount: 1", "refund_ours_only: 1", "refund_gateway_only: 1"):
        assert kind in out
    assert ReconciliationRun.objects.get().matched == 1  # the 10.00 payment itself


def test_a_download_that_does_not_hash_to_the_signed_sha1_stores_nothing(gateway):  # noqa: F811
    wechat_paid(gateway)
    gateway.bill_tamper = lambda content: content.replace(b"`10.10", b"`1.10", 1)
    code, _out, err = reconcile("wechatpay", next_day())
    assert code == 2
    assert "hash_mismatch" in err
    assert ReconciliationRun.objects.count() == 0


def test_a_refund_still_processing_at_wechat_is_not_money_moved(gateway):  # noqa: F811
    order, _ = wechat_paid(gateway, price=1010)
    ours = refund(order, 500)
    gateway.refunds[ours.refund_no]["bill_status"] = "PROCESSING"
    code, _out, _ = reconcile("wechatpay", next_day())
    assert code == 1
    assert differences() == [("refund_ours_only", order.payment.out_trade_no, ours.refund_no, None, 500)]
