"""What the case pages' forms post, read into what the services take. The services check every
value again (and are the ones that refuse); here only the page's units change: amounts are
typed in 元 and go to the services in 分."""
from __future__ import annotations

from kadun.cases.errors import InvalidCaseInput
from kadun.cases.states import CaseKind, Remedy
from kadun.core.errors import DomainError
from kadun.core.money import yuan_to_fen

MAX_IMAGES = 5


def fen_from_yuan(text: str | None, *, message: str = "请填写金额（元），最多两位小数。") -> int:
    """「12.50」 → 1250, or InvalidCaseInput (invalid_amount) with ``message``."""
    try:
        return yuan_to_fen((text or "").strip())
    except DomainError:
        raise InvalidCaseInput("invalid_amount", message) from None


def images_of(request) -> list:
    """The uploaded pictures (the services check type, size and count)."""
    return request.FILES.getlist("images")


def open_fields(post) -> dict:
    """The open form's fields as case_open takes them (amount only for a partial refund)."""
    kind = post.get("kind", "")
    remedy = post.get("remedy", "") if kind in (CaseKind.REFUND_DISPUTE, CaseKind.KEY_PROBLEM, CaseKind.SERVICE_DISPUTE) else ""
    amount = None
    if remedy == Remedy.PARTIAL_REFUND:
        amount = fen_from_yuan(post.get("amount"), message="请填写部分退款的金额（元），最多两位小数。")
    return {
        "kind": kind, "remedy": remedy, "amount": amount, "statement": post.get("statement", ""),
        "key_ids": post.getlist("key_ids"),
    }


def open_values(post) -> dict:
    """What the buyer typed, to fill the form again after a refusal."""
    return {
        "kind": post.get("kind", ""), "remedy": post.get("remedy", ""), "amount": post.get("amount", "")[:20],
        "statement": post.get("statement", "")[:4000], "key_ids": {str(k) for k in post.getlist("key_ids")},
    }


def offer_fields(post) -> dict:
    """The merchant's offer: remedy, amount (partial refund, 元 → 分), hours (replacement), note."""
    remedy = post.get("remedy", "")
    amount = hours = None
    if remedy == Remedy.PARTIAL_REFUND:
        amount = fen_from_yuan(post.get("amount"), message="请填写部分退款的金额（元），最多两位小数。")
    if remedy == Remedy.REPLACEMENT:
        hours = (post.get("hours") or "").strip() or None
    return {"remedy": remedy, "amount": amount, "hours": hours, "note": post.get("note", "")}


def offer_id(post) -> int:
    try:
        return int(post.get("offer_id", ""))
    except ValueError:
        raise InvalidCaseInput("offer_closed", "该方案已失效或已答复。") from None
