"""Risk keywords on a table of real-looking reviews: the phrases, their near variants, full-width
and spaced spellings, and texts that must not match (negations, worries that did not happen)."""
import pytest

from kadun.reputation import keywords

TABLE = [
    # (review text, phrases it must be counted under)
    ("申请退款被拒，商家说卡密已经查看过了", ["退款被拒"]),
    ("明明是坏的，商家拒绝退款，还拉黑我", ["退款被拒"]),
    ("不给退款！！！大家小心", ["退款被拒"]),
    ("找了三天，就是不退款", ["退款被拒"]),
    ("卡密无效，输进去提示错误", ["卡密无效"]),
    ("卡密失效了，才买的", ["卡密无效"]),
    ("给的是无效卡密，浪费时间", ["卡密无效"]),
    ("卡密用不了，换了两个也不行", ["卡密无效"]),
    ("激活码无效，客服不回复", ["卡密无效", "客服不回"]),
    ("卡 密 无 效", ["卡密无效"]),
    ("卡，密，无，效！", ["卡密无效"]),
    ("ＣＤＫ卡密无效", ["卡密无效"]),
    ("兑换时提示已被使用，血亏", ["已被使用"]),
    ("这个码被用过了吧", ["已被使用"]),
    ("一充值显示已使用", ["已被使用"]),
    ("下单两天了还不发货", ["不发货"]),
    ("付了钱没发货，也不退", ["不发货"]),
    ("订单一直显示未发货", ["不发货"]),
    ("卷款跑路了，店铺还开着", ["跑路"]),
    ("老板跑路了吧，怎么都找不到人", ["跑路"]),
    ("骗子！大家别买", ["骗子"]),
    ("这是诈骗，已报警", ["骗子"]),
    ("骗钱的店", ["骗子"]),
    ("客服不理人，消息石沉大海", ["客服不回"]),
    ("出了问题客服联系不上", ["客服不回"]),
    ("客服已读不回，卡密无效，退款被拒，纯骗子", ["退款被拒", "卡密无效", "客服不回", "骗子"]),
    ("说好的秒发，结果不发货，客服也不回，典型跑路店", ["不发货", "跑路", "客服不回"]),
    # must NOT match
    ("秒发货，卡密有效，好评", []),
    ("不是骗子，放心买", []),
    ("商家没有跑路，客服半夜也回消息", []),
    ("还以为是骗子，结果秒到账", []),
    ("一开始怕卡密无效，试了一下完全正常", []),
    ("已使用一个月，很稳定", []),
    ("发货很快，客服态度很好", []),
    ("价格便宜，回购第三次了", []),
    ("没被骗，真的到账了", []),
    ("物流不重要，自动发货很快", []),
    ("退款很快，商家同意退款了", []),
    # a negated mention does not hide a real one later in the text
    ("不是骗子？我看就是骗子", ["骗子"]),
]


@pytest.mark.parametrize("text,expected", TABLE, ids=[t for t, _ in TABLE])
def test_phrases_on_real_looking_reviews(text, expected):
    assert sorted(keywords.matches(text)) == sorted(expected)


def test_the_table_is_big_enough_and_covers_every_phrase():
    assert len(TABLE) >= 30
    assert {p for _, found in TABLE for p in found} == set(keywords.KEYWORDS)


def test_the_published_list_names_every_variant_the_code_matches():
    shown = {row["phrase"]: set(row["variants"]) | {row["phrase"]} for row in keywords.published()}
    assert shown == {p: set(v) for p, v in keywords.KEYWORDS.items()}


def test_full_width_and_half_width_are_one():
    assert keywords.normalise("ＡＢＣ　卡密，无效！") == "abc卡密无效"


@pytest.mark.django_db
def test_keyword_counts_on_a_shops_reviews():
    """The table's reviews written against one shop: counts per phrase, in how many reviews,
    count desc; a hidden review still counts, one hidden as 与交易无关 does not; other shops'
    reviews and reviews older than the window do not."""
    import datetime as dt

    from conftest import make_product, make_shop, make_user
    from kadun.core import clock
    from kadun.reputation import services_reviews as reviews
    from kadun.reputation.selectors_reviews import keyword_counts
    from kadun.reputation.tests.test_reviews import confirmed_order

    shop, other = make_shop(), make_shop()
    product = make_product(shop, keys=len(TABLE) + 2)
    old = reviews.review_create(order=confirmed_order(product), role="buyer", rating=1, text="骗子")
    clock.advance(dt.timedelta(days=91))
    written = [reviews.review_create(order=confirmed_order(product), role="buyer", rating=3, text=t) for t, _ in TABLE]
    reviews.review_create(order=confirmed_order(make_product(other, keys=1)), role="buyer", rating=1, text="卡密无效")
    risk = make_user(staff_role="risk")
    reviews.review_hide(review_id=written[0].pk, staff=risk, reason="insult")  # 退款被拒: still counted
    reviews.review_hide(review_id=written[20].pk, staff=risk, reason="unrelated")  # 骗子: not counted
    assert old.pk
    expected = {}
    for i, (_, found) in enumerate(TABLE):
        if i == 20:
            continue
        for p in found:
            expected[p] = expected.get(p, 0) + 1
    counts = keyword_counts(shop.pk, days=90)
    assert dict(counts) == expected
    assert [n for _, n in counts] == sorted((n for _, n in counts), reverse=True)
    assert dict(counts)["卡密无效"] == 9
