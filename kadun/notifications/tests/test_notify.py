"""notify() is written in the caller's transaction: nothing is visible to anyone else (the
outbox worker included) before commit, nothing at all remains after a rollback, and nothing
leaves before commit. And the party who must act is told: the merchant of a refund request or
of a paid service order, on every channel they set up."""
from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.notifications.models import Message, NotifyDelivery, OutboxMessage
from kadun.notifications.services import channel_create, message_send, notify, outbox_deliver_all
from kadun.notifications.tests.conftest import BOT_TOKEN, CONFIGS


def _counts_seen_elsewhere() -> tuple[int, int, int]:
    """What another connection (the outbox worker's, say) sees right now."""
    out = {}

    def look():
        try:
            out["counts"] = (Message.objects.count(), NotifyDelivery.objects.count(), OutboxMessage.objects.count())
        finally:
            connections.close_all()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(30)
    return out["counts"]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_visible_or_sent_before_commit(outside):
    user = make_user(email="m@example.com")
    channel_create(user=user, kind="telegram", data=CONFIGS["telegram"])
    with transaction.atomic():
        notify(user_id=user.pk, title="新工单待处理", link="/cases/1/", event="case_opened")
        assert _counts_seen_elsewhere() == (0, 0, 0)
        assert outside.seen == []
    assert _counts_seen_elsewhere() == (1, 2, 2)  # the message; e-mail and Telegram, each with its outbox row
    outbox_deliver_all()
    assert [c["path"] for c in outside.seen] == [f"/bot{BOT_TOKEN}/sendMessage"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_nothing_at_all(outside):
    user = make_user(email="m@example.com")
    channel_create(user=user, kind="telegram", data=CONFIGS["telegram"])

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        notify(user_id=user.pk, title="新工单待处理", link="/cases/1/", event="case_opened")
        raise Boom()
    assert (Message.objects.count(), NotifyDelivery.objects.count(), OutboxMessage.objects.count()) == (0, 0, 0)
    outbox_deliver_all()
    assert outside.seen == []


@pytest.mark.django_db
def test_the_in_site_message_keeps_the_relative_link_and_outside_gets_it_absolute(settings):
    settings.SITE_URL = "https://ka.example.com"
    user = make_user(email="m@example.com")
    notify(user_id=user.pk, title="新工单待处理", body="买家已提交。", link="/cases/1/", event="case_opened")
    message = Message.objects.get()
    assert (message.user_id, message.title, message.body, message.link) == (user.pk, "新工单待处理", "买家已提交。", "/cases/1/")
    assert OutboxMessage.objects.get().payload["link"] == "https://ka.example.com/cases/1/"
    assert NotifyDelivery.objects.get().event == "case_opened"


@pytest.mark.django_db
def test_message_send_still_writes_only_the_in_site_message():
    user = make_user(email="m@example.com")
    message_send(user_id=user.pk, title="订单已发货")
    assert Message.objects.filter(user=user).count() == 1 and not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_paid_service_order_tells_the_merchant_on_their_channels(outside):
    shop = make_shop(make_user(email="shop@example.com"))
    channel_create(user=shop.owner, kind="telegram", data=CONFIGS["telegram"])
    product = make_product(shop, delivery="manual")
    order, _, _ = buy(product, buyer_inputs={"account": "player-1"})
    pay(order)
    assert Message.objects.filter(user=shop.owner, title__startswith="新订单待接单").count() == 1
    [call] = outside.seen
    assert call["json"]["text"].startswith("新订单待接单") and f"/merchant/orders/{order.order_no}/" in call["json"]["text"]
    assert set(NotifyDelivery.objects.filter(user=shop.owner).values_list("kind", "event", "status")) == {
        ("email", "order_to_accept", "sent"), ("telegram", "order_to_accept", "sent")
    }


@pytest.mark.django_db
def test_a_refund_request_for_the_merchant_tells_them_on_their_channels(outside):
    from kadun.aftersales.tests.test_services import PNG, Upload, _keys, _reveal
    from kadun.aftersales.services import refund_request_create

    shop = make_shop()
    channel_create(user=shop.owner, kind="wecom", data=CONFIGS["wecom"])
    order, _, _ = buy(make_product(shop, keys=2))
    order = pay(order)
    key = _keys(order)[0]
    _reveal(order, key)
    request = refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[Upload(PNG)])
    outbox_deliver_all()
    [call] = outside.seen
    content = call["json"]["text"]["content"]
    assert content.startswith(f"退款申请待处理：订单 {order.order_no}") and f"/refunds/{request.request_no}" in content
    assert NotifyDelivery.objects.get(user=shop.owner).event == "refund_requested"
