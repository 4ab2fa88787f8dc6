"""What each kind of notification channel needs, checked and split into what may be shown and
what is secret; and how it is shown (masked).

| kind | shown (``config``) | secret (sealed) |
|---|---|---|
| telegram | chat_id | bot_token |
| wecom | — | key (of https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…) |
| bark | server (when not the default) | device_key |
| webhook | origin (scheme://host[:port]) | url, secret (HMAC-SHA256 signing secret) |

A webhook URL, and a Bark server other than the default, are hostile input: https only (http
where ``KADUN_NOTIFY_ALLOW_HTTP``, default under DEBUG), no user name or password, and no host
written as a private, loopback or link-local address (names are resolved and checked again at
every send, ``kadun.core.safehttp``) unless ``KADUN_NOTIFY_ALLOW_PRIVATE``.
"""
from __future__ import annotations

import re
import secrets
import urllib.parse

from django.conf import settings
from django.utils.translation import gettext as _

from kadun.core import safehttp
from kadun.notifications.errors import InvalidChannel
from kadun.notifications.states import ChannelKind

# Which form field each kind reads, in order (the API's ``config`` keys are the same).
FIELDS = {
    ChannelKind.TELEGRAM: ("bot_token", "chat_id"),
    ChannelKind.WECOM: ("key",),
    ChannelKind.BARK: ("device_key", "server"),
    ChannelKind.WEBHOOK: ("url", "secret"),
}
SECRET_FIELDS = frozenset({"bot_token", "key", "device_key", "url", "secret"})
MAX_URL_LENGTH = 500
_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,80}$")
_CHAT = re.compile(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
_WECOM_KEY = re.compile(r"^[A-Za-z0-9-]{8,80}$")
_BARK_KEY = re.compile(r"^[A-Za-z0-9]{6,64}$")


def invalid(field: str, message: str) -> InvalidChannel:
    return InvalidChannel(message=message, field=field)


def mask(secret: str) -> str:
    """The last 4 characters of a long secret, nothing of a short one."""
    return "••••" + secret[-4:] if len(secret) >= 12 else "••••"


def allow_private() -> bool:
    return bool(getattr(settings, "KADUN_NOTIFY_ALLOW_PRIVATE", False))


def allow_http() -> bool:
    return bool(getattr(settings, "KADUN_NOTIFY_ALLOW_HTTP", False) or settings.DEBUG)


def outside_url(url: str, *, field: str, label: str) -> safehttp.Target:
    """A URL the platform will call for a user: parsed, https (unless allowed), not a literal
    non-public address. Refusals never repeat the URL."""
    try:
        target = safehttp.parse_url(url, label=label, max_length=MAX_URL_LENGTH)
    except safehttp.UnsafeURL as exc:
        raise invalid(field, str(exc)) from None
    if target.scheme != "https" and not allow_http():
        raise invalid(field, _("%(label)s必须以 https:// 开头。") % {"label": label})
    if safehttp.literal_address_refused(target, allow_private=allow_private()):
        raise invalid(field, _("%(label)s不能指向内网、本机或保留地址。") % {"label": label})
    return target


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _telegram(data: dict) -> tuple[dict, dict, str]:
    token, chat = _text(data, "bot_token"), _text(data, "chat_id")
    if not _TOKEN.match(token):
        raise invalid("bot_token", _("Bot Token 格式有误：应形如 123456789:AAE…，在 @BotFather 处获取。"))
    if not _CHAT.match(chat):
        raise invalid("chat_id", _("Chat ID 应为数字（群组为负数），或频道的 @用户名。"))
    return {"chat_id": chat}, {"bot_token": token}, f"chat {chat} · token {mask(token)}"


def _wecom(data: dict) -> tuple[dict, dict, str]:
    key = _text(data, "key")
    if key.startswith(("http://", "https://")):  # the whole webhook address, as 企业微信 shows it
        key = (urllib.parse.parse_qs(urllib.parse.urlsplit(key).query).get("key") or [""])[0]
    if not _WECOM_KEY.match(key):
        raise invalid("key", _("请填写企业微信群机器人的 Webhook 地址（含 key=…），或其中的 key。"))
    return {}, {"key": key}, f"key {mask(key)}"


def _bark(data: dict) -> tuple[dict, dict, str]:
    key, server = _text(data, "device_key"), _text(data, "server").rstrip("/")
    if key.startswith(("http://", "https://")):  # pasted from the app: https://api.day.app/<key>/…
        parts = urllib.parse.urlsplit(key)
        server = server or f"{parts.scheme}://{parts.netloc}"
        key = parts.path.strip("/").split("/", 1)[0]
    if not _BARK_KEY.match(key):
        raise invalid("device_key", _("Bark 设备 Key 格式有误：在 Bark App 中复制推送地址或其中的 Key。"))
    public = {}
    if server and server != settings.KADUN_BARK_API_BASE.rstrip("/"):
        target = outside_url(server, field="server", label=_("Bark 服务器地址"))
        if target.path not in ("/", ""):
            raise invalid("server", _("Bark 服务器地址只需填写 https://主机名[:端口]。"))
        public["server"] = target.origin
    return public, {"device_key": key}, f"{public.get('server', settings.KADUN_BARK_API_BASE)} · key {mask(key)}"


def _webhook(data: dict) -> tuple[dict, dict, str]:
    url, secret = _text(data, "url"), _text(data, "secret")
    target = outside_url(url, field="url", label=_("Webhook 地址"))
    if secret and not (16 <= len(secret) <= 200):
        raise invalid("secret", _("签名密钥需 16 到 200 个字符；留空则由平台生成。"))
    generated = not secret
    secret = secret or secrets.token_urlsafe(32)
    return {"origin": target.origin, "generated": generated}, {"url": url, "secret": secret}, f"{target.origin}/… · secret {mask(secret)}"


_CLEAN = {ChannelKind.TELEGRAM: _telegram, ChannelKind.WECOM: _wecom, ChannelKind.BARK: _bark, ChannelKind.WEBHOOK: _webhook}


def config_clean(kind: str, data: dict) -> tuple[dict, dict]:
    """(shown, secret) for a channel of ``kind`` from the fields a person gave, or InvalidChannel
    with a Chinese message and the field (``exc.detail["field"]``); the message never repeats a
    secret. ``shown["summary"]`` is what pages show."""
    if kind not in _CLEAN:
        raise invalid("kind", _("不支持的通知渠道类型。"))
    data = data if isinstance(data, dict) else {}
    shown, secret, summary = _CLEAN[ChannelKind(kind)](data)
    return {**shown, "summary": summary}, secret


def label_clean(label, kind: str) -> str:
    label = label.strip() if isinstance(label, str) else ""
    if any(ord(c) < 32 or c in "\u2028\u2029\x7f" for c in label):
        raise invalid("label", _("名称不能包含换行或控制字符。"))
    if len(label) > 60:
        raise invalid("label", _("名称不能超过60个字符。"))
    return label or str(ChannelKind(kind).label)
