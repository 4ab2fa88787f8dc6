"""The two statement formats parsed from lines written as the gateways publish them, and every
way a file can be unusable: a clear error, and `kadun reconcile --file` stores nothing."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from kadun.payments.models import ReconciliationRun
from kadun.payments.statements import StatementError, StatementLine, parse_alipay, parse_wechat
from kadun.payments.tests.reconcile_helpers import reconcile

ALIPAY_HEADER = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
                 "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,"
                 "卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
ALIPAY_TRADE = ("2026113022001411231234567890\t,P2026113000001\t,交易\t,游戏点卡 100元\t,2026-11-30 10:00:00,2026-11-30 10:00:05,\t,\t,"
                "\t,\t,buy***@163.com\t,10.10,10.10,0.00,0.00,0.00,0.00,0.00,\t,0.00,0.00,\t,-0.06,0.00,\t")
ALIPAY_REFUND = ("2026113022001411231234567890\t,P2026113000001\t,退款\t,游戏点卡 100元\t,2026-11-30 10:00:00,2026-11-30 12:00:00,\t,\t,"
                 "\t,\t,buy***@163.com\t,-3.00,-3.00,0.00,0.00,0.00,0.00,0.00,\t,0.00,0.00,R2026113000001\t,0.02,0.00,\t")


def alipay_file(*rows: str, trades: int = 1, refunds: int = 1, end: bool = True) -> bytes:
    lines = ["#支付宝业务明细查询", "#账号：[20881234567890120156]", "#起始日期：[2026年11月30日 00:00:00]   终止日期：[2026年12月01日 00:00:00]",
             "#-----------------------------------------业务明细列表----------------------------------------", ALIPAY_HEADER, *rows]
    if end:
        lines += ["#-----------------------------------------业务明细列表结束------------------------------------",
                  f"#交易合计：{trades}笔，商家实收共10.10元，商家实收退款共-3.00元，商家实收净额：7.10元", f"#退款合计：{refunds}笔",
                  "#导出时间：[2026年12月01日 09:10:11]"]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


WECHAT_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,"
                 "代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,"
                 "申请退款金额,费率备注")
WECHAT_TRADE = ("`2026-11-30 10:00:05,`wxd678efh567hg6787,`1900000001,`0,`,`4200001234202611301234567890,`P2026113000002,"
                "`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`20.00,`0.00,`0,`0,`0.00,`0.00,`,`,`游戏点卡,`,`0.12000,"
                "`0.60%,`20.00,`0.00,`")
WECHAT_REFUND = ("`2026-11-30 12:00:00,`wxd678efh567hg6787,`1900000001,`0,`,`4200001234202611301234567890,`P2026113000002,"
                 "`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300012342026113012345678,`R2026113000002,"
                 "`5.00,`0.00,`ORIGINAL,`SUCCESS,`游戏点卡,`,`-0.03000,`0.60%,`0.00,`5.00,`")
WECHAT_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def wechat_file(*rows: str, count: int = 2, summary: bool = True) -> bytes:
    lines = [WECHAT_HEADER, *rows] + ([WECHAT_SUMMARY, f"`{count},`20.00,`5.00,`0.00,`0.09000,`20.00,`5.00"] if summary else [])
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_alipay_business_detail_lines_parse_to_the_fen():
    assert list(parse_alipay(io.BytesIO(alipay_file(ALIPAY_TRADE, ALIPAY_REFUND)))) == [
        StatementLine(6, "trade", "P2026113000001", "2026113022001411231234567890", 1010),
        StatementLine(7, "refund", "P2026113000001", "2026113022001411231234567890", 300, "R2026113000001"),
    ]


def test_wechat_tradebill_lines_parse_to_the_fen():
    assert list(parse_wechat(io.BytesIO(wechat_file(WECHAT_TRADE, WECHAT_REFUND)))) == [
        StatementLine(2, "trade", "P2026113000002", "4200001234202611301234567890", 2000),
        StatementLine(3, "refund", "P2026113000002", "50300012342026113012345678", 500, "R2026113000002"),
    ]


def test_a_wechat_bill_with_a_byte_order_mark_parses():
    assert len(list(parse_wechat(io.BytesIO(b"\xef\xbb\xbf" + wechat_file(WECHAT_TRADE, WECHAT_REFUND))))) == 2


@pytest.mark.parametrize("content,code", [
    (alipay_file(ALIPAY_TRADE.replace(",10.10,10.10,", ",10.101,10.10,"), ALIPAY_REFUND), "bad_amount"),
    (alipay_file(ALIPAY_TRADE.replace(",10.10,10.10,", ",1e3,10.10,"), ALIPAY_REFUND), "bad_amount"),
    (alipay_file(ALIPAY_TRADE + ",extra", ALIPAY_REFUND), "bad_row"),
    (alipay_file(ALIPAY_TRADE, ALIPAY_REFUND, end=False), "truncated"),
    (alipay_file(ALIPAY_TRADE, trades=2, refunds=0), "truncated"),
    (alipay_file(ALIPAY_TRADE, ALIPAY_REFUND).replace("商户订单号".encode("gbk"), b"order", 1), "not_a_statement"),
    (b"PK\x03\x04 not really a zip", "not_a_statement"),
])
def test_a_bad_alipay_file_is_a_clear_error(content, code):
    with pytest.raises(StatementError) as caught:
        list(parse_alipay(io.BytesIO(content)))
    assert caught.value.code == code


@pytest.mark.parametrize("content,code", [
    (wechat_file(WECHAT_TRADE.replace("`20.00,`0.00,`", "`20.001,`0.00,`", 1).replace("`0.60%,`20.00", "`0.60%,`20.001"), WECHAT_REFUND), "bad_amount"),
    (wechat_file(WECHAT_TRADE, WECHAT_REFUND, count=3), "truncated"),
    (wechat_file(WECHAT_TRADE, WECHAT_REFUND, summary=False), "truncated"),
    (wechat_file(WECHAT_TRADE.replace("`", ""), WECHAT_REFUND), "bad_row"),
    (wechat_file(WECHAT_TRADE[:-3], WECHAT_REFUND), "bad_row"),
    (alipay_file(ALIPAY_TRADE, ALIPAY_REFUND), "not_a_statement"),
])
def test_a_bad_wechat_file_is_a_clear_error(content, code):
    with pytest.raises(StatementError) as caught:
        list(parse_wechat(io.BytesIO(content)))
    assert caught.value.code == code


@pytest.mark.django_db
def test_the_command_on_a_file_with_a_bad_line_at_the_end_stores_nothing(tmp_path):
    rows = [ALIPAY_TRADE.replace("P2026113000001", f"P{i:013d}") for i in range(500)]
    path = tmp_path / "20881234567890120156_20261130_业务明细.csv"
    path.write_bytes(alipay_file(*rows, ALIPAY_REFUND.replace("-3.00,-3.00", "-3.0x,-3.00"), trades=500))
    code, out, err = reconcile("alipay", dt.date(2026, 11, 30), file=str(path))
    assert code == 2
    assert "bad_amount" in err and "第 506 行" in err and "nothing stored" in err
    assert ReconciliationRun.objects.count() == 0


@pytest.mark.django_db
def test_the_command_on_a_file_lists_what_we_never_booked(tmp_path):
    path = tmp_path / "bill.csv"
    path.write_bytes(wechat_file(WECHAT_TRADE, WECHAT_REFUND))
    code, out, _ = reconcile("wechatpay", dt.date(2026, 11, 30), file=str(path))
    assert code == 1
    run = ReconciliationRun.objects.get()
    assert (run.source, run.lines_read, run.matched, run.difference_count) == ("file", 2, 0, 2)
    assert "gateway_only: 1" in out and "refund_gateway_only: 1" in out


@pytest.mark.django_db
def test_a_missing_file_and_a_bad_date_are_refused(tmp_path):
    from django.core.management.base import CommandError

    code, _out, err = reconcile("alipay", dt.date(2026, 11, 30), file=str(tmp_path / "nope.csv"))
    assert code == 2 and "nothing stored" in err
    with pytest.raises(CommandError):
        from django.core.management import call_command

        call_command("reconcile", "--provider", "alipay", "--date", "2026-13-01")
    assert ReconciliationRun.objects.count() == 0
