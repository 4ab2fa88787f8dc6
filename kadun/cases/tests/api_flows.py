"""Case flows over the API for the HTTP tests: open a case, take it to the platform, decide it;
and the money to look at (escrow, refunds, ledger-check)."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from kadun.backoffice.selectors import platform_check
from kadun.cases.tests.apiclient import post, with_key, with_session
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.payments.models import Refund

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
STATEMENT = "卡密提示已被使用，无法充值"
REASONS = "卡密在首次查看前已被使用，验货记录为证"


def png(name="shot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def open_case(client, order, **data):
    data = {"kind": "key_problem", "statement": STATEMENT, "remedy": "full_refund", **data}
    response = post(client, f"/api/orders/{order.order_no}/cases", data)
    assert response.status_code == 201, response.content
    return response.json()


def buyer_case(kind="key_problem", **order_kw):
    order = delivered_order(**order_kw)
    buyer, merchant = with_key(order.buyer), with_key(order.shop.owner)
    case = open_case(buyer, order, kind=kind)
    return order, buyer, merchant, case


def at_platform(**order_kw):
    """A key-problem case the merchant left unanswered: with the platform after 48 h."""
    order, buyer, merchant, case = buyer_case(**order_kw)
    later(hours=48, seconds=1)
    return order, buyer, merchant, case


def decided(remedy="full_refund", fault="merchant", **order_kw):
    order, buyer, merchant, case = at_platform(**order_kw)
    arbitrator = staff("arbitrator")
    response = post(with_session(arbitrator), f"/api/staff/cases/{case['case_no']}/decide",
                    {"remedy": remedy, "fault": fault, "reasons": REASONS, "clauses": [1], **({"amount": 450} if remedy == "partial_refund" else {})})
    assert response.status_code == 201, response.content
    return order, buyer, merchant, case, arbitrator


def escrow(order) -> int:
    return balance_of(codes.escrow(order.pk))


def refunds_of(order) -> list[int]:
    return list(Refund.objects.filter(order=order).order_by("id").values_list("amount", flat=True))


def clean():
    report = platform_check()
    assert report.ok, report.problems
