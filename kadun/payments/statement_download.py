"""Fetching a day's statement from the gateway, through the signed clients.

* 支付宝: ``alipay.data.dataservice.bill.downloadurl.query`` (bill_type=trade, bill_date
  YYYY-MM-DD), answer signed and verified by ``alipay.call``; then a plain GET of
  ``bill_download_url`` (short-lived, the token is in the URL) → the zip.
* 微信支付: ``GET /v3/bill/tradebill?bill_date=…&bill_type=ALL`` (signed both ways by
  ``wechatpay.call``) → ``download_url`` + ``hash_type`` SHA1 + ``hash_value``; the file itself is
  fetched with a signed GET (WeChat does not sign the file) and must hash to ``hash_value``. Our
  Authorization goes only to the configured API host.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from kadun.core import clock
from kadun.payments.providers import alipay, wechatpay
from kadun.payments.statements import StatementError

MAX_BYTES = 512 * 1024 * 1024


def _read(request, timeout: int) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the gateway's own URL)
            data = response.read(MAX_BYTES + 1)
    except (OSError, urllib.error.URLError) as exc:
        raise StatementError("download_failed", f"账单下载失败（{type(exc).__name__}）。") from None
    if len(data) > MAX_BYTES:
        raise StatementError("download_failed", "账单文件过大。")
    return data


def alipay_statement(day: dt.date) -> bytes:
    try:
        body = alipay.call("alipay.data.dataservice.bill.downloadurl.query", {"bill_type": "trade", "bill_date": day.isoformat()})
    except alipay.GatewayError as exc:
        raise StatementError("download_failed", f"支付宝账单地址查询失败：{exc}") from None
    if body.get("code") != "10000" or not body.get("bill_download_url"):
        raise StatementError("download_failed", f"支付宝未给出账单：{str(body.get('sub_code') or body.get('code'))[:40]}")
    url = str(body["bill_download_url"])
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise StatementError("download_failed", "支付宝账单地址无效。")
    return _read(urllib.request.Request(url, headers={"User-Agent": "kadun"}), settings.KADUN_ALIPAY_TIMEOUT_SECONDS)


def wechat_statement(day: dt.date) -> bytes:
    try:
        answer = wechatpay.call("GET", f"/v3/bill/tradebill?bill_date={day.isoformat()}&bill_type=ALL")
    except wechatpay.GatewayError as exc:
        raise StatementError("download_failed", f"微信支付账单申请失败：{exc}") from None
    url, hash_type, hash_value = (str(answer.get(k, "")) for k in ("download_url", "hash_type", "hash_value"))
    base, target = urllib.parse.urlsplit(settings.KADUN_WECHATPAY_BASE_URL), urllib.parse.urlsplit(url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc) or hash_type != "SHA1" or not hash_value:
        raise StatementError("download_failed", "微信支付账单的下载地址或摘要无效。")
    path = target.path + ("?" + target.query if target.query else "")
    headers = {"Authorization": wechatpay.authorization(method="GET", url=path, body="", timestamp=int(clock.now().timestamp()),
                                                        nonce=secrets.token_hex(16)),
               "Accept": "*/*", "User-Agent": "kadun"}
    data = _read(urllib.request.Request(url, headers=headers), settings.KADUN_WECHATPAY_TIMEOUT_SECONDS)
    if hashlib.sha1(data).hexdigest() != hash_value.lower():  # noqa: S324 (WeChat's published digest)
        raise StatementError("hash_mismatch", "微信支付账单摘要不符，文件可能不完整或被篡改。")
    return data


DOWNLOADERS = {"alipay": alipay_statement, "wechatpay": wechat_statement}
