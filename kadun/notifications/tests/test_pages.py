"""通知设置 through HTTP: add each kind with its checks in Chinese next to the field, the
channel shown masked, test / disable / delete, e-mail on and off, the delivery log; another
user can neither see nor change my channels; and the navigation links it all."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_shop, make_user
from kadun.notifications.models import NotifyChannel, NotifyDelivery, NotifyPreference
from kadun.notifications.services import channel_create, notify, outbox_deliver_all
from kadun.notifications.tests.conftest import BOT_TOKEN, CHAT_ID, CONFIGS, WEBHOOK_SECRET, webhook_config

pytestmark = pytest.mark.django_db
PAGE = "/account/notifications/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _add(client, kind: str, **fields):
    return client.post(f"{PAGE}channels/new/{kind}/", {f"{kind}-{k}": v for k, v in fields.items()})


def test_the_page_needs_a_login():
    response = Client().get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_adding_a_telegram_bot_shows_it_masked(outside):
    user = make_user()
    client = _client(user)
    response = _add(client, "telegram", label="值班群", bot_token=BOT_TOKEN, chat_id=CHAT_ID)
    assert response.status_code == 302
    page = client.get(PAGE).content.decode()
    assert "值班群" in page and BOT_TOKEN not in page and BOT_TOKEN[-4:] in page
    assert NotifyChannel.objects.get(user=user).kind == "telegram"


def test_a_bad_bot_token_is_refused_in_chinese_next_to_its_field():
    client = _client(make_user())
    response = _add(client, "telegram", bot_token="not-a-token", chat_id=CHAT_ID)
    page = response.content.decode()
    assert response.status_code == 400 and "Bot Token 格式有误" in page
    assert 'id="add-telegram" open' in page and "not-a-token" not in page  # secret inputs are not echoed back
    assert not NotifyChannel.objects.exists()


def test_a_webhook_without_a_secret_gets_one_shown_exactly_once(outside):
    user = make_user()
    client = _client(user)
    _add(client, "webhook", url=outside.base + "/hook")
    secret = NotifyChannel.objects.get(user=user).secret_sealed
    first = client.get(PAGE).content.decode()
    assert 'id="new-webhook-secret"' in first
    shown = first.split('class="secret-link key">', 1)[1].split("<", 1)[0]
    assert len(shown) >= 32 and shown not in secret
    again = client.get(PAGE).content.decode()
    assert shown not in again and 'id="new-webhook-secret"' not in again


def test_test_message_goes_through_the_outbox_and_appears_in_the_log(outside):
    user = make_user()
    channel, _ = channel_create(user=user, kind="telegram", data=CONFIGS["telegram"])
    client = _client(user)
    assert client.post(f"{PAGE}channels/{channel.pk}/test/").status_code == 302
    assert outside.seen == []  # queued, not sent in the request
    outbox_deliver_all()
    assert len(outside.seen) == 1 and "测试消息" in outside.seen[0]["json"]["text"]
    page = client.get(PAGE).content.decode()
    assert "卡盾 kadun 测试消息" in page and "已送达" in page


def test_a_dead_delivery_is_shown_as_given_up(outside):
    user = make_user()
    channel_create(user=user, kind="webhook", data=webhook_config(outside))
    notify(user_id=user.pk, title="新工单待处理", event="case_opened")
    NotifyDelivery.objects.update(status="dead", attempts=10, last_error="webhook: HTTP 500: oops")
    page = _client(user).get(PAGE).content.decode()
    assert 'class="delivery-dead"' in page and "已放弃" in page and "HTTP 500" in page and "case_opened" in page


def test_disable_enable_and_delete():
    user = make_user()
    channel, _ = channel_create(user=user, kind="bark", data=CONFIGS["bark"])
    client = _client(user)
    client.post(f"{PAGE}channels/{channel.pk}/toggle/", {"enabled": "0"})
    assert NotifyChannel.objects.get().enabled is False
    client.post(f"{PAGE}channels/{channel.pk}/toggle/", {"enabled": "1"})
    assert NotifyChannel.objects.get().enabled is True
    client.post(f"{PAGE}channels/{channel.pk}/delete/")
    assert not NotifyChannel.objects.exists()


def test_another_user_can_neither_see_nor_change_my_channels():
    alice, mallory = make_user(), make_user()
    channel, _ = channel_create(user=alice, kind="telegram", label="alice 的机器人", data=CONFIGS["telegram"])
    client = _client(mallory)
    assert "alice 的机器人" not in client.get(PAGE).content.decode()
    for action, data in (("delete", {}), ("toggle", {"enabled": "0"}), ("test", {})):
        response = client.post(f"{PAGE}channels/{channel.pk}/{action}/", data, follow=True)
        assert "通知渠道不存在" in response.content.decode()
    assert NotifyChannel.objects.get().enabled is True and not NotifyDelivery.objects.exists()


def test_email_can_be_turned_off_and_on():
    user = make_user(email="me@example.com")
    client = _client(user)
    assert "me@example.com" in client.get(PAGE).content.decode()
    client.post(f"{PAGE}email/", {})
    assert NotifyPreference.objects.get(user=user).email_enabled is False
    client.post(f"{PAGE}email/", {"email_enabled": "on"})
    assert NotifyPreference.objects.get(user=user).email_enabled is True


def test_the_page_is_linked_from_the_inbox_my_orders_and_the_merchant_navigation():
    shop = make_shop()
    client = _client(shop.owner)
    for path in ("/messages/", "/orders/mine/", "/merchant/"):
        assert f'href="{PAGE}"' in client.get(path).content.decode(), path


def test_the_page_shows_the_unread_count_in_the_navigation_like_every_page():
    user = make_user()
    notify(user_id=user.pk, title="退款申请待处理")
    page = _client(user).get(PAGE).content.decode()
    assert 'id="unread-count"' in page and ">1<" in page.split('id="unread-count"', 1)[1][:40]


def test_the_page_in_english_holds_no_chinese_of_its_own(outside):
    from kadun.web.tests.test_english_pages import chinese_in

    user = make_user(email="me@example.com")
    client = _client(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    channel_create(user=user, kind="telegram", label="On call", data=CONFIGS["telegram"])
    channel_create(user=user, kind="webhook", label="Hook", data=webhook_config(outside))
    outside.answer_status = 500
    notify(user_id=user.pk, title="New case", event="case_opened")
    outbox_deliver_all()
    with_errors = _add(client, "bark", device_key="?")
    for response in (client.get(PAGE), with_errors):
        body = response.content.decode()
        assert '<html lang="en">' in body and "Notification settings" in body
        assert chinese_in(body) == [], chinese_in(body)


def test_webhook_secret_never_echoed_on_error():
    client = _client(make_user())
    response = _add(client, "webhook", url="ftp://x.example/hook", secret=WEBHOOK_SECRET)
    assert response.status_code == 400 and WEBHOOK_SECRET not in response.content.decode()


def test_the_unread_count_is_on_every_page_a_logged_in_user_opens():
    """Every full page extends base.html, whose navigation carries the count; a sample of each
    side's pages shows it."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    pages = [p for p in root.glob("*/templates/**/*.html") if not p.name.startswith("_") and p.name not in ("base.html", "500.html")]
    fragments = {"merchant_countdown.html"}  # an htmx fragment, not a page
    assert [str(p) for p in pages if p.name not in fragments and '{% extends "base.html" %}' not in p.read_text()[:200]] == []

    shop = make_shop()
    notify(user_id=shop.owner.pk, title="新订单待接单")
    client = _client(shop.owner)
    for path in ("/", "/orders/mine/", "/account/api-keys/", PAGE, "/merchant/", "/merchant/products/", "/merchant/orders/", "/merchant/refunds/"):
        body = client.get(path).content.decode()
        assert 'id="unread-count"' in body, path
