"""Each channel against a local server speaking its real protocol: the exact request, success
read the protocol's way, failures retried by the outbox with the attempts in the delivery log,
and given up ('dead') at the outbox's last attempt."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail

from conftest import make_user
from kadun.core import clock
from kadun.notifications.models import NotifyChannel, NotifyDelivery, OutboxMessage
from kadun.notifications.senders import webhook_signature
from kadun.notifications.services import MAX_ATTEMPTS, channel_create, channel_set_enabled, email_set_enabled, notify, outbox_deliver_all
from kadun.notifications.tests.conftest import BARK_KEY, BOT_TOKEN, CONFIGS, WEBHOOK_PATH, WEBHOOK_SECRET, WECOM_KEY, webhook_config

pytestmark = pytest.mark.django_db

TITLE, BODY, LINK = "退款申请待处理：订单 K20260101", "卡密无效。请在 24 小时内处理。", "/merchant/refunds/RR1/"
ABSOLUTE = "https://ka.example.com/merchant/refunds/RR1/"


def _user_with(kind: str, config: dict, **user):
    user = make_user(**user)
    channel, _ = channel_create(user=user, kind=kind, label=f"我的{kind}", data=config)
    return user, channel


def _notify(user, event="refund_requested"):
    notify(user_id=user.pk, title=TITLE, body=BODY, link=LINK, event=event)
    outbox_deliver_all()


def _delivery(kind: str) -> NotifyDelivery:
    return NotifyDelivery.objects.get(kind=kind)


def _retry_later():
    clock.advance(dt.timedelta(hours=2))
    outbox_deliver_all()


# --- Telegram ----------------------------------------------------------------------------------


def test_telegram_posts_send_message_with_the_bot_token_in_the_path(outside):
    user, channel = _user_with("telegram", CONFIGS["telegram"])
    _notify(user)
    [call] = outside.seen
    assert call["path"] == f"/bot{BOT_TOKEN}/sendMessage"
    assert call["json"] == {"chat_id": -1001234567890, "text": f"{TITLE}\n{BODY}\n{ABSOLUTE}", "disable_web_page_preview": True}
    delivery = _delivery("telegram")
    assert (delivery.status, delivery.attempts, delivery.event, delivery.channel_id) == ("sent", 1, "refund_requested", channel.pk)
    assert NotifyChannel.objects.get().last_ok_at is not None


def test_telegram_unauthorized_is_retried_and_arrives_once_the_bot_works(outside):
    user, _ = _user_with("telegram", CONFIGS["telegram"])
    outside.tokens.clear()  # the bot was revoked at @BotFather
    _notify(user)
    delivery = _delivery("telegram")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "401" in delivery.last_error and "Unauthorized" in delivery.last_error
    assert "Unauthorized" in NotifyChannel.objects.get().last_error

    outside.tokens.add(BOT_TOKEN)
    _retry_later()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(outside.seen) == 2


def test_telegram_ok_false_is_a_failure_even_with_http_200(outside, monkeypatch):
    from kadun.notifications.tests import servers

    monkeypatch.setattr(servers.Recorder, "_telegram", lambda self, token, data: self._reply(200, {"ok": False, "description": "Too Many Requests"}))
    user, _ = _user_with("telegram", CONFIGS["telegram"])
    _notify(user)
    assert _delivery("telegram").status == "failed"


# --- 企业微信 -----------------------------------------------------------------------------------


def test_wecom_posts_the_text_message_to_the_robot_key(outside):
    user, _ = _user_with("wecom", {"key": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"})
    _notify(user)
    [call] = outside.seen
    assert call["path"] == "/cgi-bin/webhook/send" and call["query"] == {"key": [WECOM_KEY]}
    assert call["json"] == {"msgtype": "text", "text": {"content": f"{TITLE}\n{BODY}\n{ABSOLUTE}"}}
    assert _delivery("wecom").status == "sent"


def test_wecom_nonzero_errcode_is_a_failure_although_http_says_200(outside):
    user, _ = _user_with("wecom", {"key": "0000aaaa-1111-2222-3333-444455556666"})  # a robot removed from the group
    _notify(user)
    delivery = _delivery("wecom")
    assert (delivery.status, delivery.attempts) == ("failed", 1) and "93000" in delivery.last_error


def test_wecom_content_is_cut_to_2048_bytes_on_a_character_boundary(outside):
    user, _ = _user_with("wecom", CONFIGS["wecom"])
    notify(user_id=user.pk, title="长", body="退" * 3000)
    outbox_deliver_all()
    content = outside.seen[0]["json"]["text"]["content"]
    assert len(content.encode()) <= 2048 and content.startswith("长\n退")
    assert _delivery("wecom").status == "sent"


# --- Bark -------------------------------------------------------------------------------------


def test_bark_pushes_title_body_and_the_link_in_group_kadun(outside):
    user, _ = _user_with("bark", CONFIGS["bark"])
    _notify(user)
    [call] = outside.seen
    assert call["path"] == "/push"
    assert call["json"] == {"device_key": BARK_KEY, "title": TITLE, "body": BODY, "url": ABSOLUTE, "group": "kadun"}
    assert _delivery("bark").status == "sent"


def test_bark_pasted_push_url_keeps_the_key_and_an_unknown_device_fails(outside):
    user, channel = _user_with("bark", {"device_key": f"{outside.base}/UnknownDevice42/"})  # the default server: stored as the default
    _notify(user)
    assert "server" not in channel.config
    assert outside.seen[0]["json"]["device_key"] == "UnknownDevice42"
    delivery = _delivery("bark")
    assert delivery.status == "failed" and "code 400" in delivery.last_error


# --- Webhook ----------------------------------------------------------------------------------


def test_webhook_is_signed_over_timestamp_and_body(outside):
    user, _ = _user_with("webhook", webhook_config(outside))
    _notify(user)
    [call] = outside.seen
    assert call["path"] == WEBHOOK_PATH
    timestamp = call["headers"]["X-Kadun-Timestamp"]
    assert call["headers"]["X-Kadun-Signature"] == webhook_signature(WEBHOOK_SECRET, timestamp, call["raw"])
    import hashlib
    import hmac

    assert call["headers"]["X-Kadun-Signature"] == hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + call["raw"], hashlib.sha256).hexdigest()
    body = json.loads(call["raw"])
    assert {k: body[k] for k in ("event", "title", "body", "link")} == {"event": "refund_requested", "title": TITLE, "body": BODY, "link": ABSOLUTE}
    assert dt.datetime.fromisoformat(body["sent_at"]).timestamp() == pytest.approx(int(timestamp), abs=1)
    assert _delivery("webhook").status == "sent"


def test_a_failing_webhook_is_retried_then_dead_after_the_last_attempt(outside):
    user, _ = _user_with("webhook", webhook_config(outside))
    outside.answer_status = 500
    _notify(user)
    for _ in range(MAX_ATTEMPTS + 2):
        _retry_later()
    delivery = _delivery("webhook")
    assert (delivery.status, delivery.attempts) == ("dead", MAX_ATTEMPTS)
    assert "HTTP 500" in delivery.last_error
    assert len(outside.seen) == MAX_ATTEMPTS
    assert OutboxMessage.objects.get(pk=delivery.outbox_message_id).dead


def test_a_webhook_answering_204_is_delivered(outside):
    user, _ = _user_with("webhook", webhook_config(outside))
    outside.answer_status = 204
    _notify(user)
    assert _delivery("webhook").status == "sent"


# --- who gets what ------------------------------------------------------------------------------


def test_every_enabled_channel_gets_one_message_and_a_disabled_one_none(outside):
    user = make_user()
    channel_create(user=user, kind="telegram", data=CONFIGS["telegram"])
    off, _ = channel_create(user=user, kind="bark", data=CONFIGS["bark"])
    channel_set_enabled(user=user, channel_id=off.pk, enabled=False)
    _notify(user)
    assert [c["path"] for c in outside.seen] == [f"/bot{BOT_TOKEN}/sendMessage"]
    assert list(NotifyDelivery.objects.values_list("kind", flat=True)) == ["telegram"]


def test_a_channel_disabled_before_the_outbox_runs_sends_nothing(outside):
    user, channel = _user_with("telegram", CONFIGS["telegram"])
    notify(user_id=user.pk, title=TITLE)
    channel_set_enabled(user=user, channel_id=channel.pk, enabled=False)
    outbox_deliver_all()
    assert outside.seen == [] and _delivery("telegram").status == "skipped"


def test_another_users_channels_get_nothing(outside):
    _, _ = _user_with("telegram", CONFIGS["telegram"])
    _notify(make_user())
    assert outside.seen == [] and NotifyDelivery.objects.filter(kind="telegram").count() == 0


# --- e-mail -----------------------------------------------------------------------------------


def test_email_goes_through_the_backend_with_the_absolute_link(settings):
    settings.SITE_URL = "https://ka.example.com"
    user = make_user(email="merchant@example.com")
    _notify(user)
    [sent] = mail.outbox
    assert sent.to == ["merchant@example.com"] and sent.subject == f"[卡盾] {TITLE}"
    assert BODY in sent.body and ABSOLUTE in sent.body and sent.from_email == settings.DEFAULT_FROM_EMAIL
    delivery = _delivery("email")
    assert (delivery.status, delivery.label) == ("sent", "m***@example.com")


def test_no_email_when_the_user_turned_it_off_or_has_no_address():
    off = make_user(email="off@example.com")
    email_set_enabled(user=off, enabled=False)
    _notify(off)
    _notify(make_user(email=""))
    assert mail.outbox == [] and not NotifyDelivery.objects.exists()


def test_email_turned_back_on_is_sent_again():
    user = make_user(email="back@example.com")
    email_set_enabled(user=user, enabled=False)
    email_set_enabled(user=user, enabled=True)
    _notify(user)
    assert [m.to for m in mail.outbox] == [["back@example.com"]]
