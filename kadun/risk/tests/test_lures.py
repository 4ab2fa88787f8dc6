"""脱离平台交易: the lure detector on texts as merchants and buyers write them — WeChat, QQ, phone,
Telegram, outside links and payment phrases, also disguised (full-width, spaced, 一三八…, emoji
between), against what must never fire: order numbers, prices, card keys, dates, quantities, this
site's own links and plain questions."""
from __future__ import annotations

import time

import pytest

from kadun.risk.lures import MAX_CHARS, find_lures, normalise, order_allowances

W, QQ, PHONE, TG, LINK, PAY = "wechat", "qq", "phone", "telegram", "payment_link", "outside_payment"

POSITIVES = [
    ("vx-colon", "加我vx: abc123", {W}),
    ("vx-fullwidth", "加我ＶＸ：ａｂｃ１２３，便宜出", {W}),
    ("weixin-id", "weixin: kadunshop01", {W}),
    ("wx-fullwidth-colon", "wx：kd_shop01", {W}),
    ("wechat-plain", "有事加微信 kadun2024 发你教程", {W}),
    ("wechat-hao", "微信号：official", {W}),
    ("wechat-homophone-emoji", "薇❤信：kadun_888", {W}),
    ("wechat-spaced-chinese", "威 信 kd_8888 联系", {W}),
    ("plus-v-emoji", "➕V abc12345 领取优惠", {W}),
    ("add-v-alone", "售后问题加V详聊", {W}),
    ("add-wechat-alone", "加 我 微 信", {W}),
    ("qq-plain", "QQ 12345678", {QQ}),
    ("qq-spaced-digits", "QQ 1234 5678", {QQ}),
    ("qq-fullwidth", "ＱＱ：１２３４５６７８", {QQ}),
    ("koukou-circled", "扣扣：①②③④⑤⑥⑦⑧", {QQ}),
    ("koukou-chinese-digits", "扣扣 一二三四五六七八", {QQ}),
    ("qq-group", "售后进QQ群 987654321", {QQ}),
    ("penguin", "企鹅号 2233445566", {QQ}),
    ("q-colon", "Q: 12345678", {QQ}),
    ("phone-plain", "有问题打13800138000", {PHONE}),
    ("phone-spaced", "电话 138 0013 8000", {PHONE}),
    ("phone-dashes-plus86", "+86 138-0013-8000", {PHONE}),
    ("phone-brackets", "手机 (+86) 139 1234 5678", {PHONE}),
    ("phone-chinese-digits", "一三八零零一三八零零零", {PHONE}),
    ("phone-yao", "幺三九幺二三四五六七八", {PHONE}),
    ("phone-keycaps", "1️⃣3️⃣8️⃣0️⃣0️⃣1️⃣3️⃣8️⃣0️⃣0️⃣0️⃣", {PHONE}),
    ("phone-fullwidth", "１３８００１３８０００", {PHONE}),
    ("phone-emoji-between", "138🔥0013🔥8000", {PHONE}),
    ("wechat-same-as-phone", "V信同号 13800138000", {PHONE}),
    ("tme-link", "频道 t.me/kadunshop 每日更新", {TG}),
    ("tme-https", "https://t.me/kadun_deal", {TG}),
    ("tg-at", "TG: @kadun_deal", {TG}),
    ("plane-at", "飞机联系 @kadun_shop", {TG}),
    ("telegram-hao", "电报号 kadun_deal", {TG}),
    ("alipay-qr", "扫这个 https://qr.alipay.com/fkx12345 付款", {LINK}),
    ("wxp-scheme", "wxp://f2f0abcdef", {LINK}),
    ("alipays-scheme", "alipays://platformapi/startapp?saId=10000007", {LINK}),
    ("taobao-item", "https://item.taobao.com/item.htm?id=123，拍下备注", {LINK}),
    ("tb-short-and-phrase", "淘宝拍这个链接 m.tb.cn/h.5abc", {LINK, PAY}),
    ("outside-site", "更多卡密见 https://evil.example/buy", {LINK}),
    ("bare-www", "官网 www.kadun-cheap.com 更便宜", {LINK}),
    ("taokouling", "¥Xb7K2aBcDeF¥ 复制打开淘宝", {LINK}),
    ("wechat-alipay-transfer", "微信支付宝转账更便宜", {PAY}),
    ("private-transfer", "私下转账9折", {PAY}),
    ("private-trade", "私下交易打九折", {PAY}),
    ("offline", "可以线下交易，当面给卡", {PAY}),
    ("xianyu", "走闲鱼吧，手续费低", {PAY}),
    ("pm-me", "想要更便宜的加我私聊", {PAY}),
    ("bypass", "绕过平台更便宜", {PAY}),
    ("transfer-to-me", "直接转我支付宝", {PAY}),
    ("no-negation-across-clauses", "不要犹豫，私下转账更便宜", {PAY}),
    ("rejection-with-qq", "卡密没问题，有疑问加QQ号:88886666 聊", {QQ}),
]

NEGATIVES = [
    ("kadun-order-no", "订单 K20261201153012ABCD 已发货"),
    ("order-no-18-digits", "订单号 202612011530123456"),
    ("order-no-spaced", "订单号 20261201 1530123456"),
    ("other-order-11-digits", "订单号：13812345678"),
    ("serial-11-digits", "序列号 15012345678 请妥善保管"),
    ("price-yuan", "¥12.50"),
    ("price-100-yuan", "100元"),
    ("price-per-month", "价格：¥138.00/月"),
    ("key-dashes", "卡密：ABCD-EFGH-1234-5678"),
    ("key-digits-4x4", "激活码 1380-0138-0001-2345"),
    ("card-number-password", "卡号：1380013800012345 密码：123456"),
    ("key-hex", "兑换码 3f2a9c0e5b7d41e68a9b0c1d2e3f4a5b"),
    ("key-base32", "JBSWY3DPEHPK3PXP"),
    ("key-hex-groups", "兑换码 8F3A-9C0E-5B7D-41E6"),
    ("key-starting-wx", "卡密 WXYZ-1234-ABCD"),
    ("date-time", "2026-12-01 15:30:12"),
    ("date-chinese-quantity", "2026年12月1日 13:00 开服，限购 3 件"),
    ("opening-hours", "客服在线时间 9:00-22:00"),
    ("ip-address", "服务器 13.130.201.123"),
    ("question", "请问这个卡密怎么用"),
    ("qq-membership", "腾讯QQ会员月卡，充值到您下单时填写的QQ号"),
    ("qq-points", "QQ 10000 点券"),
    ("qq-feiche", "QQ飞车 点券 10000"),
    ("qq-mail-account", "您的账号 user@qq.com 已开通"),
    ("pays-with-wechat", "支持支付宝、微信支付"),
    ("wechat-word", "需要微信 version 8 以上"),
    ("join-wechat-event", "参加微信红包活动送点券"),
    ("telegram-premium", "Telegram Premium 代开 3个月"),
    ("game-account", "游戏账号：kadun_user01 密码：Pa55word!"),
    ("own-site", "查看订单 http://127.0.0.1:8000/orders/20261201153012/"),
    ("warning-against", "请勿私下转账"),
    ("warning-against-far", "请勿相信任何要求私下转账的人"),
    ("platform-never-asks", "谨防诈骗：平台不会要求您加微信"),
    ("no-offline", "本店不支持线下交易"),
    ("instructions", "激活步骤：1. 打开 App 2. 输入卡密 3. 点击兑换，有问题请在平台内发起售后"),
]


@pytest.mark.parametrize("text,kinds", [pytest.param(t, k, id=i) for i, t, k in POSITIVES])
def test_a_lure_is_found(text, kinds):
    assert {lure.kind for lure in find_lures(text)} == kinds


@pytest.mark.parametrize("text", [pytest.param(t, id=i) for i, t in NEGATIVES])
def test_an_ordinary_text_is_not_a_lure(text):
    assert find_lures(text) == []


def test_the_table_covers_every_kind_with_enough_cases():
    assert len(POSITIVES) >= 20 and len(NEGATIVES) >= 20
    assert set().union(*(k for _, _, k in POSITIVES)) == {W, QQ, PHONE, TG, LINK, PAY}


def test_a_lure_says_what_matched_and_each_id_once():
    lures = find_lures("加我vx: abc123，再说一遍 vx：abc123，QQ 1234 5678")

    assert [(lure.kind, lure.match) for lure in lures] == [(W, "vx: abc123"), (QQ, "QQ 12345678")]


def test_links_to_this_site_are_not_lures_but_other_hosts_are(settings):
    settings.SITE_URL = "https://kadun.example"

    assert find_lures("订单页 https://kadun.example/orders/1/ 或 www.kadun.example/p/2/") == []
    assert [lure.match for lure in find_lures("https://kadun.example.evil.cn/pay")] == ["https://kadun.example.evil.cn/pay"]


def test_what_the_buyer_gave_on_the_order_may_be_repeated():
    class Order:
        buyer_inputs = {"phone": "138 0013 8000", "qq": "88886666"}
        contact = "guest@example.com"

    allow = order_allowances(Order())
    note = "已为 13800138000 充值话费 100 元，QQ 88886666 的会员已开通"

    assert find_lures(note, allow=allow) == []
    assert {lure.kind for lure in find_lures(note + "，有问题加QQ 77775555", allow=allow)} == {QQ}


def test_normalising_keeps_ordinary_text_and_undoes_disguises():
    assert normalise("ＱＱ：①②③ 微 信 🔥 ok") == "QQ:123 微信 ok"


def test_only_the_first_max_chars_are_read_and_a_long_text_is_quick():
    hidden = "请问这个卡密怎么用，" * (MAX_CHARS // 10) + "加我vx: abc123"
    many = "加我vx: abc123 QQ 12345678 138 0013 8000 " * 500

    started = time.perf_counter()
    assert find_lures(hidden) == []
    assert len(find_lures(many)) == 3
    assert time.perf_counter() - started < 2
