"""A channel's secrets (bot token, robot key, Bark device key, webhook URL and signing secret)
are encrypted at rest and never appear in a log line, the delivery log, the outbox row, an
error, a page or an API answer — not even when the request that carried them fails."""
from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client

from conftest import make_user
from kadun.core import clock, sealed
from kadun.notifications.models import NotifyChannel, NotifyDelivery, OutboxMessage
from kadun.notifications.services import channel_create, notify, outbox_deliver_all
from kadun.notifications.tests.conftest import BARK_KEY, BOT_TOKEN, WEBHOOK_PATH, WEBHOOK_SECRET, WECOM_KEY

pytestmark = pytest.mark.django_db


def _everything_written(user) -> str:
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT config, secret_sealed, last_error FROM notifications_notifychannel")
        channels = repr(cursor.fetchall())
    outbox = repr(list(OutboxMessage.objects.values_list("payload", "last_error")))
    deliveries = repr(list(NotifyDelivery.objects.values_list("label", "title", "last_error")))
    pages = client.get("/account/notifications/").content.decode()
    api = client.get("/api/account/notify-channels").content.decode() + client.get("/api/account/notify-deliveries").content.decode()
    return "\n".join((channels, outbox, deliveries, pages, api))


def _failing_everywhere(outside, user):
    """Every channel of the user, each one failing at the far end (so errors are written)."""
    outside.tokens.clear()
    outside.wecom_keys.clear()
    outside.bark_keys.clear()
    outside.answer_status = 401
    channel_create(user=user, kind="telegram", data={"bot_token": BOT_TOKEN, "chat_id": "-100123"})
    channel_create(user=user, kind="wecom", data={"key": WECOM_KEY})
    channel_create(user=user, kind="bark", data={"device_key": BARK_KEY})
    channel_create(user=user, kind="webhook", data={"url": outside.base + WEBHOOK_PATH, "secret": WEBHOOK_SECRET})


SECRETS = (BOT_TOKEN, WECOM_KEY, BARK_KEY, WEBHOOK_SECRET, WEBHOOK_PATH.strip("/"))


def test_failed_sends_write_no_secret_to_logs_the_delivery_log_pages_or_the_api(outside, caplog):
    user = make_user()
    _failing_everywhere(outside, user)
    caplog.set_level(logging.DEBUG)
    notify(user_id=user.pk, title="新工单待处理", link="/cases/1/", event="case_opened")
    outbox_deliver_all()
    clock.advance(dt.timedelta(hours=2))
    outbox_deliver_all()
    assert len(outside.seen) == 8  # four channels, two attempts each: it was all really tried
    assert set(NotifyDelivery.objects.values_list("status", flat=True)) == {"failed"}
    assert all(NotifyDelivery.objects.values_list("last_error", flat=True))
    written = _everything_written(user) + caplog.text
    for secret in SECRETS:
        assert secret not in written, secret


def test_connection_errors_naming_the_url_are_redacted(settings, caplog):
    """Nothing listens: the error text from the socket layer must not carry the URL's secrets."""
    settings.KADUN_TELEGRAM_API_BASE = "http://127.0.0.1:9"  # discard port: refused
    settings.KADUN_NOTIFY_ALLOW_PRIVATE = settings.KADUN_NOTIFY_ALLOW_HTTP = True
    user = make_user()
    channel_create(user=user, kind="telegram", data={"bot_token": BOT_TOKEN, "chat_id": "-100123"})
    channel_create(user=user, kind="webhook", data={"url": "http://127.0.0.1:9" + WEBHOOK_PATH, "secret": WEBHOOK_SECRET})
    caplog.set_level(logging.DEBUG)
    notify(user_id=user.pk, title="新工单待处理")
    outbox_deliver_all()
    assert set(NotifyDelivery.objects.values_list("status", flat=True)) == {"failed"}
    written = _everything_written(user) + caplog.text
    for secret in SECRETS:
        assert secret not in written, secret


def test_secrets_are_encrypted_at_rest_and_read_back_with_the_key():
    channel, _ = channel_create(user=make_user(), kind="webhook", data={"url": "https://hooks.example.com" + WEBHOOK_PATH, "secret": WEBHOOK_SECRET})
    with connection.cursor() as cursor:
        cursor.execute("SELECT config, secret_sealed FROM notifications_notifychannel")
        raw = repr(cursor.fetchall())
    assert WEBHOOK_SECRET not in raw and WEBHOOK_PATH not in raw
    assert sealed.unseal(NotifyChannel.objects.get(pk=channel.pk).secret_sealed) == {
        "url": "https://hooks.example.com" + WEBHOOK_PATH, "secret": WEBHOOK_SECRET
    }


def test_rotate_keys_re_seals_channels_so_the_new_key_alone_reads_them(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KADUN_CARD_KEYS = [old]
    sealed._fernet.cache_clear()
    try:
        channel_create(user=make_user(), kind="bark", data={"device_key": BARK_KEY})
        settings.KADUN_CARD_KEYS = [new, old]
        out = io.StringIO()
        call_command("rotate_keys", stdout=out, stderr=io.StringIO())
        assert "re-encrypted 1 notification channel(s)" in out.getvalue()
        settings.KADUN_CARD_KEYS = [new]
        assert sealed.unseal(NotifyChannel.objects.get().secret_sealed) == {"device_key": BARK_KEY}
    finally:
        sealed._fernet.cache_clear()
