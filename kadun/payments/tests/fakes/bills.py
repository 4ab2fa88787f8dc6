"""Statement files exactly as the gateways publish them, built from a fake's own books (and by
the benchmark): 支付宝 业务明细 (GBK CSV in a zip) and 微信支付 v3 交易账单 (bill_type=ALL)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zoneinfo
from dataclasses import dataclass

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

ALIPAY_COLUMNS = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                  "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,"
                  "商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注").split(",")
WECHAT_COLUMNS = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
                  "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
                  "手续费,费率,订单金额,申请退款金额,费率备注").split(",")
WECHAT_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
RULE = "#-----------------------------------------业务明细列表----------------------------------------"
RULE_END = "#-----------------------------------------业务明细列表结束------------------------------------"


@dataclass
class Row:
    """One trade (refund_no empty) or refund as a gateway books it; ``at`` aware, amounts in 分."""

    kind: str
    out_trade_no: str
    gateway_no: str
    amount: int
    at: dt.datetime
    refund_no: str = ""
    subject: str = "游戏点卡"
    refund_status: str = "SUCCESS"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _local(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def alipay_csv(rows, *, pid: str, day: dt.date) -> bytes:
    """业务明细.csv, GBK, '#' header and footer lines, values with trailing tabs."""
    out = io.StringIO()
    nxt = day + dt.timedelta(days=1)
    out.write(f"#支付宝业务明细查询\r\n#账号：[{pid}0156]\r\n#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{nxt:%Y年%m月%d日} 00:00:00]\r\n")
    out.write(RULE + "\r\n" + ",".join(ALIPAY_COLUMNS) + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    trades = refunds = income = refunded = 0
    for r in rows:
        refund = r.kind == "refund"
        amount = -r.amount if refund else r.amount
        fee = -(amount * 6 // 1000)
        writer.writerow([r.gateway_no + "\t", r.out_trade_no + "\t", "退款" if refund else "交易", r.subject + "\t", _local(r.at),
                         _local(r.at), "\t", "\t", "\t", "\t", "buy***@example.com\t", yuan(amount), yuan(amount), "0.00", "0.00",
                         "0.00", "0.00", "0.00", "\t", "0.00", "0.00", (r.refund_no + "\t") if refund else "\t", yuan(fee), "0.00", "\t"])
        if refund:
            refunds, refunded = refunds + 1, refunded + r.amount
        else:
            trades, income = trades + 1, income + r.amount
    out.write(RULE_END + "\r\n")
    out.write(f"#交易合计：{trades}笔，商家实收共{yuan(income)}元，商家实收退款共{yuan(-refunded)}元，商家实收净额：{yuan(income - refunded)}元\r\n")
    out.write(f"#退款合计：{refunds}笔\r\n#导出时间：[{nxt:%Y年%m月%d日} 09:10:11]\r\n")
    return out.getvalue().encode("gbk")


class _GbkName(zipfile.ZipInfo):
    """A member name stored in GBK without the UTF-8 flag, as Alipay's zips have them."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's own hook)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def alipay_zip(rows, *, pid: str, day: dt.date) -> bytes:
    """The zip the download URL gives: the detail and the summary file, names in GBK (no UTF-8 flag)."""
    buffer = io.BytesIO()
    stem = f"{pid}0156_{day:%Y%m%d}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in ((f"{stem}_业务明细.csv", alipay_csv(rows, pid=pid, day=day)),
                              (f"{stem}_业务明细(汇总).csv", "#支付宝业务汇总查询\r\n".encode("gbk"))):
            info = _GbkName(name, date_time=(day.year, day.month, day.day, 9, 10, 11))
            archive.writestr(info, content)
    return buffer.getvalue()


def wechat_csv(rows, *, mchid: str, appid: str) -> bytes:
    """交易账单 (ALL): header, backticked rows, summary header and row. UTF-8."""
    lines = [",".join(WECHAT_COLUMNS)]
    settle = refunded = fees = total = 0
    for r in rows:
        refund = r.kind == "refund"
        fee = r.amount * 6 // 1000
        fields = [_local(r.at), appid, mchid, "0", "", r.gateway_no if not refund else "4200" + r.out_trade_no[-12:].rjust(12, "0"),
                  r.out_trade_no, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "NATIVE", "REFUND" if refund else "SUCCESS", "OTHERS", "CNY",
                  "0.00" if refund else yuan(r.amount), "0.00", r.gateway_no if refund else "0", r.refund_no if refund else "0",
                  yuan(r.amount) if refund else "0.00", "0.00", "ORIGINAL" if refund else "", r.refund_status if refund else "",
                  r.subject, "", yuan(-fee if refund else fee) + "000",
                  "0.60%", "0.00" if refund else yuan(r.amount), yuan(r.amount) if refund else "0.00", ""]
        lines.append(",".join("`" + f for f in fields))
        if refund:
            refunded += r.amount
            fees -= fee
        else:
            settle, total, fees = settle + r.amount, total + r.amount, fees + fee
    lines.append(WECHAT_SUMMARY)
    lines.append(",".join("`" + f for f in (str(len(rows)), yuan(settle), yuan(refunded), "0.00", yuan(fees) + "000", yuan(total),
                                            yuan(refunded))))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def on_day(rows, day: dt.date):
    return [r for r in rows if r.at.astimezone(SHANGHAI).date() == day]
