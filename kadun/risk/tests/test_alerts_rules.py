"""异常订单预警: each rule fires on its scenario, with the facts behind it, and not just under its
threshold. Orders, sold keys and refund requests are bulk-inserted (alert_helpers)."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_product, make_shop, make_user
from kadun.catalog.services import product_update
from kadun.core import clock
from kadun.inventory.models import ImportBatch
from kadun.risk.models import RiskAlert
from kadun.risk.services import lure_check
from kadun.risk.tests import alert_helpers as h

pytestmark = [pytest.mark.django_db, pytest.mark.evidence_tampered]


def _alerts(kind):
    return list(RiskAlert.objects.filter(kind=kind))


def test_burst_of_orders_from_one_account_raises_one_alert_with_its_orders():
    product = make_product()
    h.age_product(product, 60)
    buyer = make_user()
    start = clock.now() - dt.timedelta(hours=1)
    made = h.orders([(product, start + dt.timedelta(seconds=20 * i), buyer.pk, "", 1) for i in range(22)])  # 22 in 7 min
    h.sweep()
    [alert] = _alerts("order_burst")
    assert alert.subject == f"buyer:{buyer.pk}" and alert.shop_id == product.shop_id
    assert alert.details["count"] == 22 and alert.details["threshold"] == 20 and alert.details["window_minutes"] == 10
    assert alert.details["order_ids"] == [o.pk for o in made]


def test_burst_from_one_guest_contact_counts_it_however_it_is_typed():
    product = make_product()
    start = clock.now() - dt.timedelta(hours=1)
    typed = ["Bot@Example.com", "bot@example.com ", "bot@example.com"]
    h.orders([(product, start + dt.timedelta(seconds=15 * i), None, typed[i % 3], 1) for i in range(21)])
    h.sweep()
    [alert] = _alerts("order_burst")
    assert alert.details["contact"] == "bot@example.com" and alert.details["count"] == 21


def test_burst_from_one_device_across_several_accounts_is_flagged_by_the_device():
    product = make_product()
    h.age_product(product, 60)
    accounts = [make_user() for _ in range(5)]
    start = clock.now() - dt.timedelta(hours=1)
    device = "d" * 64
    h.orders([(product, start + dt.timedelta(seconds=20 * i), accounts[i % 5].pk, "", 1, "", device) for i in range(20)])  # 4 each
    h.sweep()
    [alert] = _alerts("order_burst")
    assert alert.subject == "device:" + device
    assert (alert.details["count"], alert.details["threshold"], alert.details["accounts"], alert.details["source"]) == (20, 20, 5, "device")


def test_a_busy_shared_address_under_its_higher_threshold_is_not_a_burst():
    """40 orders in ten minutes from one café's address, by 40 people on their own devices: an
    address takes 50 (KADUN_ALERT_BURST["address_orders"]); 50 would be."""
    product = make_product()
    h.age_product(product, 60)
    people = [make_user() for _ in range(50)]
    start = clock.now() - dt.timedelta(hours=1)
    ip = "a" * 64
    h.orders([(product, start + dt.timedelta(seconds=10 * i), people[i].pk, "", 1, ip, f"{i:064d}") for i in range(40)])
    h.sweep()
    assert not RiskAlert.objects.exists()
    h.orders([(product, start + dt.timedelta(seconds=400 + i), people[40 + i].pk, "", 1, ip, f"{40 + i:064d}") for i in range(10)])
    h.sweep()
    [alert] = _alerts("order_burst")
    assert alert.subject == "ip:" + ip and alert.details["count"] == 50 and alert.details["threshold"] == 50


def test_orders_under_the_burst_threshold_raise_nothing():
    product = make_product()
    h.age_product(product, 60)
    buyer = make_user()
    start = clock.now() - dt.timedelta(hours=2)
    # 19 in ten minutes, then 19 more an hour later: never 20 within 10 minutes
    h.orders([(product, start + dt.timedelta(seconds=30 * i), buyer.pk, "", 1) for i in range(19)])
    h.orders([(product, start + dt.timedelta(minutes=60, seconds=30 * i), buyer.pk, "", 1) for i in range(19)])
    h.sweep()
    assert not RiskAlert.objects.exists()


def test_buyer_reporting_most_of_many_keys_invalid_is_flagged():
    product = make_product()
    buyer = make_user()
    start = clock.now() - dt.timedelta(days=5)
    bought = h.orders([(product, start + dt.timedelta(hours=6 * i), buyer.pk, "", 1) for i in range(12)])
    keys = h.sold_keys(bought)
    h.invalid_requests(h.pairs(bought[:8], keys[:8]))  # 8 of 12 = 66 %
    h.sweep()
    [alert] = _alerts("invalid_claims")
    assert alert.subject == f"buyer:{buyer.pk}"
    assert (alert.details["keys_bought"], alert.details["keys_reported_invalid"], alert.details["share_percent"]) == (12, 8, 66)
    assert alert.details["order_ids"] == sorted(o.pk for o in bought[:8])


def test_buyer_reporting_half_of_their_keys_is_not_flagged():
    product = make_product()
    buyer = make_user()
    start = clock.now() - dt.timedelta(days=5)
    bought = h.orders([(product, start + dt.timedelta(hours=6 * i), buyer.pk, "", 1) for i in range(12)])
    keys = h.sold_keys(bought)
    h.invalid_requests(h.pairs(bought[:6], keys[:6]))  # 50 % < 60 %
    h.sweep()
    assert not _alerts("invalid_claims")


def _guests(product, start, count, step):
    return h.orders([(product, start + step * i, None, f"g{i}-{product.pk}@example.com", 1) for i in range(count)])


def test_a_batch_whose_invalid_rate_jumps_is_flagged_per_product_and_batch():
    product = make_product()
    h.age_product(product, 60)
    batch = ImportBatch.objects.create(shop_id=product.shop_id, product=product, source="test", created_at=clock.now() - dt.timedelta(days=30))
    old = _guests(product, clock.now() - dt.timedelta(days=14), 140, dt.timedelta(hours=2))  # 10 a day for two weeks
    old_keys = h.sold_keys(old, batch_id=batch.pk)
    h.invalid_requests([(old[3], [old_keys[3].pk]), (old[50], [old_keys[50].pk])])  # baseline 2 of 140
    recent = _guests(product, clock.now() - dt.timedelta(hours=20), 20, dt.timedelta(minutes=50))
    recent_keys = h.sold_keys(recent, batch_id=batch.pk)
    h.invalid_requests(h.pairs(recent[::2][:8], recent_keys[::2][:8]), at=clock.now() - dt.timedelta(minutes=10))  # 8 of 20
    h.sweep()
    alerts = {a.subject: a for a in _alerts("invalid_rate_jump")}
    assert set(alerts) == {f"product:{product.pk}", f"batch:{batch.pk}"}
    facts = alerts[f"batch:{batch.pk}"].details
    assert (facts["reported_recent"], facts["sold_recent"], facts["rate_percent"]) == (8, 20, 40.0)
    assert facts["baseline_percent"] == pytest.approx(1.4, abs=0.05)


def test_a_steady_invalid_rate_is_not_a_jump():
    product = make_product()
    h.age_product(product, 60)
    old = _guests(product, clock.now() - dt.timedelta(days=14), 140, dt.timedelta(hours=2))
    old_keys = h.sold_keys(old)
    h.invalid_requests(h.pairs(old[::4], old_keys[::4]))  # 25 % all along
    recent = _guests(product, clock.now() - dt.timedelta(hours=20), 20, dt.timedelta(minutes=50))
    recent_keys = h.sold_keys(recent)
    h.invalid_requests(h.pairs(recent[::3], recent_keys[::3]), at=clock.now() - dt.timedelta(minutes=10))  # 7 of 20
    h.sweep()
    assert not _alerts("invalid_rate_jump")


def test_sales_spike_on_new_unreviewed_products_is_flagged():
    shop = make_shop()
    usual = make_product(shop)
    h.age_product(usual, 90)
    _guests(usual, clock.now() - dt.timedelta(days=15), 28, dt.timedelta(hours=12))  # two a day, until 36 h ago
    fresh = make_product(shop)  # created now: new, no review
    Product = type(fresh)
    Product.objects.filter(pk=fresh.pk).update(created_at=clock.now() - dt.timedelta(days=2))
    _guests(fresh, clock.now() - dt.timedelta(hours=23), 40, dt.timedelta(minutes=30))
    h.sweep()
    [alert] = _alerts("sales_spike")
    assert alert.subject == f"shop:{shop.pk}" and alert.shop_id == shop.pk
    assert alert.details["orders_24h"] == 40 and alert.details["product_ids"] == [fresh.pk]
    assert alert.details["new_share_percent"] == 100 and alert.details["daily_average"] == 2.0


def test_a_busy_shop_selling_its_established_products_is_not_a_spike():
    shop = make_shop()
    usual = make_product(shop)
    h.age_product(usual, 90)
    _guests(usual, clock.now() - dt.timedelta(days=15), 15 * 48, dt.timedelta(minutes=30))  # 48 a day, every day
    h.sweep()
    assert not _alerts("sales_spike")


def test_price_change_then_flash_of_orders_is_flagged():
    product = make_product(price=5000)
    h.age_product(product, 60)
    clock.advance(dt.timedelta(hours=-2))
    product_update(shop=product.shop, product_id=product.pk, data={"price": 990})
    changed_at = clock.now()
    clock.advance(dt.timedelta(hours=2))
    _guests(product, changed_at - dt.timedelta(minutes=25), 2, dt.timedelta(minutes=10))
    flash = _guests(product, changed_at + dt.timedelta(minutes=1), 18, dt.timedelta(minutes=1))
    h.sweep()
    [alert] = _alerts("price_flash")
    assert alert.subject == f"product:{product.pk}" and alert.shop_id == product.shop_id
    assert (alert.details["old_price"], alert.details["new_price"]) == (5000, 990)
    assert alert.details["orders_after"] == 18 and alert.details["orders_before"] == 2
    assert alert.details["order_ids"] == [o.pk for o in flash]


def test_orders_after_a_price_change_at_the_usual_pace_are_not_a_flash():
    product = make_product(price=5000)
    h.age_product(product, 60)
    clock.advance(dt.timedelta(hours=-2))
    product_update(shop=product.shop, product_id=product.pk, data={"price": 4800})
    changed_at = clock.now()
    clock.advance(dt.timedelta(hours=2))
    _guests(product, changed_at - dt.timedelta(minutes=30), 60, dt.timedelta(minutes=1))  # one a minute, before and after
    h.sweep()
    assert not _alerts("price_flash")


def test_one_lure_in_two_shops_is_flagged_once_with_both_shops():
    one, two = make_shop(), make_shop()
    lure_check(text="加我微信 fastcard888 便宜", where="product_description", subject="product:1", author_id=one.owner_id,
               author_role="merchant", shop_id=one.pk)
    lure_check(text="售后请联系 V信：FastCard888", where="delivery_note", subject="order:2", author_id=two.owner_id,
               author_role="merchant", shop_id=two.pk)
    h.sweep()
    [alert] = _alerts("lure_across_shops")
    assert alert.details["shop_ids"] == sorted([one.pk, two.pk]) and alert.details["key"] == "c:fastcard888"
    assert len(alert.details["flag_ids"]) == 2


def test_one_lure_repeated_in_one_shop_is_not_across_shops():
    shop = make_shop()
    for subject in ("product:1", "product:2"):
        lure_check(text="加我微信 fastcard888", where="product_description", subject=subject, author_id=shop.owner_id,
                   author_role="merchant", shop_id=shop.pk)
    h.sweep()
    assert not _alerts("lure_across_shops")
