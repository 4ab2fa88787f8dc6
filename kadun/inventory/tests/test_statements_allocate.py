"""``keys_allocate``: one key without a savepoint; several keys in a savepoint whose rollback,
when stock is short, undoes a partial sale and releases the keys it locked (PostgreSQL)."""
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conftest import buy, make_product
from kadun.inventory.models import CardKey
from kadun.inventory.services import keys_allocate
from kadun.inventory.states import KeyStatus


def _sql(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
def test_one_key_is_taken_in_three_statements_without_savepoint():
    """Find, sell, and log the delivery in the evidence log (docs/evidence.md)."""
    product = make_product(keys=2)
    order, _, _ = buy(product)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        ids = keys_allocate(order_id=order.pk, product_id=product.pk, quantity=1)
    assert len(ids) == 1 and len(_sql(ctx)) == 3, _sql(ctx)
    key = CardKey.objects.get(pk=ids[0])
    assert (key.status, key.order_id) == (KeyStatus.SOLD, order.pk)
    assert ids[0] == CardKey.objects.filter(product=product).order_by("id").values_list("id", flat=True)[0]


@pytest.mark.django_db
def test_no_key_left_returns_none_and_the_callers_transaction_goes_on():
    product = make_product(keys=1)
    first, _, _ = buy(product)
    second, _, _ = buy(product)
    with transaction.atomic():
        assert keys_allocate(order_id=first.pk, product_id=product.pk, quantity=1)
        assert keys_allocate(order_id=second.pk, product_id=product.pk, quantity=1) is None
        assert CardKey.objects.filter(order=second).count() == 0  # still usable
    assert CardKey.objects.filter(order=first).count() == 1


@pytest.mark.django_db
def test_several_keys_short_sells_none():
    product = make_product(keys=1)
    order, _, _ = buy(product)
    with transaction.atomic():
        assert keys_allocate(order_id=order.pk, product_id=product.pk, quantity=2) is None
        assert CardKey.objects.filter(product=product, status=KeyStatus.AVAILABLE).count() == 1
    assert keys_allocate(order_id=order.pk, product_id=product.pk, quantity=1) is not None


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_several_keys_short_leaves_no_key_locked_for_other_buyers():
    product = make_product(keys=1)
    short, _, _ = buy(product)
    other, _, _ = buy(product)
    seen = {}

    def other_buyer():
        try:
            with transaction.atomic():
                seen["ids"] = keys_allocate(order_id=other.pk, product_id=product.pk, quantity=1)
        finally:
            connection.close()

    with transaction.atomic():
        assert keys_allocate(order_id=short.pk, product_id=product.pk, quantity=2) is None
        # Still inside the short order's transaction (its refund would follow here): the key it
        # found and locked must already be free for a concurrent buyer, not skipped as locked.
        thread = threading.Thread(target=other_buyer)
        thread.start()
        thread.join(30)
    assert seen["ids"] and CardKey.objects.get(pk=seen["ids"][0]).order_id == other.pk
