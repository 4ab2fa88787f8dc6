import pytest
from conftest import buy, make_product, make_shop, pay
from kadun.aftersales import services
from kadun.inventory.models import CardKey
from kadun.orders.services import order_confirm
from kadun.ledger.selectors import sum_for_ref
from kadun.ledger import accounts as codes

pytestmark = pytest.mark.django_db

def test_probe():
    product = make_product(keys=5, price=333)
    order, _, _ = buy(product, quantity=3)
    order = pay(order)
    keys = list(CardKey.objects.filter(order=order).order_by("id"))
    r1 = services.refund_request_create(order=order, reason="unrevealed", key_ids=[keys[0].pk])
    print(r1.status, r1.amount_refunded)
    order_confirm(order_id=order.pk, actor="buyer")
    order.refresh_from_db(); print("fee", order.fee, order.status)
    r2 = services.refund_request_create(order=order, reason="unrevealed", key_ids=[keys[1].pk, keys[2].pk])
    order.refresh_from_db()
    print(r2.status, r2.amount_refunded, order.status, order.refunded_amount)
    print("fees kept", sum_for_ref(code=codes.PLATFORM_FEES, ref_type="order", ref_id=order.pk))
    print("pending", sum_for_ref(code=codes.merchant_pending(order.shop_id), ref_type="order", ref_id=order.pk))
    print("available", sum_for_ref(code=codes.merchant_available(order.shop_id), ref_type="order", ref_id=order.pk))
    print("advance", sum_for_ref(code=codes.PLATFORM_ADVANCE, ref_type="order", ref_id=order.pk))
    print("debt", sum_for_ref(code=codes.merchant_debt(order.shop_id), ref_type="order", ref_id=order.pk))
