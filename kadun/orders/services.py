"""Writes for orders: checkout, payment outcome, delivery, confirmation, expiry, settlement.

Every state change is a conditional update with its event row (and ledger entry, when money
moves) in one transaction; side effects are outbox rows sent after commit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from kadun.catalog import policies
from kadun.catalog.models import Product
from kadun.catalog.states import Delivery
from kadun.core import clock
from kadun.core.money import fee_of, fen_to_yuan
from kadun.core.db import is_postgres, update_each
from kadun.core.transitions import transition
from kadun.deadlines.services import deadline_schedule, deadlines_schedule_many
from kadun.inventory import services as inventory
from kadun.catalog.errors import ProductNotFound
from kadun.ledger import accounts as codes
from kadun.ledger import services as ledger
from kadun.notifications.services import message_send, outbox_enqueue
from kadun.orders.errors import (
    ContactRequired,
    InvalidImage,
    InvalidQuantity,
    MissingBuyerInput,
    NotAcceptable,
    RefundTooLarge,
    NotConfirmable,
    NotDeliverable,
    OutOfStock,
)
from kadun.orders import passwords
from kadun.orders.models import Order, OrderEvent
from kadun.orders.states import Actor, OrderStatus, sources_of

S = OrderStatus
KIND_EXPIRE = "order_expire"
KIND_AUTOCONFIRM = "order_autoconfirm"
KIND_SETTLE = "order_settle"
KIND_SERVICE_DUE = "order_service_due"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _order_no() -> str:
    return clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d") + f"{secrets.randbelow(10**10):010d}"


def _event(order_id: int, kind: str, *, actor: str, frm: str = "", to: str = "", user=None, note: str = "") -> OrderEvent:
    return OrderEvent.objects.create(
        order_id=order_id, kind=kind, from_status=frm, to_status=to, actor=actor,
        actor_user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        note=note[:300], at=clock.now(),
    )


def _move(order_id: int, to: str, *, kind: str, actor: str, user=None, note: str = "", error=None, frm: str | None = None, **changes) -> str:
    """Conditional update from any state allowed to reach ``to``; returns the state it left.
    ``frm``: the state the caller has just read under the order's lock, instead of reading it
    again (the conditional update still refuses the move if the order is no longer in it)."""
    if frm is None:
        frm = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
    allowed = sources_of(to)
    if frm not in allowed:
        raise error or NotConfirmable()
    transition(Order, pk=order_id, from_states=[frm], to=to, error=error, **changes)
    _event(order_id, kind, actor=actor, frm=frm, to=to, user=user, note=note)
    return frm


def _clean_inputs(product: Product, inputs: dict | None) -> dict:
    inputs = inputs or {}
    cleaned = {}
    for spec in product.buyer_fields:
        value = str(inputs.get(spec["name"], "")).strip()[:200]
        if spec.get("required", True) and not value:
            raise MissingBuyerInput(message=f"请填写「{spec['label']}」。")
        if value:
            cleaned[spec["name"]] = value
    return cleaned


def order_create(
    *,
    product_id: int,
    quantity: int,
    buyer=None,
    contact: str = "",
    query_password: str = "",
    buyer_inputs: dict | None = None,
    provider: str | None = None,
    no_reason_waived: bool = False,
) -> tuple[Order, str, str]:
    """Checkout. Returns (order, access_token, pay_url). The access token is the guest's key to the
    order page; only its hash is stored, so it is shown once, on the page that follows checkout.
    The order comes back with what checkout wrote for it in hand, so the response reads nothing
    again: ``order.payment`` and ``order.checkout_events`` (its one event)."""
    from kadun.catalog import selectors as catalog
    from kadun.payments import services as payments

    product = Product.objects.select_related("shop").filter(pk=product_id, is_active=True, shop__is_active=True).first()
    if product is None:
        raise ProductNotFound()
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise InvalidQuantity() from None
    if product.delivery == Delivery.MANUAL and quantity != 1:
        raise InvalidQuantity(message="服务类商品每单只能购买1份。")
    if not 1 <= quantity <= product.max_per_order:
        raise InvalidQuantity(message=f"购买数量需在1到{product.max_per_order}之间。")
    is_guest = buyer is None or not buyer.is_authenticated
    contact = (contact or "").strip()[:120]
    if is_guest and (not contact or len(query_password or "") < 6 or len(query_password) > 128):
        raise ContactRequired()
    inputs = _clean_inputs(product, buyer_inputs) if product.delivery == Delivery.MANUAL else {}
    if product.is_auto and not _in_stock(product.pk, quantity):
        raise OutOfStock()
    if not is_guest and buyer.pk and product.shop.owner_id == buyer.pk:
        raise InvalidQuantity("own_product", "不能购买自己店铺的商品。")

    policy = catalog.policy_current(product)
    snapshot, digest = policies.snapshot(policy.rules, delivery=product.delivery, policy_version=policy.version)
    waived = bool(no_reason_waived) and not policy.rules.get("no_reason_7days", False)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        order = Order.objects.create(
            order_no=_order_no(),
            buyer=None if is_guest else buyer,
            contact=contact,
            query_password=passwords.make(query_password) if is_guest else "",
            access_token_hash=token_hash(token),
            shop=product.shop,
            product=product,
            title=product.title,
            delivery=product.delivery,
            quantity=quantity,
            unit_price=product.price,
            amount=product.price * quantity,
            inspection_hours=product.inspection_hours,
            buyer_inputs=inputs,
            policy_snapshot=snapshot,
            policy_hash=digest,
            no_reason_waived=waived,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.KADUN_PAYMENT_TIMEOUT_MINUTES),
        )
        created = _event(order.pk, "created", actor=Actor.GUEST if is_guest else Actor.BUYER, to=S.PENDING_PAYMENT, user=buyer)
        deadline_schedule(kind=KIND_EXPIRE, subject_id=order.pk, due_at=order.expires_at)
        _, pay_url = payments.payment_create(order=order, provider=provider, return_url=reverse("web:order", args=[order.order_no]))
    order.checkout_events = [created]  # for the response, with order.payment (see above)
    return order, token, pay_url


def _in_stock(product_id: int, quantity: int) -> bool:
    """At least ``quantity`` keys available: the index finds the quantity-th one and stops,
    where counting them all reads the product's whole stock."""
    from kadun.inventory.models import CardKey
    from kadun.inventory.states import KeyStatus

    return CardKey.objects.filter(product_id=product_id, status=KeyStatus.AVAILABLE).order_by("id")[quantity - 1 : quantity].exists()


def order_on_paid(*, order_id: int) -> str:
    """The order's payment succeeded and its money is in escrow (same transaction). Deliver keys,
    or queue the service for the merchant; if the keys ran out or the order had expired, refund
    in full at once. Returns the outcome."""
    from kadun.payments import services as payments

    qs = Order.objects.filter(pk=order_id)
    if is_postgres():
        qs = qs.select_for_update()  # a racing expiry waits, or we see it expired
    order = qs.get()
    now = clock.now()
    if order.status != S.PENDING_PAYMENT:
        # Paid after expiry (or after anything else): the money goes straight back.
        _event(order.pk, "paid", actor=Actor.GATEWAY, frm=order.status, to=order.status, note="订单已不在待支付状态，款项原路退回")
        return _refund_all(order, reason="late_payment", note="订单已过期后才收到付款，已全额原路退回。")
    if order.is_auto:
        keys = inventory.keys_allocate(order_id=order.pk, product_id=order.product_id, quantity=order.quantity)
        if keys is None:
            _event(order.pk, "paid", actor=Actor.GATEWAY, frm=S.PENDING_PAYMENT, to=S.PENDING_PAYMENT)
            return _refund_all(order, reason="out_of_stock", note="付款时库存已售罄，已全额原路退回。")
        _move(order.pk, S.DELIVERED, kind="paid_delivered", actor=Actor.GATEWAY, note=f"已自动发货 {len(keys)} 个卡密", frm=order.status, paid_at=now, delivered_at=now)
        deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=now + dt.timedelta(hours=order.inspection_hours))
        _notify_buyer(order, "订单已发货", f"订单 {order.order_no}（{order.title}）已自动发货，请在订单页查看卡密。")
        return "delivered"
    _move(order.pk, S.PAID, kind="paid", actor=Actor.GATEWAY, frm=order.status, paid_at=now)
    hours = (order.policy_snapshot or {}).get("rules", {}).get("delivery_deadline_hours")
    if hours:
        deadline_schedule(kind=KIND_SERVICE_DUE, subject_id=order.pk, due_at=now + dt.timedelta(hours=hours))
    message_send(user_id=order.shop.owner_id, title=f"新订单待接单：{order.title}", link=reverse("merchants:order", args=[order.order_no]))
    return "paid"


def _refund_all(order: Order, *, reason: str, note: str) -> str:
    order_refund(order_id=order.pk, amount=order.amount - order.refunded_amount, reason=reason, note=note, key=f"{reason}:order:{order.pk}")
    return reason


def order_refund(*, order_id: int, amount: int, reason: str, note: str = "", destination: str = "source", key: str, actor: str = Actor.SYSTEM, user=None):
    """Refund part or all of an order, in the caller's transaction. Idempotent on ``key``;
    refuses to take cumulative refunds past the amount paid; a full refund moves the order to
    refunded and stops what was pending for it (auto-confirm, settlement)."""
    from django.db.models import F

    from kadun.payments import services as payments

    with transaction.atomic():
        existing = payments.refund_by_key(key)
        if existing is not None:
            return existing
        amount = int(amount)
        if amount <= 0:
            raise RefundTooLarge("invalid_refund_amount", "退款金额必须大于0。", status=400)
        if not Order.objects.filter(pk=order_id, refunded_amount__lte=F("amount") - amount).update(refunded_amount=F("refunded_amount") + amount):
            raise RefundTooLarge()
        order = Order.objects.get(pk=order_id)
        refund = payments.refund_issue(order=order, amount=amount, reason=reason, destination=destination, note=note, key=key)
        label = "原路退回" if destination == "source" else "退到平台余额"
        if order.refunded_amount >= order.amount:
            frm = order.status
            transition(Order, pk=order.pk, from_states=sources_of(S.REFUNDED), to=S.REFUNDED, refunded_at=clock.now())
            _event(order.pk, "refunded", actor=actor, frm=frm, to=S.REFUNDED, user=user, note=f"{note}（{fen_to_yuan(amount)} 元，{label}）")
        else:
            _event(order.pk, "partially_refunded", actor=actor, user=user, note=f"{note}（{fen_to_yuan(amount)} 元，{label}）")
        _notify_buyer(order, "订单已退款", f"订单 {order.order_no}：已退款 {fen_to_yuan(amount)} 元（{label}）。{note}")
    return refund


def _notify_buyer(order: Order, title: str, body: str) -> None:
    if order.buyer_id:
        message_send(user_id=order.buyer_id, title=title, body=body, link=reverse("web:order", args=[order.order_no]))
    elif "@" in order.contact:
        # No link with a token: the guest opens the order with order number + query password.
        outbox_enqueue(topic="email", payload={"to": order.contact, "subject": f"[kadun] {title}", "body": body + "\n凭订单号和查询密码在「订单查询」页面查看。"})


def order_expire(*, order_id: int) -> str:
    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, status=S.PENDING_PAYMENT).update(status=S.EXPIRED):
            return "noop"  # paid (or paid and refunded) in the meantime
        _event(order_id, "expired", actor=Actor.SYSTEM, frm=S.PENDING_PAYMENT, to=S.EXPIRED, note="超时未支付，订单已关闭")
    return "done"


def order_accept(*, order: Order, shop) -> None:
    if order.shop_id != shop.pk:
        raise NotAcceptable()
    with transaction.atomic():
        _move(order.pk, S.IN_SERVICE, kind="accepted", actor=Actor.MERCHANT, user=shop.owner, error=NotAcceptable())
        _notify_buyer(order, "商家已接单", f"订单 {order.order_no}（{order.title}）商家已接单，正在处理。")


def _check_image(upload) -> None:
    if upload is None:
        return
    if upload.size > settings.KADUN_MAX_UPLOAD_IMAGE_BYTES:
        raise InvalidImage()
    head = upload.read(16)
    upload.seek(0)
    if not (head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")):
        raise InvalidImage()


def order_deliver(*, order: Order, shop, note: str, image=None) -> None:
    """A manual service is done: the merchant's delivery note (and image) go to the buyer and the
    inspection window starts now."""
    if order.shop_id != shop.pk or order.is_auto:
        raise NotDeliverable()
    note = (note or "").strip()
    if not note:
        raise NotDeliverable("delivery_note_required", "请填写发货说明。", status=400)
    _check_image(image)
    now = clock.now()
    with transaction.atomic():
        frm = Order.objects.filter(pk=order.pk).values_list("status", flat=True).get()
        if frm not in (S.PAID, S.IN_SERVICE):
            raise NotDeliverable()
        transition(Order, pk=order.pk, from_states=[frm], to=S.DELIVERED, delivered_at=now, delivery_note=note[:5000], error=NotDeliverable())
        if image is not None:
            order.refresh_from_db()
            order.delivery_image.save(f"{order.order_no}-{secrets.token_hex(4)}", image, save=False)
            Order.objects.filter(pk=order.pk).update(delivery_image=order.delivery_image.name)
        _event(order.pk, "delivered", actor=Actor.MERCHANT, frm=frm, to=S.DELIVERED, user=shop.owner)
        deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=now + dt.timedelta(hours=order.inspection_hours))
        _notify_buyer(order, "商家已发货", f"订单 {order.order_no}（{order.title}）商家已完成服务，请验收。")


def order_confirm(*, order_id: int, actor: str, user=None) -> None:
    """确认收货: escrow → merchant pending, less the platform fee; settlement is scheduled."""
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        if order.refund_hold:
            raise NotConfirmable("refund_pending", "订单有处理中的退款申请，请等待处理完成或先撤回申请。")
        now = clock.now()
        fee = fee_of(order.amount - order.refunded_amount, settings.KADUN_PLATFORM_FEE_BPS)
        transition(Order, pk=order.pk, from_states=[S.DELIVERED], to=S.CONFIRMED, confirmed_at=now, fee=fee, error=NotConfirmable())
        released = order.amount - order.refunded_amount
        ledger.entry_post(
            kind="release",
            idempotency_key=f"release:order:{order.pk}",
            lines=[
                (codes.escrow(order.pk), -released),
                (codes.merchant_pending(order.shop_id), released - fee),
                (codes.PLATFORM_FEES, fee),
            ],
            ref_type="order",
            ref_id=order.pk,
        )
        note = "验货期结束，系统自动确认收货" if actor == Actor.SYSTEM else "买家确认收货"
        _event(order.pk, "confirmed", actor=actor, frm=S.DELIVERED, to=S.CONFIRMED, user=user, note=note)
        deadline_schedule(kind=KIND_SETTLE, subject_id=order.pk, due_at=now + dt.timedelta(hours=settings.KADUN_SETTLEMENT_DELAY_HOURS))


def order_autoconfirm(*, order_id: int) -> str:
    if not Order.objects.filter(pk=order_id, status=S.DELIVERED).exists():
        return "noop"
    if Order.objects.filter(pk=order_id, refund_hold=True).exists():
        return "held"  # re-armed by order_hold when the refund request is settled
    order_confirm(order_id=order_id, actor=Actor.SYSTEM)
    return "done"


def order_settle(*, order_id: int) -> str:
    """Settlement delay over: what this order still has in the merchant's pending income (after
    any refund taken from it) becomes available."""
    from kadun.ledger.selectors import sum_for_ref

    with transaction.atomic():
        order = Order.objects.filter(pk=order_id, status=S.CONFIRMED, settled_at__isnull=True).first()
        if order is None:
            return "noop"
        if not Order.objects.filter(pk=order.pk, settled_at__isnull=True).update(settled_at=clock.now()):
            return "noop"
        amount = sum_for_ref(code=codes.merchant_pending(order.shop_id), ref_type="order", ref_id=order.pk)
        if amount > 0:
            ledger.entry_post(
                kind="settle",
                idempotency_key=f"settle:order:{order.pk}",
                lines=[(codes.merchant_pending(order.shop_id), -amount), (codes.merchant_available(order.shop_id), amount)],
                ref_type="order",
                ref_id=order.pk,
            )
        _event(order.pk, "settled", actor=Actor.SYSTEM, note=f"结算期结束，{fen_to_yuan(max(amount, 0))} 元转入商家可用余额")
    return "done"


# --- the sweeper's batches -----------------------------------------------------------------
# The same rows as order_expire / order_autoconfirm / order_settle write for each order, for up
# to a sweep batch of orders in a few statements. The orders are locked in id order first, then
# (through ledger.entries_post) the accounts in id order: the order a single confirmation or
# refund takes its locks in, so batches and people's requests wait for each other but never
# deadlock.


def _events_bulk(rows: list[tuple[int, str, str, str, str]]) -> None:
    """(order id, kind, from, to, note) events by the system, at the same moment."""
    at = clock.now()
    OrderEvent.objects.bulk_create([
        OrderEvent(order_id=oid, kind=kind, from_status=frm, to_status=to, actor=Actor.SYSTEM, note=note[:300], at=at)
        for oid, kind, frm, to, note in rows
    ])


def _locked(order_ids: list[int], **state):
    return Order.objects.select_for_update().filter(pk__in=order_ids, **state).order_by("pk")


def orders_expire(*, order_ids: list[int]) -> dict[int, str]:
    """``order_expire`` for many orders."""
    outcomes = dict.fromkeys(order_ids, "noop")
    with transaction.atomic():
        ids = list(_locked(order_ids, status=S.PENDING_PAYMENT).values_list("pk", flat=True))
        if not ids:
            return outcomes
        if Order.objects.filter(pk__in=ids, status=S.PENDING_PAYMENT).update(status=S.EXPIRED) != len(ids):
            raise RuntimeError("orders changed under their locks")
        _events_bulk([(oid, "expired", S.PENDING_PAYMENT, S.EXPIRED, "超时未支付，订单已关闭") for oid in ids])
    outcomes.update(dict.fromkeys(ids, "done"))
    return outcomes


def orders_autoconfirm(*, order_ids: list[int]) -> dict[int, str]:
    """``order_autoconfirm`` for many orders: each delivered order not held by a refund request
    is confirmed, its escrow released to the merchant's pending less the fee, and its
    settlement scheduled."""
    outcomes = dict.fromkeys(order_ids, "noop")
    with transaction.atomic():
        orders = list(_locked(order_ids, status=S.DELIVERED).only("pk", "shop_id", "amount", "refunded_amount", "refund_hold"))
        outcomes.update({o.pk: "held" for o in orders if o.refund_hold})  # re-armed by order_hold
        orders = [o for o in orders if not o.refund_hold]
        if not orders:
            return outcomes
        now = clock.now()
        fees = {o.pk: fee_of(o.amount - o.refunded_amount, settings.KADUN_PLATFORM_FEE_BPS) for o in orders}
        updated = update_each(Order, "fee", fees, where={"status": S.DELIVERED, "refund_hold": False}, status=S.CONFIRMED, confirmed_at=now)
        if updated != len(orders):
            raise RuntimeError("orders changed under their locks")
        entries = []
        for o in orders:
            released = o.amount - o.refunded_amount
            entries.append({
                "kind": "release", "idempotency_key": f"release:order:{o.pk}", "ref_type": "order", "ref_id": o.pk,
                "lines": [(codes.escrow(o.pk), -released), (codes.merchant_pending(o.shop_id), released - fees[o.pk]), (codes.PLATFORM_FEES, fees[o.pk])],
            })
        ledger.entries_post(entries)
        _events_bulk([(o.pk, "confirmed", S.DELIVERED, S.CONFIRMED, "验货期结束，系统自动确认收货") for o in orders])
        settle_at = now + dt.timedelta(hours=settings.KADUN_SETTLEMENT_DELAY_HOURS)
        deadlines_schedule_many(kind=KIND_SETTLE, due=dict.fromkeys(fees, settle_at))
    outcomes.update(dict.fromkeys(fees, "done"))
    return outcomes


def orders_settle(*, order_ids: list[int]) -> dict[int, str]:
    """``order_settle`` for many orders."""
    from django.db.models import Sum

    from kadun.ledger.models import Posting

    outcomes = dict.fromkeys(order_ids, "noop")
    with transaction.atomic():
        orders = list(_locked(order_ids, status=S.CONFIRMED, settled_at__isnull=True).only("pk", "shop_id"))
        if not orders:
            return outcomes
        ids = [o.pk for o in orders]
        if Order.objects.filter(pk__in=ids, settled_at__isnull=True).update(settled_at=clock.now()) != len(ids):
            raise RuntimeError("orders changed under their locks")
        moved = {
            (row["entry__ref_id"], row["account__code"]): row["s"]
            for row in Posting.objects.filter(entry__ref_type="order", entry__ref_id__in=ids, account__kind="pending")
            .values("entry__ref_id", "account__code").annotate(s=Sum("amount"))
        }
        entries, events = [], []
        for o in orders:
            pending = codes.merchant_pending(o.shop_id)
            amount = moved.get((o.pk, pending)) or 0
            if amount > 0:
                entries.append({
                    "kind": "settle", "idempotency_key": f"settle:order:{o.pk}", "ref_type": "order", "ref_id": o.pk,
                    "lines": [(pending, -amount), (codes.merchant_available(o.shop_id), amount)],
                })
            events.append((o.pk, "settled", "", "", f"结算期结束，{fen_to_yuan(max(amount, 0))} 元转入商家可用余额"))
        ledger.entries_post(entries)
        _events_bulk(events)
    outcomes.update(dict.fromkeys(ids, "done"))
    return outcomes


def order_hold(*, order_id: int, held: bool) -> None:
    """An open refund request holds the order's money: no confirmation while it is open. When the
    hold ends and the inspection window has passed meanwhile, auto-confirm fires at once."""
    Order.objects.filter(pk=order_id).update(refund_hold=held)
    if not held:
        order = Order.objects.get(pk=order_id)
        if order.status == S.DELIVERED and order.inspection_ends_at:
            deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=max(order.inspection_ends_at, clock.now()), rearm=True)


def order_milestone(*, order: Order, shop, milestone: int) -> None:
    """A manual service reached a milestone of its frozen refund rules (merchant marks it)."""
    steps = (order.policy_snapshot or {}).get("rules", {}).get("milestones", [])
    if order.shop_id != shop.pk or order.is_auto or not 1 <= milestone <= len(steps):
        raise NotDeliverable("invalid_milestone", "服务进度节点不存在。", status=400)
    with transaction.atomic():
        if not Order.objects.filter(pk=order.pk, status=S.IN_SERVICE, milestone__lt=milestone).update(milestone=milestone):
            raise NotDeliverable("invalid_milestone", "只能在服务中按顺序推进进度。")
        _event(order.pk, "milestone", actor=Actor.MERCHANT, user=shop.owner, note=f"完成「{steps[milestone - 1]['name']}」")


def order_service_overdue(*, order_id: int) -> str:
    """The frozen delivery deadline of a manual service passed undelivered: full refund."""
    order = Order.objects.filter(pk=order_id, status__in=[S.PAID, S.IN_SERVICE]).first()
    if order is None:
        return "noop"
    from kadun.merchants.services import breach_record

    with transaction.atomic():
        order_refund(
            order_id=order.pk, amount=order.amount - order.refunded_amount, reason="service_overdue",
            note="商家未在规定时限内完成服务，系统自动全额退款", key=f"service_overdue:order:{order.pk}",
        )
        breach_record(shop_id=order.shop_id, kind="service_overdue", order_id=order.pk, note="未在期限内完成服务")
    return "done"
