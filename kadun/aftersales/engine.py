"""The refund policy engine: a pure function from the facts of an order to a decision.

It reads only the rules frozen onto the order (never the product's current rules), the keys'
reveal times, verification reports, the evidence count and the time; it returns approve now /
ask the merchant / not eligible, with the amount and the clauses it used, in Chinese.
Same facts, same decision.

For a request sent to the merchant, ``merchant_answers`` says which answers the same frozen rules
allow (see the table in docs/refunds.md); ``refund_request_respond`` refuses any other, and the
pages and the API offer only these.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from kadun.aftersales.states import MerchantAction, Outcome, Reason

NO_REASON_DAYS = 7
REMEDY_WORDS = {"refund": "退款", "replace": "补发", "refund_or_replace": "退款或补发"}  # the defect clause's remedy, in a sentence


@dataclass(frozen=True)
class KeyFact:
    id: int
    first_revealed_at: dt.datetime | None
    active: bool


@dataclass(frozen=True)
class Facts:
    reason: str
    snapshot: dict
    delivery: str  # auto / manual
    status: str
    amount: int
    refunded: int
    unit_price: int
    paid_at: dt.datetime | None
    delivered_at: dt.datetime | None
    no_reason_waived: bool
    milestone: int
    keys: list[KeyFact] = field(default_factory=list)  # the keys the request is about
    # key id -> when a checker answered "used" before the key's first reveal (a report checked
    # at or after that reveal proves nothing: the buyer may have used the key meanwhile)
    used_before_reveal: Mapping[int, dt.datetime] = field(default_factory=dict)
    evidence_count: int = 0
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str
    amount: int
    clauses: tuple[int, ...]
    explanation: str


def _no(facts: Facts, clause_id: str) -> int:
    for clause in facts.snapshot["clauses"]:
        if clause["id"] == clause_id:
            return clause["no"]
    raise KeyError(clause_id)


def _cite(facts: Facts, clause_ids: list[str], text: str) -> tuple[tuple[int, ...], str]:
    numbers = tuple(_no(facts, c) for c in clause_ids)
    cited = "、".join(f"第{n}条" for n in numbers)
    return numbers, f"依据退款规则{cited}：{text}"


def _decide(facts: Facts, outcome: str, amount: int, clause_ids: list[str], text: str) -> Decision:
    numbers, explanation = _cite(facts, clause_ids, text)
    return Decision(outcome, amount if outcome != Outcome.NOT_ELIGIBLE else 0, numbers, explanation)


def _plain(outcome: str, text: str) -> Decision:
    return Decision(outcome, 0, (), text)


def decide(facts: Facts) -> Decision:
    rules = facts.snapshot["rules"]
    remaining = facts.amount - facts.refunded
    if facts.status not in ("paid", "in_service", "delivered", "confirmed") or remaining <= 0:
        return _plain(Outcome.NOT_ELIGIBLE, "订单当前状态不能申请退款（未支付、已关闭或已全额退款）。")
    if facts.delivery == "auto":
        return _decide_auto(facts, rules, remaining)
    return _decide_manual(facts, rules, remaining)


def _windows(facts: Facts, rules: dict) -> tuple[bool, bool]:
    """(inside the refund window, 7天无理由 applies and is still open)."""
    delivered = facts.delivered_at or facts.now
    in_window = facts.now <= delivered + dt.timedelta(hours=rules["refund_window_hours"])
    no_reason_applies = rules["no_reason_7days"] or not facts.no_reason_waived
    no_reason_open = no_reason_applies and facts.now <= delivered + dt.timedelta(days=NO_REASON_DAYS)
    return in_window, no_reason_open


def _checked_before_reveal(facts: Facts, key: KeyFact) -> bool:
    checked_at = facts.used_before_reveal.get(key.id)
    return checked_at is not None and (key.first_revealed_at is None or checked_at < key.first_revealed_at)


def _decide_auto(facts: Facts, rules: dict, remaining: int) -> Decision:
    keys = facts.keys
    if not keys:
        return _plain(Outcome.NOT_ELIGIBLE, "请选择要退款的卡密。")
    if any(not k.active for k in keys):
        return _plain(Outcome.NOT_ELIGIBLE, "所选卡密已作废或已补发，不能再次申请。")
    amount = min(facts.unit_price * len(keys), remaining)
    in_window, no_reason_open = _windows(facts, rules)
    unrevealed = all(k.first_revealed_at is None for k in keys)
    verified_used = all(_checked_before_reveal(facts, k) for k in keys)
    reason = facts.reason

    if reason == Reason.INVALID_KEY and verified_used:
        return _decide(facts, Outcome.APPROVE, amount, ["defect"], "平台验货证明卡密在您首次查看前已被使用，全额退款。")
    if unrevealed and in_window:
        return _decide(facts, Outcome.APPROVE, amount, ["unrevealed"], "卡密未查看且在退款期限内，全额退款，卡密作废。")
    if reason == Reason.OTHER or reason == Reason.DUPLICATE:
        if no_reason_open:
            return _decide(facts, Outcome.APPROVE, amount, ["no_reason"], "本订单适用七天无理由退款，且在发货后7天内，全额退款。")
        if not unrevealed:
            return _decide(
                facts, Outcome.NOT_ELIGIBLE, 0, ["unrevealed", "no_reason"], "卡密已查看，且您下单时已确认本商品不适用七天无理由退货。如有争议可发起售后工单。"
            )
    if not in_window:
        clause = "unrevealed" if unrevealed else "defect"
        return _decide(facts, Outcome.NOT_ELIGIBLE, 0, [clause], "已超过退款申请期限。如有争议可发起售后工单。")
    if reason == Reason.UNREVEALED:
        return _decide(facts, Outcome.NOT_ELIGIBLE, 0, ["unrevealed"], "卡密已查看，不适用未查看即时退款。如卡密无效，请选择「卡密无效/已被使用」并上传证据。")
    if reason == Reason.NOT_DELIVERED:
        return _decide(facts, Outcome.NOT_ELIGIBLE, 0, ["unrevealed"], "卡密已自动发货且已查看。如卡密无效，请选择「卡密无效/已被使用」。")
    if reason == Reason.INVALID_KEY:
        if rules["defect_evidence_required"] and facts.evidence_count == 0:
            return _decide(facts, Outcome.NOT_ELIGIBLE, 0, ["defect"], "卡密查看后申请无效退款，需上传截图等证据。")
        return _decide(
            facts, Outcome.ASK_MERCHANT, amount, ["defect", "merchant_silent"],
            f"卡密已查看，由商家在{rules['merchant_response_hours']}小时内处理（{REMEDY_WORDS[rules['defect_remedy']]}），逾期未处理则全额退款。",
        )
    # not as described (and anything else left) after reveal
    return _decide(
        facts, Outcome.ASK_MERCHANT, amount, ["not_as_described", "merchant_silent"],
        f"由商家在{rules['merchant_response_hours']}小时内处理，逾期未处理则全额退款。",
    )


def _decide_manual(facts: Facts, rules: dict, remaining: int) -> Decision:
    if facts.status == "paid":
        return _decide(facts, Outcome.APPROVE, remaining, ["milestones"], "商家尚未接单，全额退款。")
    if facts.status == "in_service":
        due = facts.paid_at + dt.timedelta(hours=rules["delivery_deadline_hours"])
        if facts.now > due:
            return _decide(facts, Outcome.APPROVE, remaining, ["delivery_deadline"], "商家未在规定时限内完成服务，全额退款。")
        steps = rules.get("milestones") or []
        share = steps[facts.milestone - 1]["refundable_bps"] if facts.milestone and steps else 10000
        amount = min(remaining, facts.amount * share // 10000)
        if amount <= 0:
            return _decide(facts, Outcome.NOT_ELIGIBLE, 0, ["milestones"], "服务已进行到不可退款的进度。如有争议可发起售后工单。")
        return _decide(
            facts, Outcome.ASK_MERCHANT, amount, ["milestones", "merchant_silent"],
            f"服务进行中，按当前进度可退 {share / 100:g}%，由商家在{rules['merchant_response_hours']}小时内处理，逾期未处理则按此退款。",
        )
    in_window, no_reason_open = _windows(facts, rules)
    if facts.reason in (Reason.OTHER, Reason.DUPLICATE) and no_reason_open:
        return _decide(facts, Outcome.APPROVE, remaining, ["no_reason"], "本订单适用七天无理由退款，且在发货后7天内，全额退款。")
    if not in_window:
        return _decide(facts, Outcome.NOT_ELIGIBLE, 0, ["not_as_described"], "已超过退款申请期限。如有争议可发起售后工单。")
    return _decide(
        facts, Outcome.ASK_MERCHANT, remaining, ["not_as_described", "merchant_silent"],
        f"服务已交付，由商家在{rules['merchant_response_hours']}小时内处理，逾期未处理则全额退款。",
    )


# Merchant answers ---------------------------------------------------------------------------

A = MerchantAction
_ORDER = (A.APPROVE, A.PARTIAL, A.REPLACE, A.PROMISE, A.REJECT)
_ACTION_WORDS = {A.APPROVE: "同意全额退款", A.PARTIAL: "部分退款", A.REPLACE: "立即补发", A.PROMISE: "承诺限时补发", A.REJECT: "拒绝"}


@dataclass(frozen=True)
class Answers:
    """The answers a merchant may give to a request, and the clause they follow from."""

    actions: tuple[str, ...]
    clause_id: str
    clause_no: int
    reason: str  # why, in Chinese, from the clause

    def allows(self, action: str) -> bool:
        return action in self.actions

    def refusal(self, action: str) -> str:
        """「依据退款规则第N条…」: why ``action`` is not one of them, and which are."""
        offered = "、".join(f"「{_ACTION_WORDS[a]}」" for a in self.actions)
        return f"依据退款规则第{self.clause_no}条：{self.reason}不能「{_ACTION_WORDS.get(action, action)}」。可选的处理方式：{offered}。"


def merchant_answers(*, snapshot: dict, delivery: str, reason: str, cited: tuple[int, ...] = ()) -> Answers:
    """What the frozen rules let the merchant answer to a request about ``reason`` (``cited``: the
    clause numbers the decision used, to name the clause a service request was sent under).

    - A full refund is always allowed: it is what the rules themselves give the buyer when the
      merchant does not answer (clause merchant_silent), so forbidding it would only delay them.
    - Reject (with a reason, which the buyer can take to the platform) is always allowed.
    - Card keys reported invalid (clause defect): the remedy the clause names — 退款: refund;
      补发: replace now or promise; 退款或补发: either. No partial refund: half a dead key is no
      remedy for it.
    - Card keys not as described (or any other reason sent to the merchant): full or partial
      refund, plus replacement when the rules name 补发 as a remedy for keys.
    - Services (no keys to replace): full or partial refund.
    """
    rules = snapshot["rules"]
    remedy = rules.get("defect_remedy", "refund_or_replace")
    replaceable = remedy in ("replace", "refund_or_replace")
    if delivery != "auto":
        milestones = _has_clause(snapshot, "milestones") and _clause_no(snapshot, "milestones") in cited
        clause = "milestones" if milestones else "not_as_described"
        allowed = {A.APPROVE, A.PARTIAL, A.REJECT}
        why = "服务订单按规则全额或部分退款，没有卡密可补发，"
    elif reason == Reason.INVALID_KEY:
        clause = "defect"
        allowed = {A.APPROVE, A.REJECT} | ({A.REPLACE, A.PROMISE} if replaceable else set())
        why = f"卡密无效时的处理方式为「{REMEDY_WORDS[remedy]}」，"
    else:
        clause = "not_as_described"
        allowed = {A.APPROVE, A.PARTIAL, A.REJECT} | ({A.REPLACE, A.PROMISE} if replaceable else set())
        why = "与描述不符的由商家退款或部分退款" + ("，或按规则补发，" if replaceable else "（本订单规则不含补发），")
    return Answers(actions=tuple(a for a in _ORDER if a in allowed), clause_id=clause, clause_no=_clause_no(snapshot, clause), reason=why)


def _has_clause(snapshot: dict, clause_id: str) -> bool:
    return any(c["id"] == clause_id for c in snapshot["clauses"])


def _clause_no(snapshot: dict, clause_id: str) -> int:
    for clause in snapshot["clauses"]:
        if clause["id"] == clause_id:
            return clause["no"]
    raise KeyError(clause_id)
