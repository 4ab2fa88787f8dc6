"""An offline 易支付 panel: submit.php books the trade the buyer opens (checking kadun's MD5
signature), ``api.php?act=order`` answers the query-back, ``act=refund`` refunds once per
``out_refund_no``, and notifications are signed with the shared key, as 彩虹易支付 does."""
from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from decimal import Decimal

from kadun.payments.providers.epay import sign
from kadun.payments.tests.fakes_http import FakeServer

PID, KEY = "1001", "k8Fz2vQx9LmN4pR7sT1uW3yA5cE6gH0j"


class FakeEpay:
    def __init__(self):
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.refund_api = True
        self.busy_refunds = 0  # the next refund calls the panel refuses (系统繁忙), one each
        self.server = FakeServer(self._handle)
        self.base = self.server.url

    def close(self):
        self.server.close()

    def open(self, pay_url: str) -> dict:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pay_url).query))
        assert sign(params, KEY) == params["sign"], "kadun's request signature"
        trade = {**params, "status": 0, "trade_no": "2026" + secrets.token_hex(8)}
        self.trades[params["out_trade_no"]] = trade
        return trade

    def pay(self, out_trade_no: str) -> None:
        self.trades[out_trade_no]["status"] = 1

    def notification(self, out_trade_no: str, /, **overrides) -> dict[str, str]:
        t = self.trades[out_trade_no]
        params = {"pid": PID, "trade_no": t["trade_no"], "out_trade_no": out_trade_no, "type": t["type"], "name": t["name"],
                  "money": t["money"], "trade_status": "TRADE_SUCCESS"}
        params.update({k: str(v) for k, v in overrides.items() if k != "sign"})
        params["sign"] = overrides.get("sign") or sign(params, KEY)
        params["sign_type"] = "MD5"
        return params

    def _handle(self, verb, path, params):
        if path != "/api.php":
            return 404, "text/plain", b"not found"
        if params.get("pid") != PID or params.get("key") != KEY:
            return 200, "application/json", b'{"code":-1,"msg":"KEY\\u6821\\u9a8c\\u5931\\u8d25"}'
        with self.lock:
            answer = self._order(params) if params.get("act") == "order" else self._refund(params)
        return 200, "application/json", json.dumps(answer, ensure_ascii=False).encode()

    def _order(self, params):
        t = self.trades.get(params.get("out_trade_no"))
        if t is None:
            return {"code": -1, "msg": "订单号不存在"}
        return {"code": 1, "msg": "查询订单号成功！", "trade_no": t["trade_no"], "out_trade_no": t["out_trade_no"], "type": t["type"],
                "pid": PID, "name": t["name"], "money": t["money"], "status": t["status"]}

    def _refund(self, params):
        if not self.refund_api:
            return {"code": -4, "msg": "不支持的操作"}
        if self.busy_refunds > 0:
            self.busy_refunds -= 1
            return {"code": -1, "msg": "系统繁忙，请稍后再试"}
        t = self.trades.get(params.get("out_trade_no"))
        if t is None or t["status"] != 1:
            return {"code": -1, "msg": "订单状态不允许退款"}
        key = params.get("out_refund_no") or secrets.token_hex(4)
        if key not in self.refunds:
            done = sum(Decimal(r["money"]) for r in self.refunds.values() if r["out_trade_no"] == t["out_trade_no"])
            if done + Decimal(params["money"]) > Decimal(t["money"]):
                return {"code": -1, "msg": "退款金额超过订单金额"}
            self.refunds[key] = {"out_trade_no": t["out_trade_no"], "money": params["money"]}
        return {"code": 1, "msg": "退款成功"}
