"""Risk keywords (风险关键词): the phrases buyers search reviews for before they pay — 退款被拒,
卡密无效, 已被使用, 不发货, 跑路, 骗子, 客服不回 — and their near variants. The list below is
published on the rules page (``{% review_rules %}``) exactly as the code matches it.

Matching, on a text normalised by ``normalise`` (NFKC: full-width letters, digits and punctuation
become half-width; lower case; every space, punctuation mark, symbol and control character
removed, so "骗 子", "骗，子" and "骗-子" are "骗子"):

- a phrase matches when one of its variants occurs in the normalised text;
- **negation and hedging**: an occurrence directly preceded by one of ``NEGATIONS`` ("不是骗子",
  "没有跑路", "还以为是骗子", "怕卡密无效") does not count — the buyer is saying it did not
  happen. Another, un-negated occurrence in the same text still counts;
- a text counts once per phrase however often it repeats it: the counts are "in how many reviews".

What it does not try to do: understand irony, questions answered later in the text, or a
negation further away than directly before the phrase ("骗子？根本不是" counts). A count is a
pointer for buyers to read the reviews themselves, never a verdict.
"""
from __future__ import annotations

import unicodedata

# canonical phrase → the variants that count as it (the canonical phrase is always one).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "退款被拒": ("退款被拒", "拒绝退款", "不给退款", "不给退", "不退款", "拒不退款", "拒退", "退款被驳回", "驳回退款"),
    "卡密无效": ("卡密无效", "卡密失效", "无效卡密", "卡密用不了", "卡密不能用", "卡密不可用", "卡密错误",
               "激活码无效", "激活码失效", "兑换码无效", "兑换码失效", "充值码无效"),
    # A bare "已使用" is left out on purpose: "已使用一个月，很稳定" is praise, not a used key.
    "已被使用": ("已被使用", "已被用", "被用过", "被使用过", "被人用了", "被别人用", "提示已使用", "显示已使用",
               "卡密已使用", "码已使用", "已被兑换", "已被充值", "已被激活"),
    "不发货": ("不发货", "没发货", "未发货", "没有发货", "不给发货", "拒绝发货", "迟迟不发", "一直不发", "收不到货", "没收到货"),
    "跑路": ("跑路", "卷款", "卷钱", "商家跑了", "老板跑了", "店主跑了", "店铺跑了"),
    "骗子": ("骗子", "诈骗", "骗钱", "骗人", "被骗", "骗局", "黑店", "坑钱"),
    "客服不回": ("客服不回", "客服也不回", "客服都不回", "客服不理", "客服失联", "客服消失", "找不到客服", "联系不上", "不回消息", "已读不回", "客服不在线"),
}

# Words directly before a phrase that turn it into its opposite, or a worry that did not happen.
NEGATIONS: tuple[str, ...] = (
    "不是", "并非", "绝非", "没有", "没", "不算", "不会", "不像", "并不", "绝不", "别", "无需担心",
    "以为", "以为是", "担心", "担心是", "怕", "怕是", "害怕", "生怕", "不怕", "没遇到", "不存在",
)

_DROP = ("P", "S", "Z", "C")  # punctuation, symbols, separators, control characters


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith(_DROP))


def _negated(norm: str, start: int) -> bool:
    before = norm[max(0, start - 6):start]
    return any(before.endswith(word) for word in NEGATIONS)


def _occurs(norm: str, variant: str) -> bool:
    start = norm.find(variant)
    while start != -1:
        if not _negated(norm, start):
            return True
        start = norm.find(variant, start + 1)
    return False


def matches(*texts: str) -> list[str]:
    """The canonical phrases the texts contain (un-negated), in ``KEYWORDS`` order."""
    norms = [normalise(t) for t in texts if t]
    return [phrase for phrase, variants in KEYWORDS.items()
            if any(_occurs(norm, v) for norm in norms for v in variants)]


def published() -> list[dict]:
    """The list as the rules page shows it."""
    return [{"phrase": phrase, "variants": [v for v in variants if v != phrase]} for phrase, variants in KEYWORDS.items()]
