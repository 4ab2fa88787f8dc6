"""Real threads against PostgreSQL: the same refund's step run by several senders at once calls
the gateway once (the lease is a conditional UPDATE); staff answering one stuck refund twice at
once (重试 and 已线下退款) move it once."""
from __future__ import annotations

import pytest

from conftest import all_at_once, together
from kadun.core.errors import DomainError
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry
from kadun.ledger.selectors import balance_of
from kadun.notifications.services import outbox_deliver_all
from kadun.payments import refunds_gateway, refunds_staff
from kadun.payments.models import Refund, RefundEvent
from kadun.payments.states import RefundStatus as S
from kadun.payments.tests.gateway_fixtures import alipay  # noqa: F401 (fixture)
from kadun.payments.tests.refund_helpers import issue, paid_order, refund_gateway_calls, staff, step

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


def test_concurrent_sends_of_one_refund_call_the_gateway_once(alipay):  # noqa: F811
    order, _token = paid_order(alipay, "alipay")
    refund = issue(order)
    outcomes = all_at_once(lambda _i: refunds_gateway.refund_step(refund_id=refund.pk), range(8))
    assert sorted(outcomes) == ["noop"] * 7 + ["succeeded"]
    assert refund_gateway_calls(alipay) == 1 and list(alipay.refunds) == [refund.refund_no]
    outbox_deliver_all()  # the refund's own message finds it done
    assert refund_gateway_calls(alipay) == 1
    assert RefundEvent.objects.filter(refund=refund).count() == 1
    assert Refund.objects.get(pk=refund.pk).status == S.SUCCEEDED
    assert JournalEntry.objects.filter(kind="refund", ref_id=order.pk).count() == 1
    assert balance_of(codes.escrow(order.pk)) == 0


def test_two_staff_answering_one_stuck_refund_at_once_move_it_once(alipay):  # noqa: F811
    alipay.refund_refusals = ["ACQ.TRADE_HAS_FINISHED"]
    order, _token = paid_order(alipay, "alipay")
    refund = step(issue(order))
    assert refund.status == S.ATTENTION
    admin, _c = staff("admin")
    risk, _c = staff("risk")
    outcomes = together(
        lambda: refunds_staff.refund_requeue(refund_id=refund.pk, staff=admin).status,
        lambda: refunds_staff.refund_mark_manual(refund_id=refund.pk, staff=risk, reference="BANK-0001").status,
        lambda: refunds_staff.refund_mark_manual(refund_id=refund.pk, staff=admin, reference="BANK-0002").status,
    )
    won = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(won) == 1 and all(isinstance(o, DomainError) for o in outcomes if o not in won)
    assert RefundEvent.objects.filter(refund=refund, kind__in=["requeued", "manual_done"]).count() == 1
