"""`kadun reconcile --provider alipay`: the 业务明细 bill downloaded through the signed
alipay.data.dataservice.bill.downloadurl.query from the offline gateway (built from its own
books) against ours; every kind of difference, and a bad file that stores nothing."""
from __future__ import annotations

import pytest

from kadun.payments.models import ReconciliationDifference, ReconciliationRun
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.reconcile_helpers import alipay_paid, next_day, reconcile, refund

pytestmark = pytest.mark.django_db


def kinds(run=None) -> list[tuple]:
    run = run or ReconciliationRun.objects.latest("pk")
    return list(run.differences.order_by("pk").values_list("kind", "out_trade_no", "refund_no", "gateway_amount", "our_amount"))


def test_books_that_agree_give_no_difference_and_exit_zero(alipay):  # noqa: F811
    order, no = alipay_paid(alipay, price=1010)
    issued = refund(order, 300)
    _second, no2 = alipay_paid(alipay, price=2999)
    code, out, err = reconcile("alipay", next_day())
    assert code == 0, err
    run = ReconciliationRun.objects.get()
    assert (run.provider, run.source, run.lines_read, run.matched, run.difference_count) == ("alipay", "gateway", 3, 3, 0)
    assert "3 lines read, 3 matched, 0 differences" in out and "reconcile: OK" in out
    assert issued.status == "succeeded"
    # the download went through the signed API, then the short-lived URL
    assert [c[2].get("method") for c in alipay.server.calls if c[1] == "/gateway.do"][-1] == "alipay.data.dataservice.bill.downloadurl.query"


def test_paid_at_alipay_but_not_here_is_listed(alipay):  # noqa: F811
    from conftest import buy, make_product

    alipay_paid(alipay)
    order, _t, pay_url = buy(make_product(keys=1, price=500), provider="alipay")
    alipay.open(pay_url)
    alipay.pay(order.payment.out_trade_no)  # the notification never arrived
    code, out, _ = reconcile("alipay", next_day())
    assert code == 1
    assert kinds() == [("gateway_only", order.payment.out_trade_no, "", 500, 500)]
    assert "gateway_only: 1" in out
    assert ReconciliationDifference.objects.get().note == "本站状态：待支付"


def test_paid_here_but_absent_from_the_bill_is_listed(alipay):  # noqa: F811
    _order, no = alipay_paid(alipay, price=1200)
    alipay.trades[no]["status"] = "TRADE_CLOSED"  # the gateway has no such payment
    code, out, _ = reconcile("alipay", next_day())
    assert code == 1
    assert kinds() == [("ours_only", no, "", None, 1200)]


@pytest.mark.parametrize("gateway_says", ["10.09", "10.11"])
def test_one_fen_either_way_is_an_amount_difference(alipay, gateway_says):  # noqa: F811
    _order, no = alipay_paid(alipay, price=1010)
    alipay.trades[no]["total_amount"] = gateway_says
    code, _out, _ = reconcile("alipay", next_day())
    assert code == 1
    run = ReconciliationRun.objects.get()
    assert (run.matched, kinds()) == (0, [("amount", no, "", int(gateway_says.replace(".", "")), 1010)])


def test_a_refund_at_alipay_that_we_never_made_is_listed(alipay):  # noqa: F811
    order, no = alipay_paid(alipay, price=1010)
    from kadun.core import clock

    alipay.refunds["R-NOT-OURS"] = {"out_trade_no": no, "amount": "1.00", "at": clock.now()}
    code, _out, _ = reconcile("alipay", next_day())
    assert code == 1
    assert kinds() == [("refund_gateway_only", no, "R-NOT-OURS", 100, None)]
    assert ReconciliationDifference.objects.get().note == "本站无此退款单"


def test_our_refund_missing_at_alipay_is_listed(alipay):  # noqa: F811
    order, no = alipay_paid(alipay, price=1010)
    issued = refund(order, 1010)
    del alipay.refunds[issued.refund_no]
    code, _out, _ = reconcile("alipay", next_day())
    assert code == 1
    assert kinds() == [("refund_ours_only", no, issued.refund_no, None, 1010)]


def test_a_refund_amount_off_by_one_fen_is_listed(alipay):  # noqa: F811
    order, no = alipay_paid(alipay, price=1010)
    issued = refund(order, 500)
    alipay.refunds[issued.refund_no]["amount"] = "5.01"
    code, _out, _ = reconcile("alipay", next_day())
    assert code == 1
    assert kinds() == [("refund_amount", no, issued.refund_no, 501, 500)]


def test_a_payment_booked_here_the_day_before_still_matches(alipay):  # noqa: F811
    """Paid at 23:59:59 here, 00:00:01 at the gateway: the stray row is found by number."""
    import datetime as dt

    from kadun.payments.models import Payment
    from kadun.payments.tests.reconcile_helpers import SHANGHAI

    _order, no = alipay_paid(alipay, price=1010)
    day = next_day()
    payment = Payment.objects.get(out_trade_no=no)
    Payment.objects.filter(pk=payment.pk).update(
        paid_at=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(23, 59, 59), tzinfo=SHANGHAI))
    code, _out, _ = reconcile("alipay", day)
    assert code == 0
    assert ReconciliationRun.objects.get().matched == 1


def test_a_bill_for_a_day_not_yet_published_is_a_clear_error_and_stores_nothing(alipay):  # noqa: F811
    from kadun.payments.tests.reconcile_helpers import today

    alipay_paid(alipay)
    code, out, err = reconcile("alipay", today())
    assert code == 2
    assert "download_failed" in err and "isp.bill_not_exist" in err and "nothing stored" in err
    assert ReconciliationRun.objects.count() == 0
