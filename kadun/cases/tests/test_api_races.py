"""Case API requests that race, with real threads on PostgreSQL: one Idempotency-Key posts one
message however many copies of the request arrive together; two accepts of one offer pay once."""
from __future__ import annotations

from functools import partial

import pytest

from conftest import together
from kadun.backoffice.selectors import platform_check
from kadun.cases.models import CaseMessage
from kadun.cases.tests.api_flows import buyer_case
from kadun.cases.tests.apiclient import post, with_key
from kadun.payments.models import Refund

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
TRIALS = 5


def test_copies_of_a_message_sent_together_with_one_key_post_it_once():
    for trial in range(TRIALS):
        order, _buyer, _merchant, _case = buyer_case()
        body = f"补充：充值时提示已使用（{trial}）"

        url = f"/api/orders/{order.order_no}/messages"
        clients = [with_key(order.buyer) for _ in range(3)]  # one client per thread; the same caller

        answers = together(*[partial(post, c, url, {"body": body}, headers={"Idempotency-Key": "same"}) for c in clients])

        statuses = sorted(a.status_code for a in answers)
        assert statuses[0] == 201 and set(statuses) <= {201, 409}, statuses
        busy = [a.json()["code"] for a in answers if a.status_code == 409]
        assert set(busy) <= {"idempotency_key_in_use"}
        assert CaseMessage.objects.filter(order=order, body=body).count() == 1


def test_two_accepts_of_one_offer_sent_together_pay_once():
    for _ in range(TRIALS):
        order, buyer, merchant, case = buyer_case(kind="refund_dispute", price=1234)
        offer = post(merchant, f"/api/merchant/cases/{case['case_no']}/offers", {"remedy": "partial_refund", "amount": 500}).json()

        url = f"/api/cases/{case['case_no']}/offers/{offer['id']}/accept"

        answers = together(partial(post, buyer, url), partial(post, with_key(order.buyer), url))

        assert sorted(a.status_code for a in answers) == [200, 409]
        assert [a.json()["code"] for a in answers if a.status_code == 409] == ["offer_closed"]
        assert list(Refund.objects.filter(order=order).values_list("amount", flat=True)) == [500]
    report = platform_check()
    assert report.ok, report.problems
