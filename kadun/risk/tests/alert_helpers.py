"""Builders for the abnormal-order alert tests and benchmark: orders, sold keys and refund requests
inserted in bulk (a week of traffic through checkout would take hours), at chosen times.
Tests using them are marked ``evidence_tampered``: these rows are not in the evidence log."""
from __future__ import annotations

import datetime as dt
import itertools
import random

from kadun.aftersales.models import RefundRequest
from kadun.catalog.models import Product
from kadun.core import clock
from kadun.inventory.models import CardKey
from kadun.orders.models import Order
from kadun.risk import alerts

_seq = itertools.count(1)


def order_rows(specs) -> list[Order]:
    """``specs``: (product, created_at, buyer_id or None, contact, quantity[, ip_hash, device_hash])
    tuples; paid at once."""
    rows = []
    for product, at, buyer_id, contact, quantity, *signals in specs:
        ip_hash, device_hash = (list(signals) + ["", ""])[:2]
        n = next(_seq)
        rows.append(Order(
            order_no=f"T{n:012d}{random.randrange(10**6):06d}", buyer_id=buyer_id, contact=contact or "",
            access_token_hash=f"{n:016d}{random.getrandbits(128):032x}".ljust(64, "0"), shop_id=product.shop_id, product_id=product.pk,
            title=product.title, delivery=product.delivery, quantity=quantity, unit_price=product.price, amount=product.price * quantity,
            inspection_hours=24, status="delivered", created_at=at, expires_at=at + dt.timedelta(minutes=30), paid_at=at, delivered_at=at,
            ip_hash=ip_hash, device_hash=device_hash,
        ))
    return rows


def orders(specs, *, batch_size: int = 5000) -> list[Order]:
    return Order.objects.bulk_create(order_rows(specs), batch_size=batch_size)


def sold_keys(order_list: list[Order], *, batch_id: int | None = None) -> list[CardKey]:
    """One sold key per unit of each order (so refund requests can name them)."""
    rows = []
    for order in order_list:
        for _ in range(order.quantity):
            n = next(_seq)
            rows.append(CardKey(product_id=order.product_id, shop_id=order.shop_id, batch_id=batch_id, secret="x",
                                fingerprint=f"fp-{n}-{random.getrandbits(64):016x}", status="sold", order_id=order.pk,
                                sold_at=order.created_at, created_at=order.created_at))
    return CardKey.objects.bulk_create(rows, batch_size=5000)


def invalid_requests(pairs, *, at: dt.datetime | None = None) -> list[RefundRequest]:
    """``pairs``: (order, [key ids]) — a refund request with reason 卡密无效 for each."""
    rows = []
    for order, key_ids in pairs:
        n = next(_seq)
        when = at or order.created_at + dt.timedelta(minutes=20)
        rows.append(RefundRequest(
            request_no=f"RT{n:012d}{random.randrange(10**6):06d}", order_id=order.pk, shop_id=order.shop_id, reason="invalid_key",
            key_ids=list(key_ids), amount_requested=order.unit_price * max(1, len(key_ids)), outcome="ask_merchant",
            explanation="测试", status="awaiting_merchant", created_at=when,
        ))
    return RefundRequest.objects.bulk_create(rows, batch_size=5000)


def age_product(product, days: int) -> None:
    """The product was created ``days`` ago (an established product)."""
    Product.objects.filter(pk=product.pk).update(created_at=clock.now() - dt.timedelta(days=days))


def sweep() -> int:
    """Everything recorded so far is older than the duty's lag: run the duty until caught up."""
    clock.advance(dt.timedelta(minutes=5))
    return alerts.alerts_sweep(max_batches=10_000)


def pairs(order_list, keys) -> list[tuple]:
    """(order, [its key id]) for orders of one key each, with their keys in the same order."""
    return [(o, [k.pk]) for o, k in zip(order_list, keys, strict=True)]


def ordinary_traffic(*, shops: int, products_per_shop: int, buyers: int, guests: int, days: int, orders_per_day: int,
                     seed: int = 12, keys: bool = True, refund_percent: float = 2.0, price_edits: int = 10) -> dict:
    """Ordinary traffic over ``days`` ending now: many buyers (accounts and guest contacts) in many
    shops, products of uneven popularity, most orders of one key, about ``refund_percent`` % of
    orders reported invalid twenty minutes later, and a few price edits of a few percent. Shops and
    products are created through their services; orders, keys and requests in bulk."""
    from conftest import make_product, make_shop
    from kadun.accounts.models import User
    from kadun.catalog.models import PriceChange

    rng = random.Random(seed)
    now = clock.now()
    products = []
    for _ in range(shops):
        shop = make_shop()
        for _ in range(products_per_shop):
            product = make_product(shop, price=rng.choice([500, 1000, 3000, 9900]))
            age_product(product, rng.randint(20, 400))
            products.append(product)
    tag = next(_seq)
    users = User.objects.bulk_create([User(username=f"ordinary{tag}-{i}") for i in range(buyers)], batch_size=5000)
    weights = [rng.paretovariate(1.5) for _ in products]
    sources = [(u.pk, "") for u in users] + [(None, f"guest{tag}-{i}@example.com") for i in range(guests)]
    start = now - dt.timedelta(days=days)
    total = days * orders_per_day
    made = 0
    while made < total:
        chunk = min(20_000, total - made)
        picks = rng.choices(products, weights=weights, k=chunk)
        specs = []
        for product in picks:
            buyer_id, contact = rng.choice(sources)
            at = start + dt.timedelta(seconds=rng.uniform(0, days * 86400 - 600))
            specs.append((product, at, buyer_id, contact, 1 if rng.random() < 0.9 else rng.randint(2, 3)))
        created = orders(specs)
        if keys:
            sold = sold_keys(created)
            by_order: dict[int, list[int]] = {}
            for key in sold:
                by_order.setdefault(key.order_id, []).append(key.pk)
            reported = [o for o in created if rng.random() * 100 < refund_percent]
            invalid_requests([(o, by_order[o.pk][:1]) for o in reported], at=None)
        made += chunk
    for product in rng.sample(products, min(price_edits, len(products))):
        new = max(1, int(product.price * rng.uniform(0.95, 1.05)))
        PriceChange.objects.create(product=product, shop_id=product.shop_id, old_price=product.price, new_price=new,
                                   at=start + dt.timedelta(seconds=rng.uniform(0, days * 86400 - 3600)))
    return {"products": products, "orders": total}
