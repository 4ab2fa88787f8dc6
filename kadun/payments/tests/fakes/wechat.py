"""A fake WeChat Pay v3 gateway: it verifies our requests' Authorization with the merchant's
public key, signs its answers and notifications with its own platform key (a certificate or a
微信支付公钥), and encrypts a notification's resource with AEAD_AES_256_GCM and the APIv3 key —
exactly as the real one does. Keys are generated here, per test session."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import threading
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from kadun.core import clock
from kadun.payments.tests.fakes import bills
from kadun.payments.tests.fakes.common import FakeServer

MCHID, APPID = "1900000001", "wxd678efh567hg6787"
APIV3_KEY = "0123456789abcdefABCDEF0123456789"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000000012025010100000000000001"


def _pem_private(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def _pem_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@lru_cache(maxsize=1)
def keys() -> dict:
    """merchant key, platform key + its certificate, a 微信支付公钥 key: generated once."""
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wxpub = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(platform.public_key())
            .serial_number(0x3F1D5A0B2C4E6F8091A2B3C4D5E6F70812345678).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650)).sign(platform, hashes.SHA256()))
    return {
        "merchant": merchant, "merchant_pem": _pem_private(merchant),
        "platform": platform, "platform_serial": format(cert.serial_number, "X"),
        "platform_cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "wxpub": wxpub, "wxpub_pem": _pem_public(wxpub),
    }


def configure(settings, *, base_url: str, use_public_key: bool = False) -> None:
    k = keys()
    settings.KADUN_WECHATPAY_BASE_URL = base_url
    settings.KADUN_WECHATPAY_MCHID, settings.KADUN_WECHATPAY_APPID = MCHID, APPID
    settings.KADUN_WECHATPAY_PRIVATE_KEY, settings.KADUN_WECHATPAY_CERT_SERIAL = k["merchant_pem"], MERCHANT_SERIAL
    settings.KADUN_WECHATPAY_APIV3_KEY = APIV3_KEY
    settings.KADUN_WECHATPAY_PLATFORM_CERTS = "" if use_public_key else k["platform_cert_pem"]
    settings.KADUN_WECHATPAY_PUBLIC_KEY = k["wxpub_pem"] if use_public_key else ""
    settings.KADUN_WECHATPAY_PUBLIC_KEY_ID = PUBLIC_KEY_ID if use_public_key else ""


def wechat_sign(key, body: bytes, *, timestamp: int, nonce: str) -> str:
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def encrypt(plain: dict, *, key: str = APIV3_KEY, original_type: str = "transaction", aad: str = "transaction") -> dict:
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), aad.encode())
    return {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": aad, "nonce": nonce}


AUTH = re.compile(r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>[^"]+)",nonce_str="(?P<nonce>[^"]+)",'
                  r'signature="(?P<sig>[^"]+)",timestamp="(?P<ts>\d+)",serial_no="(?P<serial>[^"]+)"$')


class FakeWechat:
    """The gateway's books: trades by out_trade_no, refunds by out_refund_no, transfers by out_bill_no."""

    def __init__(self, *, use_public_key: bool = False):
        self.use_public_key = use_public_key
        self.trades, self.refunds, self.transfers = {}, {}, {}
        self.system_errors = 0  # how many transfer calls answer 500 SYSTEM_ERROR first
        self.foreign_openids = set()  # openids not of our appid: a transfer to one is refused
        self.payee_names = {}  # out_bill_no → the user_name we sent, decrypted with WeChat's private key
        self.bill_files = {}  # token → bytes
        self.requests = []  # (method, path) of every request that passed its signature check
        self.refund_status = "PROCESSING"  # what a new refund answers: PROCESSING (bank cards, 零钱 later) or SUCCESS
        self.refund_refusals: list[tuple[int, str]] = []  # (HTTP status, code) the next refund calls get, one each
        self.lock = threading.Lock()
        self.server = FakeServer(self.handle)
        self.url = self.server.url

    # --- signing as WeChat ---------------------------------------------------------------
    def _signer(self):
        k = keys()
        return (k["wxpub"], PUBLIC_KEY_ID) if self.use_public_key else (k["platform"], k["platform_serial"])

    def signed_headers(self, body: bytes, *, timestamp: int, nonce: str | None = None, key=None, serial: str | None = None) -> dict:
        default_key, default_serial = self._signer()
        nonce = nonce or secrets.token_hex(16)
        return {"wechatpay-timestamp": str(timestamp), "wechatpay-nonce": nonce, "wechatpay-serial": serial or default_serial,
                "wechatpay-signature": wechat_sign(key or default_key, body, timestamp=timestamp, nonce=nonce)}

    def notification(self, out_trade_no: str, *, timestamp: int, nonce: str | None = None, **overrides) -> tuple[bytes, dict]:
        """(body, headers) of the TRANSACTION.SUCCESS notification for a trade; ``overrides`` change the
        decrypted resource (amount=…, currency=…, mchid=…, appid=…, trade_state=…)."""
        trade = self.trades.get(out_trade_no, {"out_trade_no": out_trade_no, "amount": 0})
        resource = {
            "mchid": overrides.pop("mchid", MCHID), "appid": overrides.pop("appid", APPID), "out_trade_no": out_trade_no,
            "transaction_id": trade.get("transaction_id", "4200000000" + secrets.token_hex(6)),
            "trade_type": "NATIVE", "trade_state": overrides.pop("trade_state", "SUCCESS"), "trade_state_desc": "支付成功",
            "success_time": "2026-12-01T12:00:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": overrides.pop("amount", trade["amount"]), "payer_total": trade["amount"],
                       "currency": overrides.pop("currency", "CNY"), "payer_currency": "CNY"},
        }
        envelope = {"id": secrets.token_hex(8), "create_time": "2026-12-01T12:00:00+08:00", "resource_type": "encrypt-resource",
                    "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功", "resource": encrypt(resource, **overrides)}
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return body, self.signed_headers(body, timestamp=timestamp, nonce=nonce)

    def finish_transfer(self, out_bill_no: str, state: str = "SUCCESS", fail_reason: str = "") -> None:
        """The payee confirmed (or the bill failed / was cancelled): the bill is final."""
        bill = self.transfers[out_bill_no]
        bill["state"] = state
        if fail_reason:
            bill["fail_reason"] = fail_reason

    def transfer_notification(self, out_bill_no: str, /, *, timestamp: int, nonce: str | None = None, key: str = APIV3_KEY,
                              event_type: str = "MCHTRANSFER.BILL.FINISHED", **overrides) -> tuple[bytes, dict]:
        """(body, headers) of 商家转账回调通知 for a bill, as WeChat sends it: the envelope signed, the
        resource (mchid, out_bill_no, transfer_bill_no, state, transfer_amount, openid, fail_reason,
        create_time, update_time) encrypted with original_type ``mch_payment``. ``overrides``
        change the decrypted resource (mchid=…, appid=…, state=…, transfer_amount=…, out_bill_no=…)."""
        bill = self.transfers[out_bill_no]
        resource = {"mchid": MCHID, "out_bill_no": out_bill_no, "transfer_bill_no": bill["transfer_bill_no"], "state": bill["state"],
                    "transfer_amount": bill["transfer_amount"], "openid": bill["openid"],
                    "create_time": "2026-12-01T12:00:00.120+08:00", "update_time": "2026-12-01T12:05:00.120+08:00"}
        if bill.get("fail_reason"):
            resource["fail_reason"] = bill["fail_reason"]
        resource.update(overrides)
        envelope = {"id": "EV-" + secrets.token_hex(10), "create_time": "2026-12-01T12:05:00+08:00", "resource_type": "encrypt-resource",
                    "event_type": event_type, "summary": "商家转账单据终态通知",
                    "resource": encrypt(resource, key=key, original_type="mch_payment", aad="mch_payment")}
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return body, self.signed_headers(body, timestamp=timestamp, nonce=nonce)

    # --- the API -------------------------------------------------------------------------
    def _answer(self, status: int, data: dict):
        import time

        body = json.dumps(data, ensure_ascii=False).encode()
        headers = {k.title(): v for k, v in self.signed_headers(body, timestamp=int(time.time())).items()}
        headers["Content-Type"] = "application/json"
        return status, headers, body

    def _authorized(self, method, path, headers, body) -> bool:
        match = AUTH.match(headers.get("authorization", ""))
        if not match or match["mchid"] != MCHID or match["serial"] != MERCHANT_SERIAL:
            return False
        message = f"{method}\n{path}\n{match['ts']}\n{match['nonce']}\n{body.decode()}\n".encode()
        try:
            keys()["merchant"].public_key().verify(base64.b64decode(match["sig"]), message, padding.PKCS1v15(), hashes.SHA256())
            return True
        except Exception:  # noqa: BLE001
            return False

    def handle(self, method, path, headers, body):
        if not self._authorized(method, path, headers, body):
            return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        self.requests.append((method, path))
        data = json.loads(body) if body else {}
        with self.lock:
            if method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/h5"):
                return self._create(path.rsplit("/", 1)[1], data)
            if method == "GET" and path.startswith("/v3/pay/transactions/out-trade-no/"):
                return self._query(path.split("/")[-1].split("?")[0])
            if method == "GET" and path.startswith("/v3/bill/tradebill?"):
                return self._tradebill(path)
            if method == "GET" and path.startswith("/v3/billdownload/file?token="):
                content = self.bill_files.get(path.split("token=", 1)[1])
                # the file is not signed by WeChat: its SHA1 came in the signed tradebill answer
                return (200, {"Content-Type": "application/octet-stream"}, content) if content is not None else \
                    self._answer(404, {"code": "NOT_FOUND", "message": "账单不存在"})
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                if self.refund_refusals:
                    status, code = self.refund_refusals.pop(0)
                    return self._answer(status, {"code": code, "message": "退款失败"})
                return self._refund(data)
            if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
                refund = self.refunds.get(path.rsplit("/", 1)[1])
                return self._answer(200, self._public(refund)) if refund else self._answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
            if method == "POST" and path == "/v3/fund-app/mch-transfer/transfer-bills":
                return self._transfer(data, headers)
            if method == "GET" and path.startswith("/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/"):
                bill = self.transfers.get(path.rsplit("/", 1)[1])
                return self._answer(200, bill) if bill else self._answer(404, {"code": "NOT_FOUND", "message": "记录不存在"})
        return self._answer(404, {"code": "NOT_FOUND", "message": "无此接口"})

    def _create(self, mode, data):
        if data.get("mchid") != MCHID or data.get("appid") != APPID:
            return self._answer(400, {"code": "PARAM_ERROR", "message": "商户号与应用号不匹配"})
        no = data["out_trade_no"]
        self.trades[no] = {"out_trade_no": no, "amount": data["amount"]["total"], "trade_state": "NOTPAY", "mode": mode,
                           "transaction_id": "4200000000" + secrets.token_hex(6), "refunded": 0,
                           "scene_info": data.get("scene_info")}
        if mode == "native":
            return self._answer(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}"})
        return self._answer(200, {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={no}"})

    def pay(self, out_trade_no):
        self.trades[out_trade_no].update(trade_state="SUCCESS", paid_at=clock.now())

    def _query(self, no):
        trade = self.trades.get(no)
        if trade is None:
            return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return self._answer(200, {"mchid": MCHID, "appid": APPID, "out_trade_no": no, "transaction_id": trade["transaction_id"],
                                  "trade_state": trade["trade_state"], "amount": {"total": trade["amount"], "currency": "CNY"}})

    def _refund(self, data):
        existing = self.refunds.get(data["out_refund_no"])
        if existing is not None:  # the same out_refund_no: the same refund, money moved once
            return self._answer(200, self._public(existing))
        trade = self.trades.get(data["out_trade_no"])
        if trade is None or trade["trade_state"] != "SUCCESS" or trade["refunded"] + data["amount"]["refund"] > trade["amount"]:
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "退款金额超过可退金额"})
        trade["refunded"] += data["amount"]["refund"]
        refund = {"refund_id": "5030000000" + secrets.token_hex(6), "out_refund_no": data["out_refund_no"],
                  "transaction_id": trade["transaction_id"], "out_trade_no": data["out_trade_no"], "channel": "ORIGINAL",
                  "user_received_account": "支付用户零钱", "create_time": "2026-12-01T12:00:00+08:00", "status": self.refund_status,
                  "funds_account": "AVAILABLE",
                  "amount": {"refund": data["amount"]["refund"], "total": trade["amount"], "payer_total": trade["amount"],
                             "payer_refund": data["amount"]["refund"], "currency": "CNY"},
                  "at": clock.now()}
        self.refunds[data["out_refund_no"]] = refund
        return self._answer(200, self._public(refund))

    @staticmethod
    def _public(refund: dict) -> dict:
        """The refund as the API answers it (without the fake's own bookkeeping: time, bill status)."""
        return {k: v for k, v in refund.items() if k not in ("at", "bill_status")}

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> None:
        """The refund reaches the buyer (SUCCESS), or the bank card refuses it (ABNORMAL), later."""
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        if status == "SUCCESS":
            refund["success_time"] = "2026-12-01T12:05:00+08:00"

    def _payee_name(self, data, headers) -> str | None:
        """The user_name field: RSA-OAEP with our public key, the key named by Wechatpay-Serial."""
        key, serial = self._signer()
        if headers.get("wechatpay-serial") != serial:
            return None
        try:
            oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)  # noqa: S303
            return key.decrypt(base64.b64decode(data["user_name"]), oaep).decode()
        except Exception:  # noqa: BLE001
            return None

    def _transfer(self, data, headers):
        if self.system_errors:
            self.system_errors -= 1
            return self._answer(500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
        if data.get("appid") != APPID:
            return self._answer(400, {"code": "PARAM_ERROR", "message": "appid与商户号不匹配"})
        if data.get("openid") in self.foreign_openids and data["out_bill_no"] not in self.transfers:
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "openid与appid不匹配"})
        if "user_name" in data:
            name = self._payee_name(data, headers)
            if name is None:
                return self._answer(400, {"code": "PARAM_ERROR", "message": "user_name 解密失败"})
            self.payee_names[data["out_bill_no"]] = name
        elif data["transfer_amount"] >= 200_000:
            return self._answer(400, {"code": "PARAM_ERROR", "message": "转账金额>=2000元时，收款用户姓名必填"})
        existing = self.transfers.get(data["out_bill_no"])
        if existing is None:
            existing = {"out_bill_no": data["out_bill_no"], "transfer_bill_no": "1330000" + secrets.token_hex(8),
                        "state": "WAIT_USER_CONFIRM", "transfer_amount": data["transfer_amount"], "openid": data["openid"],
                        "package_info": "affffddafdfafddffda=="}
            self.transfers[data["out_bill_no"]] = existing
        return self._answer(200, existing)

    # --- 交易账单 ----------------------------------------------------------------------------
    def statement_rows(self, day) -> list:
        rows = [bills.Row("trade", no, t["transaction_id"], t["amount"], t["paid_at"])
                for no, t in self.trades.items() if t["trade_state"] == "SUCCESS" and t.get("paid_at")]
        rows += [bills.Row("refund", r["out_trade_no"], r["refund_id"], r["amount"]["refund"], r["at"], refund_no=no,
                           refund_status=r.get("bill_status", "SUCCESS")) for no, r in self.refunds.items()]
        return sorted(bills.on_day(rows, day), key=lambda r: r.at)

    def statement(self, day) -> bytes:
        return bills.wechat_csv(self.statement_rows(day), mchid=MCHID, appid=APPID)

    def _tradebill(self, path):
        import hashlib
        import urllib.parse

        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        try:
            day = dt.date.fromisoformat(query.get("bill_date", ""))
        except ValueError:
            return self._answer(400, {"code": "PARAM_ERROR", "message": "账单日期格式错误"})
        if query.get("bill_type") != "ALL" or day >= clock.now().astimezone(bills.SHANGHAI).date():
            return self._answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"})
        token = secrets.token_urlsafe(16)
        content = self.statement(day)
        self.bill_files[token] = self.bill_tamper(content) if self.bill_tamper else content
        return self._answer(200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(content).hexdigest(),
                                  "download_url": f"{self.url}/v3/billdownload/file?token={token}"})

    bill_tamper = None  # a test may alter the served file after its hash was given

    def close(self):
        self.server.close()
