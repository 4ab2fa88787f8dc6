"""Real threads against PostgreSQL on a manual service: 接单, 发货 and 标记进度 at the same time.
Each guard sits in the WHERE of its update, so whatever the interleaving a service is delivered
only after it was accepted, once, and its milestones are reached one at a time, each once."""

import pytest

from conftest import buy, make_product, make_shop, pay, together
from kadun.core.errors import DomainError
from kadun.deadlines.models import Deadline
from kadun.orders.models import Order, OrderEvent
from kadun.orders.services import order_accept, order_deliver, order_milestone
from kadun.orders.states import OrderStatus

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
TRIALS = 20
STEPS = [{"name": "已登录账号", "refundable_bps": 8000}, {"name": "充值一半", "refundable_bps": 4000}, {"name": "完成", "refundable_bps": 0}]


def all_at_once(calls):
    """Every zero-argument callable at once; each gives "ok" or its DomainError's code."""
    outcomes = together(*calls)
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, DomainError):
            raise outcome
    return ["ok" if not isinstance(o, Exception) else o.code for o in outcomes]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]




def _paid_service(shop, product):
    order, _, _ = buy(product, buyer_inputs={"account": "player-1"})
    return pay(order)


def _kinds(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).order_by("at", "id").values_list("kind", flat=True))


def test_accept_racing_deliver_never_delivers_an_order_that_was_not_accepted():
    shop = make_shop()
    product = make_product(shop, delivery="manual", price=3000)
    delivered = 0
    for _ in range(TRIALS):
        order = _paid_service(shop, product)

        answers = all_at_once([
            lambda order=order: order_accept(order=order, shop=shop),
            lambda order=order: order_deliver(order=order, shop=shop, note="已完成"),
        ])

        order.refresh_from_db()
        kinds = _kinds(order)
        assert answers[0] == "ok"
        if answers[1] == "ok":
            delivered += 1
            assert order.status == OrderStatus.DELIVERED
            assert kinds.index("accepted") < kinds.index("delivered")
        else:
            assert answers[1] in ("not_accepted", "not_deliverable")
            assert order.status == OrderStatus.IN_SERVICE and "delivered" not in kinds and order.delivered_at is None
    assert 0 <= delivered <= TRIALS  # either interleaving may win; neither breaks the rule


def test_four_deliveries_at_once_deliver_once():
    shop = make_shop()
    product = make_product(shop, delivery="manual", price=3000)
    for _ in range(TRIALS // 4):
        order = _paid_service(shop, product)
        order_accept(order=order, shop=shop)

        answers = all_at_once([lambda n=n, order=order: order_deliver(order=order, shop=shop, note=f"第{n}次发货") for n in range(4)])

        assert sorted(answers) == ["not_deliverable"] * 3 + ["ok"]
        order.refresh_from_db()
        assert order.status == OrderStatus.DELIVERED
        assert _kinds(order).count("delivered") == 1
        assert order.delivery_note == f"第{answers.index('ok')}次发货"
        assert Deadline.objects.filter(kind="order_autoconfirm", subject_id=order.pk).count() == 1


def test_milestones_marked_at_once_are_reached_one_at_a_time():
    shop = make_shop()
    product = make_product(shop, delivery="manual", price=3000, refund_rules={"milestones": STEPS})
    for _ in range(TRIALS):
        order = _paid_service(shop, product)
        order_accept(order=order, shop=shop)

        # Two clicks on milestone 1 and one on milestone 2, together.
        answers = all_at_once([lambda n=n, order=order: order_milestone(order=order, shop=shop, milestone=n) for n in (1, 1, 2)])

        reached = Order.objects.get(pk=order.pk).milestone
        marks = _kinds(order).count("milestone")
        assert answers[:2].count("ok") == 1  # milestone 1 once
        assert reached == marks == 1 + (answers[2] == "ok")  # 2 only after 1, never instead of it
        notes = list(OrderEvent.objects.filter(order=order, kind="milestone").order_by("id").values_list("note", flat=True))
        assert notes == [f"完成「{s['name']}」" for s in STEPS[:reached]]
