"""A fake epusdt / BEpusdt service: it checks our signature, quotes the USDT amount at the rate it
is sent, and signs its JSON callbacks exactly as epusdt does (md5 of the sorted non-empty
``k=v&…`` + the API token)."""
from __future__ import annotations

import json
import secrets
import threading
from decimal import ROUND_UP, Decimal

from kadun.payments.providers.epusdt import sign
from kadun.payments.tests.fakes.common import FakeServer

TOKEN = "epusdt_password_xasddawqe"


def configure(settings, *, base_url: str) -> None:
    settings.KADUN_EPUSDT_BASE_URL, settings.KADUN_EPUSDT_TOKEN, settings.KADUN_EPUSDT_RATE = base_url, TOKEN, "7.2"


class FakeEpusdt:
    def __init__(self):
        self.orders = {}
        self.lock = threading.Lock()
        self.server = FakeServer(self.handle)
        self.url = self.server.url

    def handle(self, method, path, headers, body):
        data = json.loads(body, parse_float=str, parse_int=str) if body else {}
        if method != "POST" or path != "/api/v1/order/create-transaction":
            return self._json({"status_code": 404, "message": "not found"})
        if sign(data, TOKEN) != data.get("signature"):
            return self._json({"status_code": 401, "message": "签名认证错误"})
        with self.lock:
            usdt = (Decimal(data["amount"]) / Decimal(data["rate"])).quantize(Decimal("0.01"), rounding=ROUND_UP)
            trade = {"trade_id": secrets.token_hex(8), "order_id": data["order_id"], "amount": data["amount"],
                     "actual_amount": str(usdt), "token": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "expiration_time": 600,
                     "payment_url": f"{self.url}/pay/checkout-counter/{data['order_id']}"}
            self.orders[data["order_id"]] = trade
        return self._json({"status_code": 200, "message": "success", "data": trade, "request_id": ""})

    @staticmethod
    def _json(data):
        return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()

    def callback(self, order_id: str, *, token: str = TOKEN, **overrides) -> bytes:
        """The JSON body epusdt POSTs when the trade is paid (status 2), numbers as JSON numbers."""
        trade = self.orders.get(order_id, {"trade_id": "x", "amount": "1", "actual_amount": "1"})
        fields = {"trade_id": trade["trade_id"], "order_id": order_id, "amount": trade["amount"], "actual_amount": trade["actual_amount"],
                  "token": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "block_transaction_id": secrets.token_hex(32), "status": "2"}
        fields.update({k: str(v) for k, v in overrides.items()})
        fields["signature"] = sign(fields, token)
        numbers = ("amount", "actual_amount", "status")
        return ("{" + ",".join(f'"{k}":{v if k in numbers else json.dumps(v)}' for k, v in fields.items()) + "}").encode()

    def close(self):
        self.server.close()
