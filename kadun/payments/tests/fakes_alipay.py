"""An offline Alipay open platform: a local HTTP gateway that checks kadun's RSA2 request
signatures with the app's public key and signs its answers and notifications with its own
private key, exactly as Alipay does (keys generated for the tests). It books trades (from the
pay URL the buyer opens), refunds (once per ``out_request_no``) and transfers (once per
``out_biz_no``; a payee ending in ``0000`` does not exist)."""
from __future__ import annotations

import functools
import json
import secrets
import threading
import urllib.parse
from decimal import Decimal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kadun.core import clock
from kadun.payments.providers.alipay_sign import notify_content, request_content, rsa2_sign, rsa2_verify
from kadun.payments.tests.fakes import bills
from kadun.payments.tests.fakes_http import FakeServer

APP_ID, SELLER_ID = "2021000000000001", "2088000000000001"


@functools.lru_cache(maxsize=4)
def key_pair(tag: str = "") -> tuple[str, str]:
    """(private PEM, public PEM), one pair per tag for the whole test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class FakeAlipay:
    def __init__(self):
        self.app_private, self.app_public = key_pair("app")
        self.alipay_private, self.alipay_public = key_pair("alipay")
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.transfer_status = "SUCCESS"  # what a new transfer answers: SUCCESS, or DEALING (result later)
        self.refund_refusals: list[str] = []  # sub_codes the next refund calls are refused with, one each
        self.lost_refund_answers = 0  # refunds booked whose answer is lost on the way (arrives unsigned)
        self.bill_files: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.server = FakeServer(self._handle)
        self.gateway = self.server.url + "/gateway.do"

    def close(self):
        self.server.close()

    # --- the buyer's side ------------------------------------------------------------------
    def open(self, pay_url: str) -> dict:
        """The buyer's browser opens kadun's pay URL: the gateway checks the signature and books the trade."""
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pay_url).query))
        assert rsa2_verify(request_content(params), params["sign"], self.app_public), "kadun's request signature"
        biz = json.loads(params["biz_content"])
        trade = {**biz, "method": params["method"], "notify_url": params.get("notify_url", ""), "status": "WAIT_BUYER_PAY",
                 "trade_no": "2026" + secrets.token_hex(10)}
        self.trades[biz["out_trade_no"]] = trade
        return trade

    def pay(self, out_trade_no: str) -> None:
        self.trades[out_trade_no].update(status="TRADE_SUCCESS", paid_at=clock.now())

    def notification(self, out_trade_no: str, /, **overrides) -> dict[str, str]:
        """The asynchronous notify Alipay sends for a trade, signed (overrides are signed too,
        unless ``sign`` itself is overridden)."""
        t = self.trades[out_trade_no]
        params = {
            "notify_time": "2026-12-01 12:00:00", "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
            "charset": "utf-8", "version": "1.0", "sign_type": "RSA2", "app_id": APP_ID, "auth_app_id": APP_ID,
            "trade_no": t["trade_no"], "out_trade_no": out_trade_no, "seller_id": SELLER_ID, "buyer_id": "2088102177846880",
            "trade_status": t["status"], "total_amount": t["total_amount"], "receipt_amount": t["total_amount"],
            "subject": t["subject"], "gmt_payment": "2026-12-01 12:00:00", "passback_params": t.get("passback_params", ""),
        }
        params.update({k: str(v) for k, v in overrides.items() if k != "sign"})
        params = {k: v for k, v in params.items() if v != ""}
        params["sign"] = overrides.get("sign") or rsa2_sign(notify_content(params), self.alipay_private)
        return params

    def transfer_message(self, out_biz_no: str, status: str, **overrides) -> dict[str, str]:
        """The asynchronous alipay.fund.trans.order.changed message for a transfer, signed."""
        t = self.transfers[out_biz_no]
        t["status"] = status
        biz = {"out_biz_no": out_biz_no, "order_id": t["order_id"], "status": status, "trans_amount": t["amount"],
               "product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER"}
        if status == "FAIL":
            biz["fail_reason"] = "收款方账户异常"
        params = {"msg_method": "alipay.fund.trans.order.changed", "app_id": APP_ID, "version": "1.1", "charset": "utf-8",
                  "sign_type": "RSA2", "notify_id": secrets.token_hex(16), "utc_timestamp": "1764590400000",
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
        params.update({k: str(v) for k, v in overrides.items() if k != "sign"})
        params["sign"] = overrides.get("sign") or rsa2_sign(notify_content(params), self.alipay_private)
        return params

    @staticmethod
    def body(params: dict[str, str]) -> bytes:
        """The exact bytes Alipay POSTs (application/x-www-form-urlencoded, UTF-8)."""
        return urllib.parse.urlencode(params).encode()

    # --- the API ---------------------------------------------------------------------------
    def _answer(self, method: str, response: dict) -> bytes:
        text = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
        key = method.replace(".", "_") + "_response"
        sign = rsa2_sign(text, self.alipay_private)
        return ('{"%s":%s,"sign":"%s"}' % (key, text, sign)).encode()

    def _handle(self, verb, path, params):
        if path == "/downloadBillFile.resource":  # the short-lived bill URL: no signature, the token is the fileId
            content = self.bill_files.get(params.get("fileId", ""))
            return (200, "application/octet-stream", content) if content else (404, "text/plain", b"not found")
        if not rsa2_verify(request_content(params), params.get("sign", ""), self.app_public) or params.get("app_id") != APP_ID:
            return 200, "application/json", b'{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}}'
        method, biz = params["method"], json.loads(params["biz_content"])
        handler = getattr(self, "_" + method.replace(".", "_"))
        with self.lock:
            response = handler(biz)
            lost = method == "alipay.trade.refund" and response.get("fund_change") == "Y" and self.lost_refund_answers > 0
            self.lost_refund_answers -= 1 if lost else 0
        if lost:  # booked, but the answer kadun gets cannot be trusted: as good as lost
            return 200, "application/json;charset=utf-8", self._answer(method, response).replace(b'"sign":"', b'"sign":"AA')
        return 200, "application/json;charset=utf-8", self._answer(method, response)

    @staticmethod
    def _fail(sub_code: str, sub_msg: str) -> dict:
        return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}

    def _alipay_trade_query(self, biz):
        t = self.trades.get(biz.get("out_trade_no"))
        if t is None:
            return self._fail("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return {"code": "10000", "msg": "Success", "trade_no": t["trade_no"], "out_trade_no": biz["out_trade_no"],
                "trade_status": t["status"], "total_amount": t["total_amount"]}

    def _alipay_trade_refund(self, biz):
        if self.refund_refusals:
            code = self.refund_refusals.pop(0)
            return self._fail(code, {"ACQ.SYSTEM_ERROR": "系统错误", "ACQ.TRADE_HAS_FINISHED": "交易已完结"}.get(code, "业务处理失败"))
        t = self.trades.get(biz.get("out_trade_no"))
        if t is None or t["status"] not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return self._fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        key = biz["out_request_no"]
        if key not in self.refunds:  # once per out_request_no
            refunded = sum(Decimal(r["amount"]) for r in self.refunds.values() if r["out_trade_no"] == biz["out_trade_no"])
            if refunded + Decimal(biz["refund_amount"]) > Decimal(t["total_amount"]):
                return self._fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            self.refunds[key] = {"out_trade_no": biz["out_trade_no"], "amount": biz["refund_amount"], "at": clock.now()}
            fund_change = "Y"
        else:
            fund_change = "N"
        return {"code": "10000", "msg": "Success", "trade_no": t["trade_no"], "out_trade_no": biz["out_trade_no"],
                "refund_fee": biz["refund_amount"], "fund_change": fund_change}

    def _alipay_trade_fastpay_refund_query(self, biz):
        """As Alipay answers: the refund's data when it exists, a bare Success when it does not."""
        t = self.trades.get(biz.get("out_trade_no"))
        if t is None:
            return self._fail("ACQ.TRADE_NOT_EXIST", "交易不存在")
        r = self.refunds.get(biz.get("out_request_no"))
        if r is None or r["out_trade_no"] != biz["out_trade_no"]:
            return {"code": "10000", "msg": "Success"}
        return {"code": "10000", "msg": "Success", "trade_no": t["trade_no"], "out_trade_no": biz["out_trade_no"],
                "out_request_no": biz["out_request_no"], "total_amount": t["total_amount"], "refund_amount": r["amount"],
                "refund_status": "REFUND_SUCCESS", "gmt_refund_pay": "2026-12-01 12:05:00"}

    def _alipay_fund_trans_uni_transfer(self, biz):
        payee = biz["payee_info"]
        if payee["identity"].endswith("0000"):
            return self._fail("PAYEE_NOT_EXIST", "收款账号不存在")
        key = biz["out_biz_no"]
        if key not in self.transfers:  # once per out_biz_no
            self.transfers[key] = {"amount": biz["trans_amount"], "payee": payee, "order_id": "2026" + secrets.token_hex(8),
                                   "status": self.transfer_status}
        t = self.transfers[key]
        return {"code": "10000", "msg": "Success", "out_biz_no": key, "order_id": t["order_id"],
                "pay_fund_order_id": t["order_id"], "status": t["status"], "trans_date": "2026-12-01 12:00:00"}

    def _alipay_fund_trans_common_query(self, biz):
        t = self.transfers.get(biz.get("out_biz_no"))
        if t is None:
            return self._fail("ORDER_NOT_EXIST", "转账订单不存在")
        return {"code": "10000", "msg": "Success", "order_id": t["order_id"], "status": t["status"], "trans_amount": t["amount"]}

    # --- 对账单 ----------------------------------------------------------------------------
    def statement_rows(self, day) -> list:
        """The day's 业务明细 rows from the gateway's own books (Asia/Shanghai)."""
        rows = [bills.Row("trade", no, t["trade_no"], int(Decimal(t["total_amount"]) * 100), t["paid_at"], subject=t.get("subject", ""))
                for no, t in self.trades.items() if t["status"] in ("TRADE_SUCCESS", "TRADE_FINISHED") and t.get("paid_at")]
        rows += [bills.Row("refund", r["out_trade_no"], self.trades[r["out_trade_no"]]["trade_no"], int(Decimal(r["amount"]) * 100),
                           r["at"], refund_no=key) for key, r in self.refunds.items()]
        return sorted(bills.on_day(rows, day), key=lambda r: r.at)

    def statement(self, day) -> bytes:
        """The zip the bill URL serves."""
        return bills.alipay_zip(self.statement_rows(day), pid=SELLER_ID, day=day)

    def _alipay_data_dataservice_bill_downloadurl_query(self, biz):
        import datetime as dt

        if biz.get("bill_type") != "trade":
            return self._fail("isp.bill_type_not_support", "账单类型不支持")
        day = dt.date.fromisoformat(biz["bill_date"])
        if day >= clock.now().astimezone(bills.SHANGHAI).date():
            return self._fail("isp.bill_not_exist", "账单不存在")
        token = secrets.token_hex(12)
        self.bill_files[token] = self.statement(day)
        url = (f"{self.server.url}/downloadBillFile.resource?bizType=trade&userId={SELLER_ID}&fileType=csv.zip"
               f"&bill_date={biz['bill_date']}&downloadFileName={SELLER_ID}_{day:%Y%m%d}.csv.zip&fileId={token}")
        return {"code": "10000", "msg": "Success", "bill_download_url": url}
