"""Reads for 售后保险: an order's cover (for its buyer, merchant and staff — the caller has
passed ``orders.selectors.order_access``), the protection period a case check reads, and the
pool's figures for staff (balance from the ledger; premiums, claims, recoveries per month)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings

from kadun.insurance import terms as cover_terms
from kadun.insurance.models import Claim, Cover, Recovery
from kadun.ledger import accounts as codes


def cover_of(order_id: int) -> Cover | None:
    return Cover.objects.filter(order_id=order_id).first()


def protection_ends_at(order) -> dt.datetime | None:
    """When the cover's after-sales protection ends (delivery + the frozen protection days), or
    None: not insured, the premium was given back, or not delivered yet."""
    if order.delivered_at is None:
        return None
    row = Cover.objects.filter(order_id=order.pk, premium_returned_at__isnull=True).values_list("protection_days", flat=True).first()
    if row is None:
        return None
    return order.delivered_at + dt.timedelta(days=row)


def protection_days_of_shop(shop_id: int) -> dict[int, int]:
    """{order id: protection days} of the shop's covers in force (跑路处置 refunds a confirmed
    insured order until its protection period ends)."""
    return dict(Cover.objects.filter(shop_id=shop_id, premium_returned_at__isnull=True).values_list("order_id", "protection_days"))


def order_cover(order) -> dict | None:
    """What the order page and the API show: the cover, its period, the claims paid."""
    from kadun.ledger.selectors import entry_kind_posted

    cover = cover_of(order.pk)
    if cover is None:
        return None
    paid = entry_kind_posted(kind="insurance_premium", ref_type="order", ref_id=order.pk)
    ends = protection_ends_at(order)
    if cover.premium_returned_at:
        status = "returned"
    elif not paid:
        status = "unpaid"
    elif ends is None:
        status = "waiting_delivery"
    else:
        status = "active"
    claims = list(Claim.objects.filter(order_id=order.pk).order_by("paid_at").values("amount", "reason", "paid_at"))
    return {
        "premium": cover.premium, "protection_days": cover.protection_days, "status": status, "protection_ends_at": ends,
        "premium_returned_at": cover.premium_returned_at, "terms": cover.terms, "terms_hash": cover.terms_hash,
        "claims": claims, "claims_total": sum(c["amount"] for c in claims),
    }


def checkout_offer(*, amount: int, shop_id: int, category: str, delivery: str, inspection_hours: int) -> dict | None:
    """The offer shown at checkout for an order of ``amount`` 分: the same terms ``cover_create`` freezes."""
    from kadun.reputation.selectors import shop_credit

    if not settings.KADUN_INSURANCE_ENABLED:
        return None
    kind = cover_terms.kind_of(category=category, delivery=delivery)
    return cover_terms.terms_for(amount=amount, band=shop_credit(shop_id).band, kind=kind, inspection_hours=inspection_hours)


ENTRY_COLUMNS = {"insurance_premium": "premiums", "insurance_premium_return": "premiums_returned",
                 "refund": "claims_paid", "insurance_recovery": "recoveries"}


def pool_summary() -> dict:
    """The pool for staff: balance (ledger), and per month premiums (net of those given back),
    claims paid, recoveries and the loss ratio (claims paid / premiums)."""
    from kadun.ledger.selectors import balance_of, kind_totals_by_month

    months: dict = {}
    for month, kind, total in kind_totals_by_month(kinds=list(ENTRY_COLUMNS), account_code=codes.PLATFORM_INSURANCE_POOL):
        row = months.setdefault(month, {"month": month, "premiums": 0, "premiums_returned": 0, "claims_paid": 0, "recoveries": 0})
        row[ENTRY_COLUMNS[kind]] += abs(total)
    rows = []
    for month in sorted(months, reverse=True):
        row = months[month]
        row["net_premiums"] = row["premiums"] - row["premiums_returned"]
        row["loss_ratio"] = _ratio(row["claims_paid"], row["net_premiums"])
        rows.append(row)
    totals = {k: sum(r[k] for r in rows) for k in ("premiums", "premiums_returned", "net_premiums", "claims_paid", "recoveries")}
    totals["loss_ratio"] = _ratio(totals["claims_paid"], totals["net_premiums"])
    return {
        "balance": balance_of(codes.PLATFORM_INSURANCE_POOL), "months": rows, "totals": totals,
        "covers": Cover.objects.count(), "claims": Claim.objects.count(), "recovery_rows": Recovery.objects.count(),
        "recent_claims": list(Claim.objects.order_by("-paid_at").values("order_id", "shop_id", "amount", "reason", "paid_at")[:20]),
    }


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def claims_for_report(*, since) -> dict:
    """售后保险 for the platform's transparency report: claims the pool paid (count, amount) and
    the covers sold, since ``since`` (None: all time)."""
    from django.db.models import Count, Sum

    claims = Claim.objects.all() if since is None else Claim.objects.filter(paid_at__gte=since)
    covers = Cover.objects.all() if since is None else Cover.objects.filter(created_at__gte=since)
    paid = claims.aggregate(n=Count("id"), amount=Sum("amount"))
    return {"claims_paid": paid["n"], "claims_amount": paid["amount"] or 0, "covers": covers.count()}
