"""The channels' protocols. Each ``send_<kind>`` posts one notification and returns, or raises
DeliveryFailed with a message that holds no secret (the outbox then retries with back-off).

- Telegram Bot API: POST {KADUN_TELEGRAM_API_BASE}/bot<token>/sendMessage, JSON
  ``{chat_id, text, disable_web_page_preview}``; sent iff HTTP 200 and ``ok`` is true.
- 企业微信群机器人: POST {KADUN_WECOM_API_BASE}/cgi-bin/webhook/send?key=<key>, JSON
  ``{"msgtype": "text", "text": {"content": …}}``; sent iff ``errcode`` is 0.
- Bark: POST {server, default KADUN_BARK_API_BASE}/push, JSON ``{device_key, title, body, url,
  group: "kadun"}``; sent iff ``code`` is 200.
- Webhook: POST the user's URL, JSON ``{event, title, body, link, sent_at}``, with
  ``X-Kadun-Timestamp`` and ``X-Kadun-Signature`` = hex HMAC-SHA256(secret, timestamp + "." +
  body); sent iff 2xx.

Every request goes through ``kadun.core.safehttp`` (one resolution, pinned address, no
redirects, 5 s to connect and per read, 8 s in all). The hosts the operator configured
(the API bases) may be anywhere; the ones a user wrote (a webhook, a Bark server of their own)
must be public and https (``channels.allow_private`` / ``allow_http``).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

from kadun.core import clock, safehttp
from kadun.notifications import channels

TIMEOUT_SECONDS = 5
TOTAL_SECONDS = 8
USER_AGENT = "kadun-notify/1"


class DeliveryFailed(Exception):
    """A send that did not arrive; the message is safe to log and show (no secret in it)."""


@dataclass(frozen=True)
class Note:
    event: str
    title: str
    body: str
    link: str  # absolute, or empty
    delivery_id: int = 0

    def text(self, limit: int) -> str:
        return "\n".join(part for part in (self.title, self.body, self.link) if part)[:limit]


def redact(text: str, secret: dict) -> str:
    """``text`` with every secret value (and a URL's path and query) replaced."""
    for value in secret.values():
        value = str(value)
        if len(value) >= 4:
            text = text.replace(value, "[redacted]")
        if value.startswith(("http://", "https://")):
            path = value.split("://", 1)[1].partition("/")[2]
            if len(path) >= 4:
                text = text.replace(path, "[redacted]")
    return text


def _post(url: str, payload: dict, *, outside: bool, headers: dict | None = None, body: bytes | None = None) -> tuple[int, bytes]:
    """POST JSON; ``outside`` = a URL a user wrote (public https only). Returns (status, body)."""
    if outside:
        try:
            target = channels.outside_url(url, field="url", label="地址")
        except channels.InvalidChannel as exc:
            raise DeliveryFailed(f"refused: {exc.message}") from None
    else:
        target = safehttp.parse_url(url, max_length=2000)
    data = body if body is not None else json.dumps(payload, ensure_ascii=False).encode()
    all_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})}
    try:
        response = safehttp.post(
            target, data, all_headers, allow_private=(not outside) or channels.allow_private(),
            timeout=TIMEOUT_SECONDS, total=TOTAL_SECONDS, max_bytes=65536,
        )
    except safehttp.Refused:
        raise DeliveryFailed("refused: host resolves to no public address") from None
    except safehttp.ExchangeTimeout:
        raise DeliveryFailed("timeout") from None
    return response.status, response.body


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _answer(status: int, body: bytes) -> str:
    return f"HTTP {status}: {body[:200].decode('utf-8', errors='replace')}"


def send_telegram(shown: dict, secret: dict, note: Note) -> None:
    base = settings.KADUN_TELEGRAM_API_BASE.rstrip("/")
    chat = shown["chat_id"]
    payload = {"chat_id": int(chat) if chat.lstrip("-").isdigit() else chat, "text": note.text(4096), "disable_web_page_preview": True}
    status, body = _post(f"{base}/bot{secret['bot_token']}/sendMessage", payload, outside=False)
    answer = _json(body)
    if status != 200 or answer.get("ok") is not True:
        raise DeliveryFailed(f"telegram: HTTP {status}: {str(answer.get('description') or body[:200].decode(errors='replace'))[:200]}")


def _cut_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def send_wecom(shown: dict, secret: dict, note: Note) -> None:
    base = settings.KADUN_WECOM_API_BASE.rstrip("/")
    payload = {"msgtype": "text", "text": {"content": _cut_bytes(note.text(4096), 2048)}}  # 企业微信: at most 2048 bytes
    status, body = _post(f"{base}/cgi-bin/webhook/send?key={secret['key']}", payload, outside=False)
    answer = _json(body)
    if status != 200 or answer.get("errcode") != 0:
        raise DeliveryFailed(f"wecom: HTTP {status}: errcode {answer.get('errcode')} {str(answer.get('errmsg', ''))[:160]}")


def send_bark(shown: dict, secret: dict, note: Note) -> None:
    server = shown.get("server") or settings.KADUN_BARK_API_BASE
    payload = {"device_key": secret["device_key"], "title": note.title, "body": note.body[:1000] or note.title, "group": "kadun"}
    if note.link:
        payload["url"] = note.link
    status, body = _post(f"{server.rstrip('/')}/push", payload, outside="server" in shown)
    answer = _json(body)
    if status != 200 or answer.get("code") != 200:
        raise DeliveryFailed(f"bark: HTTP {status}: code {answer.get('code')} {str(answer.get('message', ''))[:160]}")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256(secret, timestamp + "." + body): what a receiver recomputes."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send_webhook(shown: dict, secret: dict, note: Note) -> None:
    now = clock.now()
    body = json.dumps(
        {"event": note.event, "title": note.title, "body": note.body, "link": note.link, "sent_at": now.isoformat().replace("+00:00", "Z")},
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "X-Kadun-Timestamp": timestamp, "X-Kadun-Signature": webhook_signature(secret["secret"], timestamp, body),
        "X-Kadun-Event": note.event, "X-Kadun-Delivery": str(note.delivery_id),
    }
    status, answer = _post(secret["url"], {}, outside=True, headers=headers, body=body)
    if not 200 <= status < 300:
        raise DeliveryFailed(f"webhook: {_answer(status, answer)}")


SEND = {"telegram": send_telegram, "wecom": send_wecom, "bark": send_bark, "webhook": send_webhook}


def send(kind: str, shown: dict, secret: dict, note: Note) -> None:
    """Send through one channel; any failure is DeliveryFailed with the secrets taken out."""
    try:
        SEND[kind](shown, secret, note)
    except DeliveryFailed as exc:
        raise DeliveryFailed(redact(str(exc), secret)[:300]) from None
    except Exception as exc:  # DNS, connection, TLS, protocol: retried by the outbox
        raise DeliveryFailed(redact(f"{type(exc).__name__}: {exc}", secret)[:300]) from None
