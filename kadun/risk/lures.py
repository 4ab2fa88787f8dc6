"""脱离平台交易: finding an off-platform lure in a text a person wrote.

``find_lures(text)`` answers what in the text invites the other side off the platform, where the
escrow and after-sales no longer protect them:

- ``wechat``: 微信 / 威信 / 薇信 / V信 / vx / wx / weixin … followed by an id (a WeChat id: a
  letter and 5–19 more letters, digits, ``_`` or ``-``; or a number), and 加V / ➕V / 加微信
  on their own;
- ``qq``: QQ / 扣扣 / 企鹅 / Q群 followed by 5–11 digits;
- ``phone``: a mainland mobile number (1[3-9] and 9 more digits), also spaced out (138 0013 8000,
  138-0013-8000), with +86, in 一三八… or ①③⑧…;
- ``telegram``: t.me/… links, and @handle (or ``号:`` handle) after telegram / TG / 电报 / 纸飞机 / 飞机;
- ``payment_link``: a link to anywhere but this site (``settings.SITE_URL``'s host), payment
  schemes (``wxp://``, ``alipays://``), bare links to payment sites and marketplaces (支付宝,
  淘宝, 闲鱼, 拼多多 …, ``www.…``) and 淘口令 (``¥Xb7K2aBcDeF¥``);
- ``outside_payment``: phrases — 私下转账, 微信支付宝转账, 加我私聊, 线下交易, 走闲鱼 … — unless
  right after a negation (请勿私下转账 is a warning, not a lure).

Before matching, the text (at most ``MAX_CHARS``) is NFKC-normalised (full-width letters and
digits, ①②③), Chinese digits (零一二… 壹贰叁… 幺) become digits, emoji and other symbols and
invisible characters are dropped (微🔥信 → 微信), spaces between Chinese characters go, and
for numbers a second reading joins digit groups split by spaces, dashes, ``·`` or ``|``.

What must not fire: order numbers (kadun's are 18 digits; any 11 digits right after 订单号 /
编号 / 卡号 …), prices and quantities (a number followed by 元 / 个 / 天 … is not a QQ number),
card keys (letters and digits run together; 4-4-4-4 groups join to 16 digits, not 11), dates and
times (``:`` and ``/`` do not join), e-mail addresses, and this site's own links.

``allow`` lists text the author may legitimately repeat — the buyer's own inputs on an order
(a phone number to top up, a QQ number to open 会员 for): a lure whose id is in one of them is
not a lure.

Every pattern runs on RE2 (linear time whatever the input); the Python passes are linear too.
"""
from __future__ import annotations

import unicodedata
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import re2
from django.conf import settings

from kadun.risk.states import LureKind

MAX_CHARS = 20_000
MAX_MATCH_CHARS = 120


@dataclass(frozen=True)
class Lure:
    kind: str
    match: str


# --- normalising ----------------------------------------------------------------------------

_DIGIT_CHARS = ("零〇○⓿", "一壹幺❶➀➊", "二贰❷➁➋", "三叁❸➂➌", "四肆❹➃➍", "五伍❺➄➎", "六陆❻➅➏", "七柒❼➆➐", "八捌❽➇➑", "九玖❾➈➒")
_CHAR_MAP = {ch: str(i) for i, chars in enumerate(_DIGIT_CHARS) for ch in chars} | {"➕": "+", "✚": "+", "✙": "+"}
# Emoji, other symbols, combining and enclosing marks (keycaps: 1️⃣), format (zero-width) and
# private-use characters are dropped: they separate nothing a reader needs.
_DROPPED = {"So", "Sk", "Mn", "Me", "Cf", "Co", "Cs"}
# Characters that may split a number into groups (138 0013 8000, 138-0013-8000, 138·0013·8000).
_DIGIT_SEPARATORS = frozenset(" \t-_·~|—–")  # not "." or ":" (prices, IP addresses, times)
_MAX_SEPARATOR_RUN = 3


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def normalise(text: str) -> str:
    """The text as the patterns read it (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_CHARS])
    kept = []
    for ch in text:
        ch = _CHAR_MAP.get(ch, ch)
        if unicodedata.category(ch) not in _DROPPED:
            kept.append(ch)
    out: list[str] = []
    i, n = 0, len(kept)
    while i < n:
        ch = kept[i]
        if ch.isspace() and ch != "\n":
            j = i
            while j < n and kept[j].isspace() and kept[j] != "\n":
                j += 1
            if out and _is_han(out[-1]) and j < n and _is_han(kept[j]):
                i = j  # 微 信 → 微信
                continue
            out.append(" ")
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def join_digits(flat: str) -> str:
    """``flat`` with digit groups split by up to three separators joined: 138 0013 8000 → 13800138000."""
    out: list[str] = []
    i, n = 0, len(flat)
    while i < n:
        ch = flat[i]
        if ch in _DIGIT_SEPARATORS and out and out[-1].isascii() and out[-1].isdigit():
            j = i
            while j < n and j - i < _MAX_SEPARATOR_RUN and flat[j] in _DIGIT_SEPARATORS:
                j += 1
            if j < n and flat[j].isascii() and flat[j].isdigit():
                i = j
                continue
        out.append(ch)
        i += 1
    return "".join(out)


# --- patterns -------------------------------------------------------------------------------


def _re(pattern: str):
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options=options)


_ID_MARK = r"\s*((?:号码|号|id|账号|搜索|搜|是|为)?\s*[:：=]?)\s*"
_WECHAT_ID = r"([a-z][-_a-z0-9]{5,19}|[1-9][0-9]{4,11})\b"
WECHAT = _re(
    r"(微信|威信|薇信|徽信|微芯|微心|维信|卫信|v信|wei信|(?:\bvx|\bwx|\bweixin|\bwechat|\bwei xin)\b|(?:加|\+)\s*(?:我\s*)?(?:的\s*)?v\b)"
    + _ID_MARK + _WECHAT_ID
)
WECHAT_ADD = _re(r"(?:加|\+)\s*(?:我\s*)?(?:的\s*)?(?:微信|v信|薇信|威信|(?:vx|wx|v)\b)")
QQ = _re(r"(\bq\s?q|扣扣|抠抠|企鹅|球球|\bq群|\bq(?:\s*[:：]|\s))(?:号码|号|群号|群)?\s*(?:[:：=]|是|为)?\s*([1-9][0-9]{4,10})\b")
PHONE = _re(r"(?:\b(?:tel|phone|mobile|call|dh|sj|vx|wx|v)?[:：]?|\+)(?:86)?(1[3-9][0-9]{9})\b")
PHONE_DIGITS = _re(r"1[3-9][0-9]{9}")
DIGIT_GROUP = _re(r"[0-9]+")
TELEGRAM_LINK = _re(r"\b(?:https?://)?(?:t|telegram)\.(?:me|dog)/([a-z0-9_+]{3,64})")
TELEGRAM_AT = _re(r"(?:\btelegram|\btg\b|电报|纸飞机|小飞机|飞机)[^@\n]{0,12}@([a-z][a-z0-9_]{4,31})\b")
TELEGRAM_ID = _re(r"(?:\btelegram|\btg|电报|纸飞机|小飞机|飞机)\s*(?:(?:号|账号|id)\s*[:：]?|[:：])\s*@?([a-z][a-z0-9_]{4,31})\b")
URL = _re(r"\b((?:https?|wxp|alipays?|weixin|taobao|tbopen|pinduoduo)://[!-~]+)")
_MARKET_DOMAINS = (
    r"alipay\.com|taobao\.com|tb\.cn|tmall\.com|goofish\.com|xianyu\.com|yangkeduo\.com|pinduoduo\.com|"
    r"weidian\.com|jd\.com|paypal\.me|paypal\.com|tenpay\.com|wechat\.com"
)
BARE_LINK = _re(r"\b((?:(?:[a-z0-9-]+\.)*(?:" + _MARKET_DOMAINS + r")|www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+)\b(?:/[!-~]*)?)")
TAOKOULING = _re(r"[¥$€]([a-z0-9]{8,14})[¥$€]")
OUTSIDE = _re(
    r"私下(?:转账|交易|付款|付钱|打款|联系|沟通)|线下(?:交易|转账|付款|支付|打款)"
    r"|(?:微信|支付宝|v信|vx)(?:\s*[/、和或]?\s*(?:支付宝|微信))?\s*(?:转账|转款|打款|收款码)"
    r"|转(?:账)?(?:到|给)?我(?:的)?(?:微信|支付宝|银行卡|卡上)|支付宝(?:号|账号|账户)\s*[:：]"
    r"|走闲鱼|闲鱼(?:交易|下单|拍|链接|见|上拍)|走淘宝|淘宝(?:拍|下单|链接)|拍淘宝|走拼多多|拼多多(?:拍|下单|链接)"
    r"|加我私聊|私聊我|(?:不走|绕过|绕开|避开)平台|站外交易|场外交易|平台外交易|直接转账|直接转我|扫码转账|扫我(?:的)?(?:收款码|二维码)|银行卡转账"
)

# A phrase after one of these, in the same clause, is a warning against it.
_NEGATIONS = (
    "勿", "不要", "别", "禁止", "严禁", "拒绝", "谨防", "不得", "不可", "不能", "不接受", "不支持", "警惕", "避免", "防止", "谨慎", "不会",
    "绝不", "从不", "no ",
)
_CLAUSE_STOPS = "，。！？；,!?;\n"
_CLAUSE_CHARS = 12
# 参加 / 增加 / 追加 … 微信 is not "add me on WeChat".
_NOT_ADDING = frozenset("参增追附更叠外施")
# Eleven digits right after one of these are an order, serial or card number.
_NUMBER_LABELS = ("订单", "单号", "编号", "流水", "交易号", "卡号", "序列号", "批次", "工单", "货号", "条码", "快递")
# A number followed by one of these is an amount or a quantity, not an account.
_UNITS = frozenset("元块个张点币月天年次件份万千百钻券分秒斤克台套%")
_CLOSING = ".,;:!?)]}>'\"》」』】"


# --- finding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    kind: str
    match: str
    key: str  # what identifies it (an id, a number, a link); "" for a phrase


def _snippet(text: str, start: int, end: int) -> str:
    return text[start:end].strip()[:MAX_MATCH_CHARS]


def _negated(text: str, start: int) -> bool:
    """A negation earlier in the same clause (at most ``_CLAUSE_CHARS`` back): 请勿相信要求私下转账的人."""
    before = text[max(0, start - _CLAUSE_CHARS):start].lower()
    for stop in _CLAUSE_STOPS:
        before = before.rsplit(stop, 1)[-1]
    return any(word in before for word in _NEGATIONS)


def _amount_follows(text: str, end: int) -> bool:
    rest = text[end:end + 3].lstrip()
    return bool(rest) and rest[0] in _UNITS


def _own_hosts() -> set[str]:
    host = (urllib.parse.urlsplit(settings.SITE_URL).hostname or "").lower()
    return {host, host.removeprefix("www."), "www." + host.removeprefix("www.")} if host else set()


def _host(link: str) -> str:
    try:
        return (urllib.parse.urlsplit(link if "://" in link else "//" + link).hostname or "").lower()
    except ValueError:
        return ""


def _trim_link(link: str) -> str:
    for stop in "<>\"'`":
        link = link.split(stop, 1)[0]
    return link.rstrip(_CLOSING)


def _wechat(flat: str, joined: str):
    with_id = False
    for text in (flat, joined):
        for m in WECHAT.finditer(text):
            marked = bool(m.group(2).strip())
            ident = m.group(3)
            if ident.isalpha() and not marked:
                continue  # 微信 version: a word, not an id (an id has a digit, _ or -, or a 号/冒号 before it)
            if ident.isdigit() and _amount_follows(text, m.end(3)):
                continue
            with_id = True
            yield _Hit(LureKind.WECHAT, _snippet(text, m.start(), m.end()), ident.lower())
    if with_id:
        return  # 加V on its own only when no id came with it
    for m in WECHAT_ADD.finditer(flat):
        if not _negated(flat, m.start()) and flat[max(0, m.start() - 1):m.start()] not in _NOT_ADDING:
            yield _Hit(LureKind.WECHAT, _snippet(flat, m.start(), m.end()), "")


def _qq(flat: str, joined: str):
    for text in (flat, joined):
        for m in QQ.finditer(text):
            if not _amount_follows(text, m.end(2)):
                yield _Hit(LureKind.QQ, _snippet(text, m.start(), m.end()), m.group(2))


def _phone(flat: str):
    for m in PHONE.finditer(flat):
        if not _number_label_before(flat, m.start()) and not _amount_follows(flat, m.end(1)):
            yield _Hit(LureKind.PHONE, m.group(1), m.group(1))
    for start, end, digits in _grouped_numbers(flat):
        number = digits[2:] if len(digits) == 13 else digits
        if PHONE_DIGITS.fullmatch(number) and not _number_label_before(flat, start) and not _amount_follows(flat, end):
            yield _Hit(LureKind.PHONE, number, number)


def _number_label_before(text: str, start: int) -> bool:
    before = text[max(0, start - 8):start]
    return any(label in before for label in _NUMBER_LABELS)


def _grouped_numbers(flat: str):
    """(start, end, digits) of every run of two or more digit groups split only by separators
    (138 0013 8000, +86 138-0013-8000) that makes 11 digits, or 13 starting with 86. A group
    touching a letter (a card key's) starts no run; a run stops at 13 digits."""
    groups = []
    for m in DIGIT_GROUP.finditer(flat):
        a, b = m.start(), m.end()
        touches_letter = (a > 0 and flat[a - 1].isascii() and flat[a - 1].isalpha()) or (b < len(flat) and flat[b].isascii() and flat[b].isalpha())
        joined_to_previous = bool(groups) and groups[-1] is not None and 0 < a - groups[-1][1] <= _MAX_SEPARATOR_RUN and all(
            ch in _DIGIT_SEPARATORS for ch in flat[groups[-1][1]:a]
        )
        if not joined_to_previous and groups:
            yield from _runs(groups)
            groups = []
        groups.append(None if touches_letter else (a, b, m.group(0)))
    yield from _runs(groups)


def _runs(groups):
    for i, first in enumerate(groups):
        if first is None:
            continue
        digits = first[2]
        for last in groups[i + 1:]:
            if last is None:
                break
            digits += last[2]
            if len(digits) > 13:
                break
            if len(digits) == 11 or (len(digits) == 13 and digits.startswith("86")):
                yield first[0], last[1], digits


def _telegram(flat: str):
    for m in TELEGRAM_LINK.finditer(flat):
        yield _Hit(LureKind.TELEGRAM, _trim_link(_snippet(flat, m.start(), m.end())), m.group(1).lower())
    for pattern in (TELEGRAM_AT, TELEGRAM_ID):
        for m in pattern.finditer(flat):
            yield _Hit(LureKind.TELEGRAM, _snippet(flat, m.start(), m.end()), m.group(1).lower())


def _links(flat: str):
    own = _own_hosts()
    spans = []
    for m in URL.finditer(flat):
        link = _trim_link(m.group(1))
        spans.append((m.start(1), m.start(1) + len(link)))
        host = _host(link)
        if link.lower().startswith(("http://", "https://")) and (not host or host in own):
            continue
        if host in ("t.me", "telegram.me", "telegram.dog"):
            continue  # a telegram lure, found above
        yield _Hit(LureKind.PAYMENT_LINK, link[:MAX_MATCH_CHARS], link.lower())
    for m in BARE_LINK.finditer(flat):
        if any(a <= m.start(1) < b for a, b in spans):
            continue  # part of a link found above
        link = _trim_link(m.group(1))
        if _host(link) not in own:
            yield _Hit(LureKind.PAYMENT_LINK, link[:MAX_MATCH_CHARS], link.lower())
    for m in TAOKOULING.finditer(flat):
        token = m.group(1)
        if not token.isdigit():
            yield _Hit(LureKind.PAYMENT_LINK, m.group(0), token.lower())


def _phrases(flat: str):
    for m in OUTSIDE.finditer(flat):
        if not _negated(flat, m.start()):
            yield _Hit(LureKind.OUTSIDE_PAYMENT, _snippet(flat, m.start(), m.end()), "")


def _allowed(key: str, allow: list[str]) -> bool:
    if not key:
        return False
    return any(key in value for value in allow)


def _allowances(allow: Iterable[str]) -> list[str]:
    values = []
    for value in allow:
        flat = join_digits(normalise(str(value or ""))).lower()
        if flat.strip():
            values += [flat, flat.replace(" ", "")]
    return values


def find_lures(text: str, *, allow: Iterable[str] = ()) -> list[Lure]:
    """The off-platform lures in ``text`` (at most its first ``MAX_CHARS``), each kind and id
    once, in the order: wechat, qq, phone, telegram, payment_link, outside_payment."""
    if not text or not text.strip():
        return []
    flat = normalise(text)
    joined = join_digits(flat)
    allowed = _allowances(allow)
    found: list[Lure] = []
    seen: set[tuple[str, str]] = set()
    hits = (*_wechat(flat, joined), *_qq(flat, joined), *_phone(flat), *_telegram(flat), *_links(flat), *_phrases(flat))
    for hit in hits:
        ident = (str(hit.kind), hit.key or hit.match.lower())
        if ident in seen or _allowed(hit.key, allowed):
            continue
        seen.add(ident)
        found.append(Lure(kind=str(hit.kind), match=hit.match))
    return found


def order_allowances(order) -> tuple[str, ...]:
    """What the buyer gave on an order (their inputs and contact): the merchant may repeat it."""
    inputs = getattr(order, "buyer_inputs", None) or {}
    values = [str(v) for v in inputs.values()] if isinstance(inputs, dict) else []
    contact = getattr(order, "contact", "") or ""
    return tuple(values + ([contact] if contact else []))
