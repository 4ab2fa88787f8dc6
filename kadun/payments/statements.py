"""Gateway statements (对账单), parsed as they stream: one ``StatementLine`` per trade or refund
row, amounts exact to the 分 (Decimal text, never float). Columns are found by their names in
the header row, as both gateways ask (the order of columns is not promised).

* 支付宝 业务明细 (``alipay.data.dataservice.bill.downloadurl.query``, bill_type=trade): a zip
  holding ``<PID>_<YYYYMMDD>_业务明细.csv`` (and a ``(汇总)`` file we do not need), GBK
  encoded. ``#`` comment lines before the header (``#支付宝业务明细查询``, ``#账号：[…]``,
  ``#起始日期：[…]   终止日期：[…]``, the ``#---业务明细列表---`` rule) and after the rows
  (``#---业务明细列表结束---``, ``#交易合计：N笔，…``, ``#退款合计：M笔``, ``#导出时间：[…]``).
  Values carry trailing tabs (so Excel keeps long numbers as text). 业务类型 交易 is a payment,
  退款 a refund whose 退款批次号/请求号 is our ``out_request_no``; a refund row's amounts are
  negative.
* 微信支付 v3 交易账单 (``GET /v3/bill/tradebill``, bill_type=ALL): UTF-8, a header row, rows
  whose every field starts with a backtick, then the summary header (``总交易单数,…``) and one
  summary row. 交易状态 SUCCESS is a payment, REFUND a refund (退款状态 SUCCESS counts).

A file that is not the format, has a row of the wrong width, an amount that is not exact to the
分, or whose totals disagree with its rows (a truncated download) raises ``StatementError``
with the line number: nothing is reconciled from half a file.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from kadun.core.errors import DomainError

_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


class StatementError(DomainError):
    code = "bad_statement"
    status = 400
    message = "对账单格式错误。"


@dataclass(frozen=True, slots=True)
class StatementLine:
    line_no: int
    kind: str  # "trade" / "refund"
    out_trade_no: str
    gateway_no: str
    amount: int  # 分, positive
    refund_no: str = ""


def fen(text: str, *, line_no: int, column: str) -> int:
    """``"10.10"`` / ``"-0.01"`` → 1010 / -1 分, exactly; anything else is a StatementError."""
    text = text.strip()
    if not _AMOUNT.match(text):
        raise StatementError("bad_amount", f"对账单第 {line_no} 行「{column}」金额格式错误：{text[:20]}")
    return int(Decimal(text) * 100)


def _columns(header: list[str], required: tuple[str, ...], *, line_no: int, what: str) -> dict[str, int]:
    names = {name.strip().lstrip("\ufeff"): i for i, name in enumerate(header)}
    missing = [name for name in required if name not in names]
    if missing:
        raise StatementError("not_a_statement", f"不是{what}：第 {line_no} 行缺少列 " + "、".join(missing))
    return names


# --- 支付宝 ----------------------------------------------------------------------------------
ALIPAY_REQUIRED = ("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "退款批次号/请求号")
_ALIPAY_TOTAL = re.compile(r"^#交易合计：(\d+)笔")
_ALIPAY_REFUNDS = re.compile(r"^#退款合计：(\d+)笔")


def alipay_detail_stream(data: BinaryIO) -> BinaryIO:
    """The 业务明细 CSV inside Alipay's zip (names in a GBK zip come through as cp437); a bare CSV
    is returned as it is."""
    head = data.read(4)
    data.seek(0)
    if head != b"PK\x03\x04":
        return data
    try:
        archive = zipfile.ZipFile(data)
    except zipfile.BadZipFile:
        raise StatementError("not_a_statement", "支付宝账单压缩包已损坏。") from None
    for info in archive.infolist():
        name = info.filename if info.flag_bits & 0x800 else info.filename.encode("cp437").decode("gbk", "replace")
        if name.endswith("业务明细.csv"):
            return archive.open(info)
    raise StatementError("not_a_statement", "支付宝账单压缩包中没有业务明细文件。")


def parse_alipay(data: BinaryIO) -> Iterator[StatementLine]:
    text = io.TextIOWrapper(alipay_detail_stream(data), encoding="gb18030", newline="")
    cols, ended, rows, totals = None, False, {"trade": 0, "refund": 0}, {}
    try:
        for line_no, raw in enumerate(text, start=1):
            line = raw.rstrip("\r\n")
            if line.startswith("#"):
                if cols is not None:
                    ended = ended or "业务明细列表结束" in line
                    for key, pattern in (("trade", _ALIPAY_TOTAL), ("refund", _ALIPAY_REFUNDS)):
                        match = pattern.match(line)
                        if match:
                            totals[key] = int(match[1])
                continue
            if not line.strip():
                continue
            fields = next(csv.reader([line]))
            if cols is None:
                cols = _columns(fields, ALIPAY_REQUIRED, line_no=line_no, what="支付宝业务明细")
                width = len(fields)
                continue
            if ended:
                raise StatementError("not_a_statement", f"支付宝账单第 {line_no} 行在明细列表结束之后。")
            if len(fields) != width:
                raise StatementError("bad_row", f"支付宝账单第 {line_no} 行有 {len(fields)} 列，表头为 {width} 列。")
            item = _alipay_line(fields, cols, line_no)
            if item is not None:
                rows[item.kind] += 1
                yield item
    except UnicodeDecodeError:
        raise StatementError("not_a_statement", "支付宝账单不是 GBK 编码的文本。") from None
    if cols is None or not ended:
        raise StatementError("truncated", "支付宝账单不完整：没有表头或明细列表结束行。")
    for key, label in (("trade", "交易"), ("refund", "退款")):
        if key in totals and totals[key] != rows[key]:
            raise StatementError("truncated", f"支付宝账单不完整：{label}合计 {totals[key]} 笔，明细 {rows[key]} 笔。")


def _alipay_line(fields: list[str], cols: dict[str, int], line_no: int) -> StatementLine | None:
    def get(name: str) -> str:
        return fields[cols[name]].strip()

    kind = get("业务类型")
    amount = fen(get("订单金额（元）"), line_no=line_no, column="订单金额（元）")
    if kind == "交易":
        return StatementLine(line_no, "trade", get("商户订单号"), get("支付宝交易号"), amount)
    if kind == "退款":
        return StatementLine(line_no, "refund", get("商户订单号"), get("支付宝交易号"), abs(amount), get("退款批次号/请求号"))
    return None  # other 业务类型 (e.g. 转账) are not trades of ours


# --- 微信支付 --------------------------------------------------------------------------------
WECHAT_REQUIRED = ("交易时间", "商户号", "微信订单号", "商户订单号", "交易状态", "微信退款单号", "商户退款单号",
                   "退款金额", "退款状态", "订单金额")
WECHAT_SUMMARY = "总交易单数"


def _backticked(line: str, line_no: int) -> list[str]:
    if not line.startswith("`"):
        raise StatementError("bad_row", f"微信支付账单第 {line_no} 行的字段没有 ` 前缀。")
    return line[1:].split(",`")


def parse_wechat(data: BinaryIO) -> Iterator[StatementLine]:
    text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    cols = summary_at = None
    rows = 0
    try:
        for line_no, raw in enumerate(text, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if cols is None:
                cols = _columns(line.split(","), WECHAT_REQUIRED, line_no=line_no, what="微信支付交易账单")
                width = len(cols)
                continue
            if summary_at is not None:
                if line_no != summary_at + 1:
                    raise StatementError("bad_row", f"微信支付账单第 {line_no} 行在汇总之后。")
                _wechat_summary(_backticked(line, line_no), rows, line_no)
                summary_at = -1
                continue
            if line.startswith(WECHAT_SUMMARY):
                summary_at = line_no
                continue
            fields = _backticked(line, line_no)
            if len(fields) != width:
                raise StatementError("bad_row", f"微信支付账单第 {line_no} 行有 {len(fields)} 列，表头为 {width} 列。")
            rows += 1
            item = _wechat_line(fields, cols, line_no)
            if item is not None:
                yield item
    except UnicodeDecodeError:
        raise StatementError("not_a_statement", "微信支付账单不是 UTF-8 文本。") from None
    if cols is None or summary_at != -1:
        raise StatementError("truncated", "微信支付账单不完整：没有表头或汇总行。")


def _wechat_summary(fields: list[str], rows: int, line_no: int) -> None:
    if not fields[0].strip().isdigit() or int(fields[0]) != rows:
        raise StatementError("truncated", f"微信支付账单不完整：汇总 {fields[0][:12]} 笔，明细 {rows} 笔。")


def _wechat_line(fields: list[str], cols: dict[str, int], line_no: int) -> StatementLine | None:
    def get(name: str) -> str:
        return fields[cols[name]].strip()

    state = get("交易状态")
    if state == "SUCCESS":
        return StatementLine(line_no, "trade", get("商户订单号"), get("微信订单号"), fen(get("订单金额"), line_no=line_no, column="订单金额"))
    if state == "REFUND":
        column = "申请退款金额" if "申请退款金额" in cols else "退款金额"
        amount = fen(get(column), line_no=line_no, column=column)
        fen(get("退款金额"), line_no=line_no, column="退款金额")
        if get("退款状态") != "SUCCESS":
            return None  # still processing / failed at the gateway: not money moved
        return StatementLine(line_no, "refund", get("商户订单号"), get("微信退款单号"), abs(amount), get("商户退款单号"))
    return None  # REVOKED (已撤销) and the like: nothing was collected


PARSERS = {"alipay": parse_alipay, "wechatpay": parse_wechat}
