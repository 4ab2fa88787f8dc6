"""`kadun ledger-check`: clean on an honest history, loud (exit 1) on a tampered one."""
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from conftest import buy, make_product, pay, signed_notification
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.ledger import accounts as codes
from kadun.ledger.models import Posting
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.states import OrderStatus
from kadun.payments.services import notification_handle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ledger_check():
    """Run the command; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger_check", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def history(shop):
    """A normal day: settled, confirmed, delivered, unpaid, expired, paid late, sold out."""
    product = make_product(shop, keys=5, price=1999)
    settled, _, _ = buy(product)
    pay(settled)
    clock.advance(dt.timedelta(hours=24, seconds=1))
    deadlines_sweep_all()
    clock.advance(dt.timedelta(hours=72))
    deadlines_sweep_all()  # settled: pending -> available
    confirmed, _, _ = buy(product)
    pay(confirmed)
    clock.advance(dt.timedelta(hours=24, seconds=1))
    deadlines_sweep_all()
    delivered, _, _ = buy(product, quantity=2)
    pay(delivered)
    expired_late, _, _ = buy(product)
    clock.advance(dt.timedelta(minutes=16))
    deadlines_sweep_all()
    notification_handle(provider="sandbox", params=signed_notification(expired_late))  # refunded
    unpaid, _, _ = buy(make_product(shop, keys=1))
    outbox_deliver_all()
    statuses = {o.pk: o for o in (settled, confirmed, delivered, expired_late, unpaid)}
    for order in statuses.values():
        order.refresh_from_db()
    assert [o.status for o in statuses.values()] == [
        OrderStatus.CONFIRMED, OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.REFUNDED, OrderStatus.PENDING_PAYMENT,
    ]
    return {"delivered": delivered, "settled": settled, "shop": shop}


def test_ledger_check_is_clean_on_a_normal_history(history):
    code, out, err = ledger_check()
    assert code == 0
    assert "ledger-check: OK" in out
    assert "VIOLATION" not in err
    assert platform_check().ok


def test_ledger_check_detects_a_tampered_escrow_balance(history):
    order = history["delivered"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 1 WHERE code = %s", [codes.escrow(order.pk)])
    code, out, err = ledger_check()
    assert code == 1
    assert "ledger-check: OK" not in out
    assert f"VIOLATION account {codes.escrow(order.pk)}: stored balance" in err
    assert order.order_no in err  # the order's escrow no longer matches what it holds
    assert not platform_check().ok


def test_ledger_check_detects_a_tampered_merchant_balance(history):
    shop = history["shop"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_account SET balance = balance + 100000 WHERE code = %s", [codes.merchant_available(shop.pk)])
    code, _, err = ledger_check()
    assert code == 1
    assert f"account {codes.merchant_available(shop.pk)}: stored balance" in err


def test_ledger_check_detects_a_deleted_posting(history):
    """On SQLite a posting can be deleted behind the app's back, and ledger-check sees it; on
    PostgreSQL the database itself refuses the DELETE (trigger), and the books stay whole."""
    posting = Posting.objects.filter(account__code=codes.escrow(history["delivered"].pk)).first()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_posting WHERE id = %s", [posting.pk])
        assert Posting.objects.filter(pk=posting.pk).exists() and ledger_check()[0] == 0
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_posting WHERE id = %s", [posting.pk])
    code, _, err = ledger_check()
    assert code == 1
    assert f"entry {posting.entry_id}" in err


# -- keys: reveals against withdrawals ------------------------------------------------------


def _refunded_unrevealed_key(shop):
    from kadun.aftersales.services import refund_request_create
    from kadun.inventory.models import CardKey

    order = pay(buy(make_product(shop, keys=1, price=500))[0])
    key = CardKey.objects.get(order=order)
    refund_request_create(order=order, reason="unrevealed", key_ids=[key.pk])
    key.refresh_from_db()
    return order, key


def test_ledger_check_detects_a_reveal_after_the_keys_withdrawal(shop):
    from kadun.inventory.models import Reveal

    order, key = _refunded_unrevealed_key(shop)
    assert ledger_check()[0] == 0
    Reveal.objects.create(key=key, order=order, actor="guest", at=key.withdrawn_at + dt.timedelta(seconds=1))

    code, _out, err = ledger_check()

    assert code == 1
    assert f"key #{key.pk} (order #{order.pk}) revealed at or after its withdrawal" in err
    assert f"key #{key.pk} (order #{order.pk}) refunded as unrevealed but has a reveal log" in err


def test_ledger_check_detects_an_unrevealed_refund_of_a_revealed_key(shop):
    from kadun.inventory.models import CardKey

    order, key = _refunded_unrevealed_key(shop)
    CardKey.objects.filter(pk=key.pk).update(first_revealed_at=key.withdrawn_at - dt.timedelta(minutes=1))

    code, _out, err = ledger_check()

    assert code == 1
    assert f"key #{key.pk} (order #{order.pk}) refunded as unrevealed but was revealed" in err
