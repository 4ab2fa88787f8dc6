"""Writes for 售后保险: the cover at checkout, the premium given back when the cover never
started, the pool's claims (paid inside a refund the merchant can't cover), and the recoveries.

Every row is written with its journal entry (``kadun.ledger.services``) and its evidence entry,
in the caller's transaction. Accounts: ``platform:insurance_pool`` (floored: premiums in, claims
out, recoveries in) and ``merchant:<id>:pool_debt`` (the part of the merchant's debt,
``merchant:<id>:debt``, that is owed to the pool; positive = owed).
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.evidence import services as evidence
from kadun.insurance import terms as cover_terms
from kadun.insurance.models import Claim, Cover, Recovery
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.orders.services import refunded_listen
from kadun.payments.registry import on_insured_claim_paid, on_insured_shortfall

PREMIUM_ENTRY = "insurance_premium"
CLAIM_ENTRY = "insurance_claim"
RECOVERY_ENTRY = "insurance_recovery"


def cover_create(*, order, product) -> int:
    """In checkout's transaction (``orders.services.order_create(insure=True)``): freeze the
    cover's terms onto the order and return the premium the payment adds (0 when insurance is
    off). The band is the shop's credit band at checkout."""
    from kadun.reputation.selectors import shop_credit

    if not settings.KADUN_INSURANCE_ENABLED:
        return 0
    kind = cover_terms.kind_of(category=product.category, delivery=product.delivery)
    terms = cover_terms.terms_for(amount=order.amount, band=shop_credit(order.shop_id).band, kind=kind,
                                  inspection_hours=order.inspection_hours)
    cover = Cover.objects.create(
        order=order, shop_id=order.shop_id, premium=terms["premium"], protection_days=terms["protection_days"],
        terms=terms, terms_hash=cover_terms.terms_hash(terms), created_at=clock.now(),
    )
    evidence.record("insurance.cover", cover)
    return cover.premium


def _premium_paid(order_id: int) -> bool:
    from kadun.ledger.selectors import entry_kind_posted

    return entry_kind_posted(kind=PREMIUM_ENTRY, ref_type="order", ref_id=order_id)


def premium_return_key(order_id: int) -> str:
    return f"premium_return:order:{order_id}"


def _premium_back(order_id: int, _refund_key: str) -> None:
    """The order was refunded in full (in that refund's transaction). If its cover never started
    — nothing was delivered — the premium goes back where it was paid from, once (the stamp's
    conditional update is the guard); after delivery the cover ran and the premium is kept."""
    from kadun.orders.selectors import order_by_id
    from kadun.payments import services as payments

    cover = Cover.objects.filter(order_id=order_id, premium_returned_at__isnull=True).first()
    if cover is None:
        return
    order = order_by_id(order_id)
    if order.delivered_at is not None or not _premium_paid(order_id):
        return
    if not Cover.objects.filter(pk=cover.pk, premium_returned_at__isnull=True).update(premium_returned_at=clock.now()):
        return
    payments.premium_return(order=order, amount=cover.premium, key=premium_return_key(order_id), note="订单在交付前全额退款，售后保险保费退回")


refunded_listen(_premium_back)


def cover_active(order) -> Cover | None:
    """The order's cover if it is in force: bought, its premium paid and not given back."""
    cover = Cover.objects.filter(order_id=order.pk, premium_returned_at__isnull=True).first()
    if cover is None or not _premium_paid(order.pk):
        return None
    return cover


@on_insured_shortfall
def _pool_share(*, order, shortfall: int) -> int:
    """What the pool pays of a refund's shortfall (what the merchant's pending, available and
    deposit could not cover): all of it for an insured order, as far as the pool holds — the
    rest is 先行赔付 as before. Decided inside the refund's transaction; the pool's floored
    balance guards the entry (a concurrent claim that emptied it makes this refund fail and retry)."""
    from kadun.ledger.selectors import balance_of

    if cover_active(order) is None:
        return 0
    return max(min(int(shortfall), balance_of(codes.PLATFORM_INSURANCE_POOL)), 0)


@on_insured_claim_paid
def _claim_book(*, order, amount: int, refund) -> Claim:
    """The pool paid ``amount`` of ``refund``: the claim's row (one per refund: unique key) and
    its entry — the merchant owes it, to the pool (``merchant:<id>:debt`` down,
    ``merchant:<id>:pool_debt`` up) — in the refund's transaction."""
    cover = Cover.objects.get(order_id=order.pk)
    claim = Claim.objects.create(
        order_id=order.pk, cover=cover, shop_id=order.shop_id, refund_key=refund.idempotency_key, reason=refund.reason[:40],
        amount=int(amount), paid_at=clock.now(),
    )
    ledger.entry_post(
        kind=CLAIM_ENTRY, idempotency_key=f"claim:{refund.idempotency_key}"[:120],
        lines=[(codes.merchant_debt(order.shop_id), -int(amount)), (codes.merchant_pool_debt(order.shop_id), int(amount))],
        ref_type="order", ref_id=order.pk, memo="售后保险赔付，记为商家对保险池的欠款",
    )
    evidence.record("insurance.claim", claim)
    return claim


def recovery_book(*, shop_id: int, recovered: int, key: str, source: str, ref_id: int | None = None) -> Recovery | None:
    """``recovered`` 分 of the shop's debt were just paid (from later income or its balance, the
    debt account credited, in the caller's transaction — which holds the debt's lock,
    ``ledger.merchant_funds.debts_lock``). Of it, what the shop owes the pool goes back into the
    pool first: its row and entry (``pool_debt`` → ``platform:insurance_pool``). None when the
    shop owes the pool nothing."""
    from kadun.ledger.selectors import balance_of

    owed = balance_of(codes.merchant_pool_debt(shop_id))
    amount = min(int(recovered), owed)
    if amount <= 0:
        return None
    with transaction.atomic():
        recovery = Recovery.objects.create(shop_id=shop_id, key=key[:120], source=source, ref_id=ref_id, amount=amount, recovered_at=clock.now())
        ledger.entry_post(
            kind=RECOVERY_ENTRY, idempotency_key=f"recovery:{key}"[:120],
            lines=[(codes.merchant_pool_debt(shop_id), -amount), (codes.PLATFORM_INSURANCE_POOL, amount)],
            ref_type="shop", ref_id=shop_id, memo="商家欠款追偿，归还售后保险池",
        )
        evidence.record("insurance.recovery", recovery)
    return recovery


def recoveries_from_settlement(*, recovered: dict[int, tuple[int, int]]) -> int:
    """Settlement recovered debt: ``{order id: (shop id, 分 recovered)}`` (``orders.release``,
    in its transaction, under the debts' lock). Returns what went back into the pool."""
    total = 0
    for order_id in sorted(recovered):
        shop_id, amount = recovered[order_id]
        row = recovery_book(shop_id=shop_id, recovered=amount, key=f"settle:order:{order_id}", source="settlement", ref_id=order_id)
        total += row.amount if row else 0
    return total
