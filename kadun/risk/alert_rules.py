"""异常订单预警: the rules. Each takes one batch of new facts (orders, refund requests with reason
卡密无效, lure flags — see kadun.risk.alerts) and returns its findings: the alert's kind and
subject, the shop it is about (if one), and the facts behind it, with the threshold it crossed.
Thresholds are settings (KADUN_ALERT_*, kadun/settings/alerts.py), shown to staff and in
docs/risk.md. The time a rule looks back from is the newest fact of the batch, so a duty that is
catching up judges each fact by its own day."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from kadun.catalog import selectors_alerts as catalog_reads
from kadun.orders import selectors_alerts as order_reads
from kadun.reputation import selectors_alerts as reputation_reads
from kadun.risk.states import AlertKind


@dataclass
class Finding:
    kind: str
    subject: str
    shop_id: int | None
    facts: dict = field(default_factory=dict)


def _iso(at: dt.datetime) -> str:
    return at.isoformat()


def _digest(text: str, n: int = 20) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def contact_key(contact: str) -> str:
    return re.sub(r"\s+", "", contact or "").lower()


# --- a. 同一来源短时间内大量下单 -------------------------------------------------------------

def _sources(row: dict) -> list[tuple[str, str]]:
    """Every source an order counts for: its account (or guest contact), its address, its device."""
    out = []
    if row["buyer_id"]:
        out.append((f"buyer:{row['buyer_id']}", ""))
    elif key := contact_key(row["contact"]):
        out.append((f"contact:{_digest(key)}", key))
    if row.get("ip_hash"):
        out.append((f"ip:{row['ip_hash']}", ""))
    if row.get("device_hash"):
        out.append((f"device:{row['device_hash']}", ""))
    return out


def _threshold(subject: str) -> int:
    r = settings.KADUN_ALERT_BURST
    return {"ip": r["address_orders"], "device": r["device_orders"]}.get(subject.split(":", 1)[0], r["orders"])


def order_burst(orders: list[dict]) -> list[Finding]:
    """Many orders from one source within KADUN_ALERT_BURST["minutes"], the window ending at an
    order of this batch: ["orders"] from one buyer account or guest contact, ["device_orders"]
    from one device cookie, ["address_orders"] from one address (an address is shared by a
    café or a carrier's NAT, so it takes more)."""
    r = settings.KADUN_ALERT_BURST
    window = dt.timedelta(minutes=r["minutes"])
    batch_ids = {o["id"] for o in orders}
    lo, hi = min(o["created_at"] for o in orders) - window, max(o["created_at"] for o in orders)
    rows_in = order_reads.orders_of_sources(
        buyer_ids={o["buyer_id"] for o in orders if o["buyer_id"]},
        contacts={o["contact"] for o in orders if not o["buyer_id"] and o["contact"]},
        ip_hashes={o.get("ip_hash", "") for o in orders}, device_hashes={o.get("device_hash", "") for o in orders}, since=lo, until=hi)
    groups: dict[tuple[str, str], dict[int, dict]] = defaultdict(dict)
    for row in rows_in:
        for source in _sources(row):
            groups[source][row["id"]] = row
    findings = []
    for (subject, contact), by_id in groups.items():
        need = _threshold(subject)
        if len(by_id) < need:
            continue
        best = _densest(sorted(by_id.values(), key=lambda x: (x["created_at"], x["id"])), window, batch_ids)
        if len(best) >= need:
            shops = sorted({x["shop_id"] for x in best})
            facts = {"order_ids": [x["id"] for x in best], "count": len(best), "threshold": need, "window_minutes": r["minutes"],
                     "from": _iso(best[0]["created_at"]), "to": _iso(best[-1]["created_at"]), "shop_ids": shops,
                     "source": subject.split(":", 1)[0]}
            if contact:
                facts["contact"] = contact
            if subject.startswith(("ip:", "device:")):
                facts["accounts"] = len({x["buyer_id"] for x in best if x["buyer_id"]})
            findings.append(Finding(AlertKind.ORDER_BURST, subject, shops[0] if len(shops) == 1 else None, facts))
    return findings


def _densest(rows: list[dict], window: dt.timedelta, ending_in: set[int]) -> list[dict]:
    """The most orders within one window that ends at an order of the batch (two pointers)."""
    best: list[dict] = []
    start = 0
    for end, row in enumerate(rows):
        while row["created_at"] - rows[start]["created_at"] > window:
            start += 1
        if row["id"] in ending_in and end - start + 1 > len(best):
            best = rows[start:end + 1]
    return best


# --- d. 商家销量暴增且多为无评价新品 ---------------------------------------------------------

def _new_unreviewed(product_ids: set[int], ref: dt.datetime, new_days: int) -> set[int]:
    created = catalog_reads.products_created(product_ids)
    new = {pid for pid, at in created.items() if at >= ref - dt.timedelta(days=new_days)}
    return new - reputation_reads.products_with_reviews(new) if new else set()


def sales_spike(orders: list[dict]) -> list[Finding]:
    """A shop's orders in the 24 h before the batch's newest order ≥ ["min_orders"] and ≥ ["factor"]
    × its daily average over ["baseline_days"] before that (a shop with no orders before has no
    average to spike from: its first day is not a spike), ≥ ["new_share_percent"] % of them of
    products created within ["new_days"] that have no review. Only shops with an order of such a
    product in the batch are looked at (a normal batch costs two queries)."""
    r = settings.KADUN_ALERT_SALES_SPIKE
    ref = max(o["created_at"] for o in orders)
    fresh = _new_unreviewed({o["product_id"] for o in orders}, ref, r["new_days"])
    shop_ids = {o["shop_id"] for o in orders if o["product_id"] in fresh}
    if not shop_ids:
        return []
    day_ago = ref - dt.timedelta(hours=24)
    last_day = order_reads.shop_product_counts(shop_ids=shop_ids, since=day_ago, until=ref)
    busy = {s: per for s, per in last_day.items() if sum(per.values()) >= r["min_orders"]}
    if not busy:
        return []
    before = order_reads.shop_order_counts(shop_ids=busy, since=day_ago - dt.timedelta(days=r["baseline_days"]), until=day_ago)
    fresh_all = _new_unreviewed({p for per in busy.values() for p in per}, ref, r["new_days"])
    findings = []
    for shop_id, per in busy.items():
        total = sum(per.values())
        average = before.get(shop_id, 0) / r["baseline_days"]
        new_orders = sum(n for pid, n in per.items() if pid in fresh_all)
        share = new_orders * 100 // total
        if before.get(shop_id, 0) and total >= r["factor"] * max(average, 1) and share >= r["new_share_percent"]:
            products = sorted(pid for pid in per if pid in fresh_all)
            facts = {"orders_24h": total, "daily_average": round(average, 2), "baseline_days": r["baseline_days"], "factor": r["factor"],
                     "min_orders": r["min_orders"], "new_unreviewed_orders": new_orders, "new_share_percent": share,
                     "threshold_share_percent": r["new_share_percent"], "product_ids": products,
                     "order_ids": order_reads.shop_order_ids(shop_id=shop_id, product_ids=products, since=day_ago, until=ref,
                                                             limit=settings.KADUN_ALERT_MAX_IDS)}
            findings.append(Finding(AlertKind.SALES_SPIKE, f"shop:{shop_id}", shop_id, facts))
    return findings


# --- e. 改价后短时间内大量下单 ---------------------------------------------------------------

def price_flash(orders: list[dict]) -> list[Finding]:
    """A price change, then ≥ ["orders"] orders of the product within ["minutes"] after it, and
    ≥ ["factor"] × the orders in as many minutes before it. Only products of the batch changed in
    the ["minutes"] before the batch's orders are looked at."""
    r = settings.KADUN_ALERT_PRICE_FLASH
    window = dt.timedelta(minutes=r["minutes"])
    lo, hi = min(o["created_at"] for o in orders), max(o["created_at"] for o in orders)
    changes = catalog_reads.price_changes(product_ids={o["product_id"] for o in orders}, since=lo - window, until=hi)
    if not changes:
        return []
    times = order_reads.product_order_times(product_ids={c["product_id"] for c in changes},
                                            since=min(c["at"] for c in changes) - window, until=max(c["at"] for c in changes) + window)
    findings = []
    for change in changes:
        rows = times.get(change["product_id"], [])
        after = [oid for at, oid in rows if change["at"] <= at <= change["at"] + window]
        before = sum(1 for at, _ in rows if change["at"] - window <= at < change["at"])
        if len(after) >= r["orders"] and len(after) >= r["factor"] * max(before, 1):
            facts = {"price_change_id": change["id"], "product_id": change["product_id"], "old_price": change["old_price"],
                     "new_price": change["new_price"], "changed_at": _iso(change["at"]), "orders_after": len(after),
                     "orders_before": before, "window_minutes": r["minutes"], "threshold": r["orders"], "factor": r["factor"],
                     "order_ids": after[: settings.KADUN_ALERT_MAX_IDS]}
            findings.append(Finding(AlertKind.PRICE_FLASH, f"product:{change['product_id']}", change["shop_id"], facts))
    return findings


ORDER_RULES = (order_burst, sales_spike, price_flash)
