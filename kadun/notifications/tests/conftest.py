from __future__ import annotations

import pytest

from kadun.notifications.tests.servers import Server

BOT_TOKEN = "7012345678:AAHkadunTestTokenNeverReal_0123456789"
CHAT_ID = "-1001234567890"
WECOM_KEY = "693a91f6-7a1c-4bc4-97a0-0ec2f1a5ad17"
BARK_KEY = "NxmSm5ZfcKzBq3TEkadun"
WEBHOOK_SECRET = "whsec-kadun-test-0123456789abcdef"
WEBHOOK_PATH = "/hooks/kadun/token-in-path-7f3a9c"


@pytest.fixture
def outside(settings):
    """One local server standing in for Telegram, 企业微信, Bark and a user's webhook, with the
    settings pointed at it (and loopback / http allowed for the webhook, as in development)."""
    server = Server()
    server.tokens.add(BOT_TOKEN)
    server.chats.add(int(CHAT_ID))
    server.wecom_keys.add(WECOM_KEY)
    server.bark_keys.add(BARK_KEY)
    settings.KADUN_TELEGRAM_API_BASE = server.base
    settings.KADUN_WECOM_API_BASE = server.base
    settings.KADUN_BARK_API_BASE = server.base
    settings.KADUN_NOTIFY_ALLOW_PRIVATE = True
    settings.KADUN_NOTIFY_ALLOW_HTTP = True
    settings.SITE_URL = "https://ka.example.com"
    yield server
    server.stop()


CONFIGS = {
    "telegram": {"bot_token": BOT_TOKEN, "chat_id": CHAT_ID},
    "wecom": {"key": WECOM_KEY},
    "bark": {"device_key": BARK_KEY},
}


def webhook_config(server) -> dict:
    return {"url": server.base + WEBHOOK_PATH, "secret": WEBHOOK_SECRET}
