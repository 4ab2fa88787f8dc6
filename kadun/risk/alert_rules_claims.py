"""异常订单预警: the rules over refund requests with reason 卡密无效 (b, c) and over lure flags (f).
Same shape as kadun.risk.alert_rules: a batch of new facts in, findings out."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.conf import settings

from kadun.aftersales import selectors_alerts as aftersales_reads
from kadun.inventory import selectors_alerts as inventory_reads
from kadun.orders import selectors_alerts as order_reads
from kadun.risk.alert_rules import Finding, _digest, _iso
from kadun.risk.lures import normalise
from kadun.risk.states import AlertKind


def _cap(ids) -> list[int]:
    return sorted(ids)[: settings.KADUN_ALERT_MAX_IDS]


# --- b. 买家大量购买卡密后多数报无效 ---------------------------------------------------------

def invalid_claims(requests: list[dict]) -> list[Finding]:
    """A buyer account that, within ["days"], bought ≥ ["min_keys"] keys and reported ≥
    ["share_percent"] % of them invalid."""
    r = settings.KADUN_ALERT_INVALID_CLAIMS
    ref = max(q["created_at"] for q in requests)
    since = ref - dt.timedelta(days=r["days"])
    buyers = {q["buyer_id"] for q in requests if q["buyer_id"]}
    if not buyers:
        return []
    bought = order_reads.keys_bought(buyer_ids=buyers, since=since)
    candidates = {b for b in buyers if bought.get(b, 0) >= r["min_keys"]}
    if not candidates:
        return []
    per: dict[int, list[dict]] = defaultdict(list)
    for q in aftersales_reads.invalid_requests_of_buyers(buyer_ids=candidates, since=since):
        per[q["buyer_id"]].append(q)
    findings = []
    for buyer_id, rows in per.items():
        reported = sum(q["keys"] for q in rows)
        share = min(100, reported * 100 // bought[buyer_id])
        if share >= r["share_percent"]:
            shops = sorted({q["shop_id"] for q in rows})
            facts = {"keys_bought": bought[buyer_id], "keys_reported_invalid": reported, "share_percent": share,
                     "threshold_percent": r["share_percent"], "min_keys": r["min_keys"], "days": r["days"],
                     "request_ids": _cap(q["id"] for q in rows), "order_ids": _cap({q["order_id"] for q in rows}), "shop_ids": shops}
            findings.append(Finding(AlertKind.INVALID_CLAIMS, f"buyer:{buyer_id}", shops[0] if len(shops) == 1 else None, facts))
    return findings


# --- c. 商品或批次卡密无效率突增 -------------------------------------------------------------

def _tally(rows: list[dict], batches: dict[int, int | None], split: dt.datetime):
    """Keys reported invalid before / after ``split``, per product:<id> and batch:<id>."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    requests: dict[str, list[int]] = defaultdict(list)
    shop_of: dict[str, int] = {}
    for q in rows:
        recent = int(q["created_at"] >= split)
        groups = [(f"product:{q['product_id']}", q["keys"])]
        per_batch: dict[int, int] = defaultdict(int)
        for key_id in q["key_ids"]:
            if batches.get(key_id) is not None:
                per_batch[batches[key_id]] += 1
        groups += [(f"batch:{b}", n) for b, n in per_batch.items()]
        for subject, n in groups:
            counts[subject][recent] += n
            shop_of[subject] = q["shop_id"]
            if recent:
                requests[subject].append(q["id"])
    return counts, requests, shop_of


def invalid_rate_jump(requests: list[dict]) -> list[Finding]:
    """A product or import batch with ≥ ["min_reports"] keys reported invalid in the last
    ["recent_hours"], whose share of keys sold in that time reported is ≥ ["floor_percent"] % and
    ≥ ["factor"] × the same share over the ["baseline_days"] before."""
    r = settings.KADUN_ALERT_INVALID_RATE
    ref = max(q["created_at"] for q in requests)
    split = ref - dt.timedelta(hours=r["recent_hours"])
    since = split - dt.timedelta(days=r["baseline_days"])
    product_ids = {q["product_id"] for q in requests}
    rows = aftersales_reads.invalid_requests_of_products(product_ids=product_ids, since=since)
    rows = [q for q in rows if q["created_at"] <= ref]
    batches = inventory_reads.key_batches({k for q in rows for k in q["key_ids"]})
    counts, recent_requests, shop_of = _tally(rows, batches, split)
    touched = {f"product:{q['product_id']}" for q in requests}
    touched |= {f"batch:{batches[k]}" for q in requests for k in q["key_ids"] if batches.get(k) is not None}
    sold_base = inventory_reads.sold_counts(product_ids=product_ids, since=since, until=split)
    sold_recent = inventory_reads.sold_counts(product_ids=product_ids, since=split, until=ref + dt.timedelta(microseconds=1))
    findings = []
    for subject in sorted(touched):
        base_reports, recent_reports = counts[subject]
        if recent_reports < r["min_reports"]:
            continue
        which, ident = subject.split(":")
        index = 0 if which == "product" else 1
        recent_sold, base_sold = sold_recent[index].get(int(ident), 0), sold_base[index].get(int(ident), 0)
        rate = min(100.0, recent_reports * 100 / max(recent_sold, 1))
        baseline = min(100.0, base_reports * 100 / base_sold) if base_sold else 0.0
        if rate >= r["floor_percent"] and rate >= r["factor"] * baseline:
            facts = {which + "_id": int(ident), "recent_hours": r["recent_hours"], "reported_recent": recent_reports,
                     "sold_recent": recent_sold, "rate_percent": round(rate, 1), "baseline_days": r["baseline_days"],
                     "reported_baseline": base_reports, "sold_baseline": base_sold, "baseline_percent": round(baseline, 1),
                     "factor": r["factor"], "floor_percent": r["floor_percent"], "min_reports": r["min_reports"],
                     "request_ids": _cap(recent_requests[subject])}
            findings.append(Finding(AlertKind.INVALID_RATE_JUMP, subject, shop_of[subject], facts))
    return findings


REFUND_RULES = (invalid_claims, invalid_rate_jump)


# --- f. 引流话术跨店重复 ---------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9][-_a-z0-9.@/]{4,60}")


def lure_keys(text: str, matches: list[str]) -> set[str]:
    """A flag's normalised keys: each contact-like token of what was matched (a WeChat id, QQ or
    phone number, handle, link) as ``c:<token>``, and the whole text as ``text:<digest>``."""
    keys = {f"c:{token}" for match in matches for token in _TOKEN.findall(normalise(match).lower())}
    flat = re.sub(r"\W+", "", normalise(text).lower())
    if flat:
        keys.add(f"text:{_digest(flat, 40)}")
    return keys


def lure_across_shops(flags: list[dict], shops_by_key: dict[str, dict]) -> list[Finding]:
    """The same key flagged in ≥ KADUN_ALERT_LURE_SHOPS["shops"] shops within ["days"].
    ``shops_by_key``: {key: {"shop_ids": set, "flag_ids": list}} over the window (kadun.risk.alerts
    records the batch's keys first, then reads them)."""
    r = settings.KADUN_ALERT_LURE_SHOPS
    findings = []
    for key, seen in sorted(shops_by_key.items()):
        if len(seen["shop_ids"]) >= r["shops"]:
            sample = next((f for f in flags if f["id"] in seen["flag_ids"]), None)
            facts = {"key": key if key.startswith("c:") else "text", "shop_ids": sorted(seen["shop_ids"]), "shops": len(seen["shop_ids"]),
                     "threshold": r["shops"], "days": r["days"], "flag_ids": _cap(seen["flag_ids"]),
                     "text": (sample["text"][:200] if sample else ""), "at": _iso(max(f["created_at"] for f in flags))}
            findings.append(Finding(AlertKind.LURE_ACROSS_SHOPS, f"lure:{_digest(key)}", None, facts))
    return findings
