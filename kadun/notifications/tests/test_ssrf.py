"""A user's webhook URL (and Bark server) is hostile input: https only in production, no
private / loopback / link-local address however it is written or resolved, and no redirects."""
from __future__ import annotations

import socket

import pytest

from conftest import make_user
from kadun.notifications.errors import InvalidChannel
from kadun.notifications.models import NotifyChannel, NotifyDelivery
from kadun.notifications.services import channel_create, notify, outbox_deliver_all
from kadun.notifications.tests.conftest import BARK_KEY, WEBHOOK_SECRET, webhook_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.KADUN_NOTIFY_ALLOW_HTTP = False
    settings.KADUN_NOTIFY_ALLOW_PRIVATE = False


def _refused(data, kind="webhook") -> InvalidChannel:
    with pytest.raises(InvalidChannel) as refused:
        channel_create(user=make_user(), kind=kind, data=data)
    assert not NotifyChannel.objects.exists()
    return refused.value


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.100.100.200", "[::1]", "[::ffff:127.0.0.1]", "localhost", "0.0.0.0"]
)
def test_a_webhook_to_a_private_address_is_refused_at_save(production, host):
    refused = _refused({"url": f"https://{host}/hook", "secret": WEBHOOK_SECRET})
    assert refused.code == "invalid_channel" and refused.detail["field"] == "url" and "内网" in refused.message


def test_plain_http_is_refused_in_production(production):
    refused = _refused({"url": "http://hooks.example.com/kadun", "secret": WEBHOOK_SECRET})
    assert "https://" in refused.message


def test_plain_http_is_allowed_under_debug(settings, production):
    settings.DEBUG = True
    channel, _ = channel_create(user=make_user(), kind="webhook", data={"url": "http://hooks.example.com/kadun"})
    assert channel.config["origin"] == "http://hooks.example.com"


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x", "https://", "https://hooks.example.com:99999/"])
def test_a_malformed_webhook_url_is_refused(production, url):
    assert _refused({"url": url}).detail["field"] == "url"


def test_a_bark_server_of_ones_own_on_a_private_address_is_refused(production):
    refused = _refused({"device_key": BARK_KEY, "server": "https://192.168.0.10:8080"}, kind="bark")
    assert refused.detail["field"] == "server"


def test_a_name_resolving_to_a_private_address_is_never_connected(production, monkeypatch):
    user = make_user()
    channel_create(user=user, kind="webhook", data={"url": "https://hooks.example.com/kadun", "secret": WEBHOOK_SECRET})
    connects = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))])
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: connects.append(address))
    notify(user_id=user.pk, title="新工单")
    outbox_deliver_all()
    delivery = NotifyDelivery.objects.get()
    assert connects == []
    assert delivery.status == "failed" and "refused" in delivery.last_error


def test_a_url_made_plain_http_after_save_is_refused_at_send(settings, outside):
    user = make_user()
    channel_create(user=user, kind="webhook", data=webhook_config(outside))
    settings.KADUN_NOTIFY_ALLOW_HTTP = False  # production again
    notify(user_id=user.pk, title="新工单")
    outbox_deliver_all()
    assert outside.seen == []
    assert NotifyDelivery.objects.get().status == "failed"


def test_a_redirect_is_not_followed(outside):
    user = make_user()
    channel_create(user=user, kind="webhook", data=webhook_config(outside))
    outside.redirect_to = outside.base + "/internal/admin"
    notify(user_id=user.pk, title="新工单")
    outbox_deliver_all()
    assert [c["path"] for c in outside.seen] == ["/hooks/kadun/token-in-path-7f3a9c"]  # never /internal/admin
    delivery = NotifyDelivery.objects.get()
    assert delivery.status == "failed" and "HTTP 302" in delivery.last_error
