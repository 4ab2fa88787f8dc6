"""脱离平台交易 flags: a lure in what someone writes is kept for risk staff with the text and who
wrote it; a repeat within the window is a violation — one breach per repeat on a merchant's
record, and one open alert about the author; staff are never flagged. And the places that write
such texts (product, delivery note, rejection note) check them."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import all_at_once, buy, make_product, make_shop, make_user, pay
from kadun.aftersales.services import refund_request_create, refund_request_respond
from kadun.catalog.services import product_create, product_update
from kadun.core import clock
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.merchants.models import Breach
from kadun.orders.services import order_accept, order_deliver
from kadun.risk import selectors, services
from kadun.risk.errors import LureFlagReviewed, NotRiskStaff
from kadun.risk.models import LureFlag, RiskAlert

LURE = "有问题加我vx: abc123，私下转账更便宜"


def _check(author, *, role="merchant", shop=None, text=LURE, subject="order:1", where="delivery_note"):
    return services.lure_check(
        text=text, where=where, subject=subject, author_id=author.pk if author else None, author_role=role,
        shop_id=shop.pk if shop else None,
    )


@pytest.mark.django_db
def test_a_lure_is_flagged_with_the_text_and_who_wrote_it():
    buyer = make_user()

    lures = _check(buyer, role="buyer", where="case_message", subject="case:7")

    assert [(lure.kind, lure.match) for lure in lures] == [("wechat", "vx: abc123"), ("outside_payment", "私下转账")]
    flag = LureFlag.objects.get()
    assert (flag.author_id, flag.author_role, flag.where, flag.subject, flag.text) == (buyer.pk, "buyer", "case_message", "case:7", LURE)
    assert (flag.kinds, flag.matches, flag.violation) == (["outside_payment", "wechat"], ["vx: abc123", "私下转账"], False)
    assert not RiskAlert.objects.exists()


@pytest.mark.django_db
def test_a_clean_text_writes_nothing():
    shop = make_shop()

    assert _check(shop.owner, shop=shop, text="卡密已发送，请在订单页查看。订单号 202612011530123456，¥12.50") == []

    assert not LureFlag.objects.exists()


@pytest.mark.django_db
def test_staff_are_never_flagged_but_the_lure_is_still_reported():
    staff = make_user(staff_role="support")

    lures = _check(staff, role="staff", where="case_message")

    assert lures and not LureFlag.objects.exists()


@pytest.mark.django_db
def test_a_merchant_repeating_a_lure_has_one_breach_per_repeat_and_one_alert():
    shop = make_shop()

    for _ in range(3):
        _check(shop.owner, shop=shop, subject="order:42")

    assert list(LureFlag.objects.order_by("id").values_list("violation", flat=True)) == [False, True, True]
    breaches = list(Breach.objects.filter(shop=shop).order_by("id"))
    assert [(b.kind, b.order_id) for b in breaches] == [("off_platform_lure", 42)] * 2
    assert "30天内第2次" in breaches[0].note and "30天内第3次" in breaches[1].note
    alert = RiskAlert.objects.get()
    assert (alert.kind, alert.subject, alert.shop_id, alert.status) == ("off_platform_lure", f"user:{shop.owner_id}", shop.pk, "open")


@pytest.mark.django_db
def test_a_flag_older_than_the_window_does_not_make_a_repeat(settings):
    settings.KADUN_LURE_REPEAT_DAYS = 30
    shop = make_shop()
    _check(shop.owner, shop=shop)
    clock.advance(dt.timedelta(days=31))

    _check(shop.owner, shop=shop)

    assert not Breach.objects.exists() and not RiskAlert.objects.exists()
    assert selectors.lure_count(author_id=shop.owner_id, since=clock.now() - dt.timedelta(days=30)) == 1


@pytest.mark.django_db
def test_the_repeat_count_is_a_setting(settings):
    settings.KADUN_LURE_REPEAT_COUNT = 3
    shop = make_shop()

    _check(shop.owner, shop=shop)
    _check(shop.owner, shop=shop)
    assert not Breach.objects.exists()
    _check(shop.owner, shop=shop)

    assert Breach.objects.filter(shop=shop).count() == 1


@pytest.mark.django_db
def test_a_buyer_repeating_a_lure_raises_the_alert_without_a_breach():
    buyer = make_user()

    _check(buyer, role="buyer", where="case_message")
    _check(buyer, role="buyer", where="case_message")

    assert RiskAlert.objects.get().subject == f"user:{buyer.pk}"
    assert not Breach.objects.exists()


@pytest.mark.django_db
def test_guests_are_flagged_but_never_counted_as_repeating():
    _check(None, role="guest", where="order_message")
    _check(None, role="guest", where="order_message")

    assert LureFlag.objects.filter(author=None).count() == 2
    assert not LureFlag.objects.filter(violation=True).exists() and not RiskAlert.objects.exists()


@pytest.mark.django_db
def test_the_text_kept_is_capped_at_2000_characters():
    _check(make_user(), role="buyer", where="case_message", text=LURE + "。" * 5000)

    assert len(LureFlag.objects.get().text) == 2000


@pytest.mark.django_db
def test_risk_staff_review_a_flag_once_and_other_staff_cannot():
    _check(make_user(), role="buyer", where="case_message")
    flag = LureFlag.objects.get()
    risk_staff = make_user(staff_role="risk")

    with pytest.raises(NotRiskStaff):
        services.lure_flag_review(flag_id=flag.pk, actor=make_user(staff_role="support"))
    reviewed = services.lure_flag_review(flag_id=flag.pk, actor=risk_staff, note="已警告")

    assert (reviewed.reviewed_by_id, reviewed.review_note) == (risk_staff.pk, "已警告") and reviewed.reviewed_at
    assert list(selectors.lure_flags(reviewed=False)) == []
    with pytest.raises(LureFlagReviewed):
        services.lure_flag_review(flag_id=flag.pk, actor=risk_staff)


# --- where texts are written --------------------------------------------------------------


@pytest.mark.django_db
def test_a_product_description_with_a_lure_is_flagged_once_until_it_changes():
    shop = make_shop()
    product = product_create(shop=shop, data={"title": "王者荣耀点券", "price": 1000, "description": "拍下后加QQ 12345678 发货"})

    product_update(shop=shop, product_id=product.pk, data={"price": 900})  # the description is unchanged
    product_update(shop=shop, product_id=product.pk, data={"description": "自动发货，订单页查看卡密"})

    flag = LureFlag.objects.get()
    assert (flag.where, flag.subject, flag.author_id, flag.author_role, flag.shop_id) == (
        "product_description", f"product:{product.pk}", shop.owner_id, "merchant", shop.pk,
    )
    assert flag.kinds == ["qq"]


def _service_in_progress(shop, **buyer_inputs):
    product = make_product(shop, delivery="manual", buyer_fields=[{"name": "phone", "label": "充值手机号", "required": True}])
    order, _, _ = buy(product, buyer_inputs=buyer_inputs or {"phone": "13900139000"})
    order = pay(order)
    order_accept(order=order, shop=shop)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_a_delivery_note_with_a_lure_is_flagged_but_the_buyers_own_number_is_not():
    shop = make_shop()
    honest = _service_in_progress(shop)
    luring = _service_in_progress(shop)

    order_deliver(order=honest, shop=shop, note="已为 139 0013 9000 充值话费 100 元")
    order_deliver(order=luring, shop=shop, note="已充值。以后直接找我 13800138000 更便宜")

    flag = LureFlag.objects.get()
    assert (flag.where, flag.subject, flag.author_id, flag.matches) == ("delivery_note", f"order:{luring.pk}", shop.owner_id, ["13800138000"])


@pytest.mark.django_db
def test_a_rejection_note_with_a_lure_is_flagged_with_the_order():
    shop = make_shop()
    order = pay(buy(make_product(shop, keys=2))[0])
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="guest")
    request = refund_request_create(order=order, reason="not_as_described", statement="面值不对", key_ids=[key.pk])

    refund_request_respond(request=request, shop=shop, action="reject", note="卡密没问题，退款走闲鱼，加v: shop_8888")

    flag = LureFlag.objects.get()
    assert (flag.where, flag.subject, flag.author_role, flag.kinds) == ("rejection_note", f"order:{order.pk}", "merchant", ["outside_payment", "wechat"])


# --- at the same moment ---------------------------------------------------------------------


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_two_first_lures_at_the_same_moment_are_counted_one_after_the_other():
    shop = make_shop()

    all_at_once(lambda _i: _check(shop.owner, shop=shop), range(2))

    assert sorted(LureFlag.objects.values_list("violation", flat=True)) == [False, True]
    assert Breach.objects.filter(shop=shop, kind="off_platform_lure").count() == 1
    assert RiskAlert.objects.filter(kind="off_platform_lure").count() == 1
