"""Reads for orders, and who may see which order.

An order is visible to: its buyer (logged in), a guest holding its access token or having
proved the query password in this session, the merchant whose shop sold it, and platform staff.
Everyone else gets OrderNotFound — the same answer as for an order that does not exist.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field


from kadun.orders import passwords
from kadun.orders.errors import OrderNotFound
from kadun.orders.models import CheckoutConfirmation, Order, OrderEvent
from kadun.orders.services import token_hash
from kadun.orders.states import HELD, OrderStatus

BUYER, MERCHANT, STAFF = "buyer", "merchant", "staff"
# The orders a browser session proved access to (access link, lookup form), by id; written by the
# buyer pages (kadun.web), read here for every app's pages.
SESSION_GRANTS = "kadun_order_grants"
@dataclass
class Viewer:
    user: object = None
    granted_order_ids: set[int] = field(default_factory=set)  # guest grants held in the session
    token: str | None = None  # an access token presented with the request (API header)
    # The roles this viewer may act in (an API key's scopes); None: every role its user has.
    roles: frozenset[str] | None = None

    def may(self, role: str) -> bool:
        return self.roles is None or role in self.roles

    @property
    def authenticated(self) -> bool:
        return bool(self.user is not None and getattr(self.user, "is_authenticated", False))


def viewer_of(request) -> Viewer:
    """The viewer of a page request: the logged-in user and the orders this session was granted."""
    return Viewer(user=request.user, granted_order_ids=set(request.session.get(SESSION_GRANTS, [])))


def order_access(*, order_no: str, viewer: Viewer, related: tuple[str, ...] = ("shop", "product")) -> tuple[Order, str]:
    """The order and the viewer's relation to it (buyer / merchant / staff), or OrderNotFound.
    A relation the viewer may not act in (``Viewer.roles``: a buyer-scoped API key is not its
    user's shop) does not count: without another, the order is not found.
    ``related``: what is read with the order (``select_related``); the shop, when not read with
    it, is read only to check a logged-in viewer who is not the buyer."""
    qs = Order.objects.filter(order_no=str(order_no)[:24])
    if related:
        qs = qs.select_related(*related)
    order = qs.first()
    if order is None:
        raise OrderNotFound()
    user = viewer.user if viewer.authenticated else None
    if viewer.may(BUYER):
        if user is not None and order.buyer_id == user.pk:
            return order, BUYER
        if order.buyer_id is None:
            if order.pk in viewer.granted_order_ids:
                return order, BUYER
            if viewer.token and hmac.compare_digest(token_hash(viewer.token), order.access_token_hash):
                return order, BUYER
    if user is not None and viewer.may(MERCHANT) and order.shop.owner_id == user.pk:
        return order, MERCHANT
    if user is not None and viewer.may(STAFF) and getattr(user, "staff_role", ""):
        return order, STAFF
    raise OrderNotFound()


def order_by_id(order_id: int) -> Order:
    return Order.objects.get(pk=order_id)


def order_by_token(token: str) -> Order:
    order = Order.objects.filter(access_token_hash=token_hash(token or "")).first()
    if order is None:
        raise OrderNotFound()
    return order


def order_lookup(*, order_no: str, password: str) -> Order:
    """Guest lookup by order number + query password. Wrong number and wrong password are one
    answer; rate limiting is the caller's (per order number and per address), keyed on the same
    folded number this looks up (``kadun.core.text.fold``: whitespace, invisible characters and
    full-width digits make no other number)."""
    from kadun.core.text import fold

    order = Order.objects.filter(order_no=fold(str(order_no or ""))[:24], buyer__isnull=True).first()
    ok = passwords.check(password or "", order.query_password if order else "")
    if order is None or not ok:
        raise OrderNotFound("lookup_failed", "订单号或查询密码不正确。")
    return order


def orders_of_buyer(*, user):
    return Order.objects.filter(buyer=user).select_related("shop").order_by("-id")


# What an order list loads per row: no JSON snapshots, inputs or notes (staff lists add the shop).
LIST_FIELDS = ("id", "order_no", "created_at", "title", "quantity", "amount", "status")


def orders_of_shop(*, shop, status: str | None = None):
    qs = Order.objects.filter(shop=shop).order_by("-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def orders_for_staff(*, status: str | None = None, q: str | None = None):
    qs = Order.objects.select_related("shop").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q.isdigit() and len(q) >= 12:
        qs = qs.filter(order_no=q)  # an order number: the unique index answers it
    elif q:
        from kadun.merchants.selectors import shop_ids_named

        qs = qs.filter(shop_id__in=shop_ids_named(q))
    return qs


def order_numbers(order_ids) -> dict[int, str]:
    """Order numbers by id (staff pages link records that name an order by id)."""
    return dict(Order.objects.filter(pk__in=list(order_ids)).values_list("pk", "order_no"))


def service_due_at(order):
    """When a manual service must be delivered by: paid_at + the frozen rules'
    ``delivery_deadline_hours`` — the time order_on_paid gave the ``order_service_due``
    deadline, after which the order is refunded in full. None before payment or without one."""
    import datetime as dt

    hours = ((order.policy_snapshot or {}).get("rules") or {}).get("delivery_deadline_hours")
    if order.is_auto or not order.paid_at or not hours:
        return None
    return order.paid_at + dt.timedelta(hours=hours)


def events_of(order):
    return OrderEvent.objects.filter(order=order)


def checkout_confirmations_of(order):
    """What the buyer confirmed at checkout (time, text shown, channel), oldest first."""
    return CheckoutConfirmation.objects.filter(order=order)


def escrow_total_of_shop(*, shop) -> int:
    """Money of this shop's orders still held in escrow, as the ledger holds it (after partial
    refunds): the escrow accounts of its orders that are still in a held state."""
    from kadun.ledger.selectors import escrow_held

    return escrow_held(order_ids=Order.objects.filter(shop=shop, status__in=HELD).values("id"))


def order_invariants(report) -> None:
    """Orders against the ledger: escrow = paid − refunded − released, keys sold once."""
    from kadun.inventory import selectors as inventory_reads
    from kadun.ledger.selectors import escrow_balances, escrow_paid_in

    held = escrow_balances()
    paid = escrow_paid_in()
    report.checked["orders"] = Order.objects.count()
    for order in Order.objects.only("id", "order_no", "status", "amount", "refunded_amount", "quantity", "delivery").iterator(chunk_size=2000):
        balance = held.get(order.pk, 0)
        was_paid = paid.get(order.pk, 0)
        if order.status in HELD:
            expected = order.amount - order.refunded_amount
        else:
            expected = 0
        if balance != expected:
            report.problems.append(f"order {order.order_no} ({order.status}): escrow {balance} != expected {expected}")
        if order.status in HELD | {OrderStatus.CONFIRMED} and was_paid != order.amount:
            report.problems.append(f"order {order.order_no} ({order.status}): paid {was_paid} != amount {order.amount}")
    units = inventory_reads.units_handed_by_order()
    for order_id, qty, status in Order.objects.filter(delivery="auto").values_list("id", "quantity", "status").iterator(chunk_size=5000):
        n = units.get(order_id, 0)
        if status in (OrderStatus.DELIVERED, OrderStatus.CONFIRMED) and n != qty:
            report.problems.append(f"order #{order_id}: {n} keys delivered for quantity {qty}")
        if status == OrderStatus.REFUNDED and n > qty:
            report.problems.append(f"order #{order_id}: {n} keys delivered for quantity {qty}")
        if status in (OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED) and n:
            report.problems.append(f"order #{order_id} ({status}) holds {n} keys")


def shop_sales(*, shop_id: int, since) -> dict:
    """A shop's sales since ``since`` (paid orders, less what was refunded): total, largest order
    (分), and when it last sold anything at all (the deposit requirement and its release)."""
    from django.db.models import ExpressionWrapper, F, Max, Sum
    from django.db.models import BigIntegerField

    net = ExpressionWrapper(F("amount") - F("refunded_amount"), output_field=BigIntegerField())
    row = Order.objects.filter(shop_id=shop_id, paid_at__gte=since).aggregate(total=Sum(net), largest=Max(net))
    last = Order.objects.filter(shop_id=shop_id, paid_at__isnull=False).aggregate(at=Max("paid_at"))["at"]
    return {"total": row["total"] or 0, "largest": row["largest"] or 0, "last_sale_at": last}
def credit_order_figures(*, shop_ids, since) -> dict[int, dict]:
    """What the credit score reads of the shops' orders in the window, in two queries: orders
    paid and confirmed (one grouped scan), and manual services delivered (with how many before their
    frozen delivery deadline, ``service_due_at``)."""
    import datetime as dt

    from django.db.models import Count, Q

    from kadun.catalog.states import Delivery

    shop_ids = list(shop_ids)
    out = {sid: {"orders": 0, "confirmed": 0, "delivered": 0, "on_time": 0} for sid in shop_ids}
    mine = Order.objects.filter(shop_id__in=shop_ids)
    paid, confirmed = Q(paid_at__gte=since), Q(confirmed_at__gte=since)
    counts = mine.filter(paid | confirmed).values("shop_id").annotate(paid=Count("id", filter=paid), confirmed=Count("id", filter=confirmed))
    for sid, n_paid, n_confirmed in counts.values_list("shop_id", "paid", "confirmed"):
        out[sid]["orders"], out[sid]["confirmed"] = n_paid, n_confirmed
    rows = mine.filter(delivery=Delivery.MANUAL, delivered_at__gte=since, paid_at__isnull=False).values_list(
        "shop_id", "paid_at", "delivered_at", "policy_snapshot__rules__delivery_deadline_hours")
    for sid, paid_at, delivered_at, hours in rows:
        out[sid]["delivered"] += 1
        if not hours or delivered_at <= paid_at + dt.timedelta(hours=int(hours)):
            out[sid]["on_time"] += 1
    return out


def shop_has_open_orders(*, shop_id: int) -> bool:
    """Whether any order of the shop is still in its after-sales window: not yet paid out
    (settled), refunded or expired."""
    from kadun.orders.states import OrderStatus as S

    open_states = [S.PENDING_PAYMENT, S.PAID, S.IN_SERVICE, S.DELIVERED]
    qs = Order.objects.filter(shop_id=shop_id)
    return qs.filter(status__in=open_states).exists() or qs.filter(status=S.CONFIRMED, settled_at__isnull=True).exists()


def shop_id_of_order(order_id: int) -> int | None:
    return Order.objects.filter(pk=order_id).values_list("shop_id", flat=True).first()


def buyers_of_orders(order_ids) -> list[tuple[int, int]]:
    """(order id, buyer id) for the orders placed by an account, one per buyer (the first order
    of each), in order id order: whom a fine for these orders is paid to."""
    seen: dict[int, int] = {}
    for order_id, buyer_id in Order.objects.filter(pk__in=list(order_ids), buyer__isnull=False).order_by("pk").values_list("pk", "buyer_id"):
        seen.setdefault(buyer_id, order_id)
    return [(order_id, buyer_id) for buyer_id, order_id in seen.items()]
def confirmed_count_of_shop(*, shop_id: int, since) -> int:
    """Orders of the shop confirmed (确认收货, by the buyer or at the end of the inspection window)
    since ``since`` and not refunded since (金牌商家's order criterion)."""
    return Order.objects.filter(shop_id=shop_id, status=OrderStatus.CONFIRMED, confirmed_at__gte=since).count()


def confirmed_count_capped(*, shop_id: int, cap: int) -> int:
    """The shop's confirmed orders (成交量, all time), counted up to ``cap`` only: the 新商家
    warning asks "fewer than 20?", and a LIMIT keeps that one short read for a shop with a
    million orders."""
    return len(Order.objects.filter(shop_id=shop_id, status=OrderStatus.CONFIRMED).values_list("pk", flat=True)[:cap])
