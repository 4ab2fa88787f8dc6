"""Local HTTP servers speaking the channels' real protocols, for the tests.

- Telegram Bot API: ``POST /bot<token>/sendMessage`` with JSON ``{chat_id, text, ...}``;
  ``{"ok": true, "result": {...}}``, or for an unknown token 401 ``{"ok": false, "error_code":
  401, "description": "Unauthorized"}``, for an unknown chat 400 ``Bad Request: chat not found``.
- 企业微信群机器人: ``POST /cgi-bin/webhook/send?key=<key>``; ``{"errcode": 0, "errmsg": "ok"}``,
  or for an unknown key ``{"errcode": 93000, "errmsg": "invalid webhook url, ..."}`` (HTTP 200).
- Bark: ``POST /push`` with JSON ``{device_key, title, body, ...}``; ``{"code": 200, "message":
  "success", "timestamp": …}``, or ``{"code": 400, "message": "failed to get device token: ..."}``
  (HTTP 400).
- A webhook receiver that records the request and answers ``answer_status``.

Each records what it received (path, headers, raw body, parsed JSON) in ``seen``.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict]
    tokens: set[str] = set()
    chats: set = set()
    wecom_keys: set[str] = set()
    bark_keys: set[str] = set()
    answer_status: int = 200
    redirect_to: str | None = None

    def log_message(self, *args):
        pass

    def _reply(self, status: int, payload: dict | None = None, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urllib.parse.urlsplit(self.path)
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        self.server.seen.append({"path": parts.path, "query": urllib.parse.parse_qs(parts.query), "headers": dict(self.headers), "raw": raw, "json": data})
        if self.server.redirect_to:
            return self._reply(302, None, {"Location": self.server.redirect_to})
        if parts.path.startswith("/bot") and parts.path.endswith("/sendMessage"):
            return self._telegram(parts.path[len("/bot"):-len("/sendMessage")], data)
        if parts.path == "/cgi-bin/webhook/send":
            return self._wecom(urllib.parse.parse_qs(parts.query).get("key", [""])[0], data)
        if parts.path == "/push":
            return self._bark(data)
        return self._reply(self.server.answer_status, {"received": True, "path": parts.path})  # echoes the path, as many servers do on errors

    def _telegram(self, token: str, data):
        if token not in self.server.tokens:
            return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if not isinstance(data, dict) or data.get("chat_id") not in self.server.chats or not data.get("text"):
            return self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
        return self._reply(200, {"ok": True, "result": {"message_id": len(self.server.seen), "chat": {"id": data["chat_id"]}, "text": data["text"]}})

    def _wecom(self, key: str, data):
        if key not in self.server.wecom_keys:
            return self._reply(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc], from ip: 127.0.0.1"})
        if not isinstance(data, dict) or data.get("msgtype") != "text" or not data.get("text", {}).get("content"):
            return self._reply(200, {"errcode": 40008, "errmsg": "invalid message type"})
        return self._reply(200, {"errcode": 0, "errmsg": "ok"})

    def _bark(self, data):
        if not isinstance(data, dict) or data.get("device_key") not in self.server.bark_keys:
            return self._reply(400, {"code": 400, "message": "failed to get device token: device token not found", "timestamp": int(time.time())})
        return self._reply(200, {"code": 200, "message": "success", "timestamp": int(time.time())})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Recorder)
        self.seen: list[dict] = []
        self.tokens: set[str] = set()
        self.chats: set = set()
        self.wecom_keys: set[str] = set()
        self.bark_keys: set[str] = set()
        self.answer_status = 200
        self.redirect_to: str | None = None
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
