"""Refund rules as data: validation against the platform baseline, the Chinese text with numbered
clauses, and the frozen snapshot (rules + text + SHA-256) that goes onto every order.

The baseline (消保法实施条例 §19: a platform may not weaken consumers' rights by its rules) is
the floor every merchant policy is checked against: an unrevealed key can always be refunded
instantly within at least 24 hours of delivery, a defective key always has a remedy, a silent
merchant always loses, and a broken replacement promise is always refunded.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kadun.catalog.errors import InvalidProduct
from kadun.core.money import fen_to_yuan

RULES_VERSION = 1
DEFECT_REMEDIES = {"refund": "退款", "replace": "补发", "refund_or_replace": "退款或补发（由商家选择）"}

BASELINE = {
    "min_refund_window_hours": 24,
    "max_merchant_response_hours": 72,
    "max_replacement_hours": 72,
    "max_delivery_deadline_hours": 24 * 15,
}


def default_rules(delivery: str) -> dict:
    rules = {
        "version": RULES_VERSION,
        "refund_window_hours": 24 * 7,
        "unrevealed_refund": True,
        "defect_remedy": "refund_or_replace",
        "defect_evidence_required": True,
        "no_reason_7days": False,
        "merchant_response_hours": 24,
        "replacement_hours": 24,
    }
    if delivery == "manual":
        rules.update(delivery_deadline_hours=24, milestones=[])
    return rules


class PolicyInvalid(InvalidProduct):
    code = "invalid_refund_policy"
    message = "退款规则不符合平台要求。"


def _int(rules: dict, name: str, low: int, high: int, label: str) -> int:
    try:
        value = int(rules[name])
    except (KeyError, TypeError, ValueError):
        raise PolicyInvalid(message=f"「{label}」必须是整数。") from None
    if not low <= value <= high:
        raise PolicyInvalid(message=f"「{label}」需在 {low} 到 {high} 之间（平台底线）。")
    return value


def validate(rules: dict, *, delivery: str) -> dict:
    """Merchant-edited rules, merged over the defaults and checked against the baseline."""
    merged = {**default_rules(delivery), **(rules or {})}
    out = {"version": RULES_VERSION}
    out["refund_window_hours"] = _int(merged, "refund_window_hours", BASELINE["min_refund_window_hours"], 24 * 90, "退款申请期限（小时）")
    if merged.get("unrevealed_refund") is not True:
        raise PolicyInvalid(message="平台底线：未查看的卡密必须支持即时全额退款，不能关闭。")
    out["unrevealed_refund"] = True
    if merged.get("defect_remedy") not in DEFECT_REMEDIES:
        raise PolicyInvalid(message="卡密无效时的处理方式只能是退款、补发，或退款或补发。")
    out["defect_remedy"] = merged["defect_remedy"]
    out["defect_evidence_required"] = bool(merged.get("defect_evidence_required", True))
    out["no_reason_7days"] = bool(merged.get("no_reason_7days", False))
    out["merchant_response_hours"] = _int(merged, "merchant_response_hours", 1, BASELINE["max_merchant_response_hours"], "商家响应时限（小时）")
    out["replacement_hours"] = _int(merged, "replacement_hours", 1, BASELINE["max_replacement_hours"], "补发承诺时限（小时）")
    if delivery == "manual":
        out["delivery_deadline_hours"] = _int(merged, "delivery_deadline_hours", 1, BASELINE["max_delivery_deadline_hours"], "服务完成期限（小时）")
        milestones = []
        last = 10000
        for item in merged.get("milestones") or []:
            name = str(item.get("name", "")).strip()[:30]
            try:
                bps = int(item.get("refundable_bps"))
            except (TypeError, ValueError):
                raise PolicyInvalid(message="服务进度节点的可退比例必须是整数（万分比）。") from None
            if not name or not 0 <= bps <= last:
                raise PolicyInvalid(message="服务进度节点需有名称，可退比例在0到10000之间且逐步递减。")
            milestones.append({"name": name, "refundable_bps": bps})
            last = bps
        if len(milestones) > 10:
            raise PolicyInvalid(message="服务进度节点最多10个。")
        out["milestones"] = milestones
    return out


@dataclass(frozen=True)
class Clause:
    id: str
    no: int
    text: str


def clauses(rules: dict, *, delivery: str) -> list[Clause]:
    """The numbered Chinese clauses for a set of rules. The engine cites clauses by id; their
    numbers come from here, so text and decisions always agree."""
    window_days = rules["refund_window_hours"] / 24
    window = f"{rules['refund_window_hours']}小时" if rules["refund_window_hours"] % 24 else f"{int(window_days)}天"
    resp = rules["merchant_response_hours"]
    items: list[tuple[str, str]] = []
    if delivery == "auto":
        items.append(("unrevealed", f"卡密未查看且在发货后{window}内，买家可申请全额退款，系统即时退款，该卡密作废、不再出售。已查看的卡密不适用本条。"))
        evidence = "，并须上传截图等证据" if rules["defect_evidence_required"] else ""
        items.append((
            "defect",
            f"卡密查看后发现无效或已被使用的，买家可在发货后{window}内申请{DEFECT_REMEDIES[rules['defect_remedy']]}{evidence}；"
            "经平台验货证明卡密在买家首次查看前已被使用的，即时全额退款。",
        ))
    else:
        items.append(("delivery_deadline", f"商家须在付款后{rules['delivery_deadline_hours']}小时内完成服务并发货；逾期未完成的，系统自动全额退款。"))
        if rules.get("milestones"):
            steps = "；".join(f"完成「{m['name']}」后可退 {m['refundable_bps'] / 100:g}%" for m in rules["milestones"])
            items.append(("milestones", f"服务开始后按进度退款：{steps}。商家接单前申请退款的，全额退款。"))
        else:
            items.append(("milestones", "商家接单前申请退款的，全额退款；接单后由商家按服务进度处理。"))
    items.append(("not_as_described", f"商品或服务与描述不符的，买家可在发货后{window}内申请退款，由商家处理。"))
    if rules["no_reason_7days"]:
        items.append(("no_reason", "本商品支持七天无理由退款：发货后7天内，买家可不说明理由申请退款，系统即时退款。"))
    else:
        items.append((
            "no_reason",
            "本商品为数字商品，经买家在下单时逐单确认后不适用七天无理由退货（《消费者权益保护法》第二十五条）；"
            "未经确认不能下单，确认的时间和文字随订单保存。",
        ))
    items.append(("merchant_silent", f"需商家处理的退款申请，商家须在{resp}小时内回应；逾期未回应的，视为同意，系统全额退款。"))
    items.append((
        "replacement_promise",
        f"商家承诺补发的，须在承诺时限（最长{rules['replacement_hours']}小时）内补发；逾期未补发的，系统自动全额退款并记录商家违约。",
    ))
    items.append(("cap", "同一订单累计退款不超过实付金额。退款原路退回，登录买家也可选择退到平台余额。"))
    return [Clause(id=cid, no=n, text=text) for n, (cid, text) in enumerate(items, start=1)]


def render_text(rules: dict, *, delivery: str) -> str:
    return "\n".join(f"第{c.no}条 {c.text}" for c in clauses(rules, delivery=delivery))


def snapshot(rules: dict, *, delivery: str, policy_version: int) -> tuple[dict, str]:
    """The frozen form stored on an order, and its SHA-256 over canonical JSON."""
    data = {
        "policy_version": policy_version,
        "delivery": delivery,
        "rules": rules,
        "clauses": [{"id": c.id, "no": c.no, "text": c.text} for c in clauses(rules, delivery=delivery)],
    }
    data["text"] = "\n".join(f"第{c['no']}条 {c['text']}" for c in data["clauses"])
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return data, hashlib.sha256(canonical.encode()).hexdigest()


def verify_snapshot(data: dict, digest: str) -> bool:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest() == digest


def clause_no(snapshot_data: dict, clause_id: str) -> int:
    for c in snapshot_data["clauses"]:
        if c["id"] == clause_id:
            return c["no"]
    raise KeyError(clause_id)


def describe_amount(fen: int) -> str:
    return f"{fen_to_yuan(fen)}元"
