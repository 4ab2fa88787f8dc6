"""services.case_replacement_fulfil: the merchant keeps a replacement promise (补发) on a case
waiting for it — new keys from stock, or the service done again — and the case closes."""
from __future__ import annotations

import pytest

from kadun.cases import negotiation, services
from kadun.cases.errors import CaseClosed, InvalidCaseInput
from kadun.cases.models import Case
from kadun.cases.states import CaseStatus, Outcome
from kadun.cases.tests.helpers import delivered_order
from kadun.inventory.models import CardKey
from kadun.inventory.services import keys_import
from kadun.orders.models import Order

pytestmark = pytest.mark.django_db
S = CaseStatus


def _promised(order, kind: str):
    """The buyer accepted the merchant's offer to replace within 12 hours, and it could not be
    done from stock at once: the case waits for the merchant."""
    case = services.case_open(order=order, kind=kind, statement="卡密无法使用，请处理", remedy="replacement", author=order.buyer)
    offer = negotiation.offer_make(case=case, remedy="replacement", hours=12, author=order.shop.owner)
    negotiation.offer_accept(case=Case.objects.get(pk=case.pk), offer_id=offer.pk, author=order.buyer)
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.AWAITING_REPLACEMENT
    return case


def test_fulfil_with_no_stock_is_refused_and_nothing_changes():
    order = delivered_order(quantity=5)  # the product had 5 keys: none left
    case = _promised(order, "key_problem")
    with pytest.raises(InvalidCaseInput) as err:
        services.case_replacement_fulfil(case=case, author=order.shop.owner)
    assert err.value.code == "out_of_stock"
    case.refresh_from_db()
    assert case.status == S.AWAITING_REPLACEMENT
    assert CardKey.objects.filter(order=order, status="sold").count() == 5


def test_fulfil_after_restocking_replaces_the_keys_and_closes_the_case():
    order = delivered_order(quantity=5)
    case = _promised(order, "key_problem")
    old = set(CardKey.objects.filter(order=order, status="sold").values_list("pk", flat=True))
    product = Order.objects.get(pk=order.pk).product
    keys_import(product=product, lines=[(i + 1, f"NEW-KEY-{i:04d}-XYZ") for i in range(5)], source="test")
    services.case_replacement_fulfil(case=case, author=order.shop.owner)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.REPLACED)
    sold = set(CardKey.objects.filter(order=order, status="sold").values_list("pk", flat=True))
    assert len(sold) == 5 and not sold & old
    closed = case.events.get(kind="closed")
    assert closed.actor_id == order.shop.owner_id and "补发 5 个新卡密" in closed.note
    assert Order.objects.get(pk=order.pk).refund_hold is False


def test_a_service_is_done_again_with_a_note():
    order = delivered_order(delivery="manual")
    case = _promised(order, "service_dispute")
    with pytest.raises(InvalidCaseInput):
        services.case_replacement_fulfil(case=case, note="", author=order.shop.owner)
    services.case_replacement_fulfil(case=case, note="已重新为账号充值 60 元", author=order.shop.owner)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (S.CLOSED, Outcome.REPLACED)
    assert "已重新为账号充值" in case.events.get(kind="closed").note


def test_fulfil_is_refused_when_no_replacement_is_awaited():
    order = delivered_order()
    case = services.case_open(order=order, kind="key_problem", statement="卡密无法使用，请处理", remedy="full_refund", author=order.buyer)
    with pytest.raises(CaseClosed):
        services.case_replacement_fulfil(case=case, author=order.shop.owner)
    assert Case.objects.get(pk=case.pk).status == S.AWAITING_MERCHANT

