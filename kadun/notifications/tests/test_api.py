"""The notification API through HTTP: list / create / enable / delete / test channels and read
the delivery log; masked, never a secret; {code, message} errors as listed in OpenAPI; another
user's channels are 404; writes need the website's session, reads take any key of the user."""
from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_user
from kadun.accounts.services import api_key_create
from kadun.notifications.models import NotifyChannel, NotifyDelivery
from kadun.notifications.services import channel_create, outbox_deliver_all
from kadun.notifications.tests.conftest import BOT_TOKEN, CHAT_ID, CONFIGS

pytestmark = pytest.mark.django_db
URL = "/api/account/notify-channels"


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, data, url=URL):
    return client.post(url, data, content_type="application/json")


def test_create_list_and_read_back_masked(outside):
    user = make_user()
    client = _session(user)
    created = _post(client, {"kind": "telegram", "label": "值班", "config": {"bot_token": BOT_TOKEN, "chat_id": CHAT_ID}})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"] is None and body["channel"]["label"] == "值班" and body["channel"]["enabled"] is True
    listed = client.get(URL)
    assert [c["id"] for c in listed.json()] == [body["channel"]["id"]]
    assert BOT_TOKEN not in created.content.decode() + listed.content.decode()


def test_a_webhook_secret_generated_by_the_platform_is_returned_once(outside):
    client = _session(make_user())
    created = _post(client, {"kind": "webhook", "config": {"url": outside.base + "/hook"}})
    secret = created.json()["secret"]
    assert created.status_code == 201 and len(secret) >= 32
    assert secret not in client.get(URL).content.decode()


@pytest.mark.parametrize(
    "config,field_word",
    [({"bot_token": "123", "chat_id": CHAT_ID}, "Bot Token"), ({"bot_token": BOT_TOKEN, "chat_id": "not a chat"}, "Chat ID")],
)
def test_invalid_settings_are_400_invalid_channel_in_chinese(config, field_word):
    response = _post(_session(make_user()), {"kind": "telegram", "config": config})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_channel" and field_word in response.json()["message"]
    assert BOT_TOKEN not in response.content.decode() and not NotifyChannel.objects.exists()


def test_an_unknown_kind_is_422():
    response = _post(_session(make_user()), {"kind": "sms", "config": {}})
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_the_channel_limit_is_409(settings):
    settings.KADUN_NOTIFY_CHANNELS_MAX = 1
    client = _session(make_user())
    assert _post(client, {"kind": "bark", "config": CONFIGS["bark"]}).status_code == 201
    refused = _post(client, {"kind": "bark", "config": CONFIGS["bark"]})
    assert refused.status_code == 409 and refused.json()["code"] == "channel_limit"


def test_disable_test_and_delete(outside):
    user = make_user()
    channel, _ = channel_create(user=user, kind="telegram", data=CONFIGS["telegram"])
    client = _session(user)
    patched = client.patch(f"{URL}/{channel.pk}", {"enabled": False}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    tested = client.post(f"{URL}/{channel.pk}/test")
    assert tested.status_code == 202 and tested.json()["status"] == "pending" and tested.json()["event"] == "test"
    outbox_deliver_all()
    [delivery] = client.get("/api/account/notify-deliveries").json()
    assert (delivery["status"], delivery["attempts"], delivery["kind"]) == ("sent", 1, "telegram")  # a test goes even to a disabled channel
    assert client.delete(f"{URL}/{channel.pk}").status_code == 204
    assert not NotifyChannel.objects.exists() and NotifyDelivery.objects.get().channel_id is None


def test_another_users_channel_is_404_and_untouched():
    alice, mallory = make_user(), make_user()
    channel, _ = channel_create(user=alice, kind="telegram", data=CONFIGS["telegram"])
    client = _session(mallory)
    assert client.get(URL).json() == []
    for response in (
        client.delete(f"{URL}/{channel.pk}"), client.post(f"{URL}/{channel.pk}/test"),
        client.patch(f"{URL}/{channel.pk}", {"enabled": False}, content_type="application/json"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "channel_not_found"
    assert NotifyChannel.objects.get().enabled is True and not NotifyDelivery.objects.exists()
    assert client.get("/api/account/notify-deliveries").json() == []


def test_an_api_key_reads_but_cannot_redirect_or_silence_notifications():
    user = make_user()
    channel, _ = channel_create(user=user, kind="telegram", data=CONFIGS["telegram"])
    _key, secret = api_key_create(user=user, name="k", scopes=["buyer"])
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert [c["id"] for c in api.get(URL).json()] == [channel.pk]
    assert api.get("/api/account/notify-deliveries").status_code == 200
    created = _post(api, {"kind": "webhook", "config": {"url": "https://attacker.example/hook"}})
    deleted = api.delete(f"{URL}/{channel.pk}")
    assert (created.status_code, deleted.status_code) == (403, 403) and created.json()["code"] == "session_required"
    assert NotifyChannel.objects.count() == 1


def test_anonymous_is_401():
    response = Client().get(URL)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_a_session_write_needs_csrf():
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = _post(client, {"kind": "bark", "config": CONFIGS["bark"]})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


def test_test_messages_are_rate_limited(settings):
    settings.KADUN_NOTIFY_TESTS_PER_HOUR = 2
    user = make_user()
    channel, _ = channel_create(user=user, kind="bark", data=CONFIGS["bark"])
    client = _session(user)
    answers = [client.post(f"{URL}/{channel.pk}/test").status_code for _ in range(3)]
    assert answers == [202, 202, 429] and NotifyDelivery.objects.count() == 2


def test_the_errors_are_listed_in_openapi():
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert set(paths[URL]["post"]["responses"]) >= {"201", "400", "401", "403", "409", "422"}
    assert set(paths[URL + "/{channel_id}/test"]["post"]["responses"]) >= {"202", "401", "403", "404", "429"}
    assert set(paths[URL + "/{channel_id}"]["delete"]["responses"]) >= {"204", "401", "403", "404"}
    assert "/api/account/notify-deliveries" in paths and "/api/account/api-keys" in paths
