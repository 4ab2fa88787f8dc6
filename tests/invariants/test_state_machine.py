"""A stateful property test over kadun's public services.

Hypothesis plays buyers (guests and logged-in), two merchants, the sandbox gateway (including
replays of notifications it already sent), the clock and the deadline sweeper, in random order,
and after every step checks the invariants that `kadun ledger-check` and the money rules
promise: every entry balances and the whole ledger sums to zero; escrow per order is
paid − refunded − released; no key is ever on two orders; a refund never exceeds what was paid
and every refund request pays at most once; a refused operation (DomainError) changes nothing.

Each example runs inside a savepoint that is rolled back afterwards, so examples do not see each
other's data (on_commit callbacks never run in it: the outbox is delivered explicitly).

Size: KADUN_HYPOTHESIS_EXAMPLES / KADUN_HYPOTHESIS_STEPS; KADUN_HYPOTHESIS_LONG=1 for a long run
(500 examples × 60 steps). CI runs derandomized, so a run is reproducible.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import os
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from hypothesis import HealthCheck, event, settings as hsettings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from conftest import make_product, make_shop, make_user
from kadun.aftersales import services as aftersales
from kadun.aftersales.models import RefundEvent, RefundRequest
from kadun.aftersales.services import KIND_MERCHANT_RESPONSE, KIND_REPLACEMENT_DUE
from kadun.aftersales.states import OPEN, MerchantAction, Reason, RequestStatus
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal, keys_import
from kadun.inventory.states import KeyStatus
from kadun.ledger import accounts as codes
from kadun.ledger.models import JournalEntry, Posting
from kadun.ledger.selectors import balance_of
from kadun.notifications.models import OutboxMessage
from kadun.notifications.services import outbox_deliver_all
from kadun.orders import services as orders
from kadun.orders.models import Order, OrderEvent
from kadun.orders.states import HELD, TRANSITIONS, OrderStatus
from kadun.payments.models import Payment, Refund, SandboxTrade
from kadun.payments.providers import sandbox
from kadun.payments.services import payment_pay_with_wallet
from kadun.payments.states import PaymentStatus, RefundStatus

S = OrderStatus
NOTIFY = "/pay/notify/sandbox/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOT_AN_IMAGE = b"MZ\x90\x00 definitely not a picture"
# Request statuses that paid the buyer (exactly one Refund row) and those that paid nothing.
PAYING = {RequestStatus.APPROVED, RequestStatus.APPROVED_BY_DEFAULT, RequestStatus.PARTIALLY_APPROVED, RequestStatus.BREACH_REFUNDED}
_tags = itertools.count(1)


def _reachable() -> dict[str, set[str]]:
    """Order states reachable from each state through the transition table (one step may fire
    several deadlines, so a step can cross more than one edge)."""
    out = {}
    for start in TRANSITIONS:
        seen, todo = set(), [start]
        while todo:
            for nxt in TRANSITIONS[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[start] = seen
    return out


REACHABLE = _reachable()


class Upload(io.BytesIO):
    """What Django hands a view for an uploaded file, as far as the services look at it."""

    def __init__(self, data: bytes, name: str = "shot.png"):
        super().__init__(data)
        self.size = len(data)
        self.name = name


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _run_settings() -> hsettings:
    long_run = os.environ.get("KADUN_HYPOTHESIS_LONG") == "1"
    return hsettings(
        max_examples=_env_int("KADUN_HYPOTHESIS_EXAMPLES", 500 if long_run else 25),
        stateful_step_count=_env_int("KADUN_HYPOTHESIS_STEPS", 60 if long_run else 30),
        deadline=None,
        derandomize=os.environ.get("CI") == "true" and not long_run,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large, HealthCheck.large_base_example],
        print_blob=True,
    )


def _fingerprint() -> tuple:
    """Everything a refused operation must leave as it was."""
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        OrderEvent.objects.count(),
        RefundEvent.objects.count(),
        tuple(Order.objects.order_by("pk").values_list("pk", "status", "refunded_amount", "refund_hold", "milestone", "fee")),
        tuple(CardKey.objects.order_by("pk").values_list("pk", "status", "order_id")),
        tuple(RefundRequest.objects.order_by("pk").values_list("pk", "status", "amount_refunded")),
        tuple(Payment.objects.order_by("pk").values_list("pk", "status")),
        tuple(Refund.objects.order_by("pk").values_list("pk", "amount")),
    )


def _money_fingerprint() -> tuple:
    """What a replayed gateway notification must leave as it was (it may not even write events)."""
    return _fingerprint() + (Deadline.objects.count(), SandboxTrade.objects.filter(status="paid").count())


@dataclass
class World:
    """Built once per test; every example starts from it and is rolled back to it."""

    shops: list
    buyers: list
    products: dict  # name -> Product


def _build_world() -> World:
    m1, m2 = make_user(), make_user()
    s1, s2 = make_shop(m1), make_shop(m2)
    products = {
        # Few keys, default rules (evidence required after reveal, 7-day window, 24 h inspection).
        "auto_few": make_product(s1, keys=3, price=1000),
        # Odd price (fee rounding), 7天无理由, no evidence needed, short deadlines everywhere.
        "auto_many": make_product(
            s2, keys=6, price=333, inspection_hours=4,
            refund_rules={
                "no_reason_7days": True, "defect_evidence_required": False, "refund_window_hours": 48,
                "merchant_response_hours": 2, "replacement_hours": 3,
            },
        ),
        # A service with milestones whose delivery deadline is shorter than the merchant's
        # response time: a deadline refund can land while a refund request is open.
        "manual_steps": make_product(
            s1, delivery="manual", price=5000, inspection_hours=12,
            refund_rules={
                "delivery_deadline_hours": 6, "merchant_response_hours": 24,
                "milestones": [
                    {"name": "已接单", "refundable_bps": 8000},
                    {"name": "完成一半", "refundable_bps": 3000},
                    {"name": "即将完成", "refundable_bps": 0},
                ],
            },
        ),
        "manual_plain": make_product(s2, delivery="manual", price=777),
    }
    return World(shops=[s1, s2], buyers=[make_user(), make_user()], products=products)


DELTAS = st.one_of(
    st.integers(1, 59).map(lambda m: dt.timedelta(minutes=m)),
    st.integers(1, 47).map(lambda h: dt.timedelta(hours=h)),
    st.integers(1, 10).map(lambda d: dt.timedelta(days=d)),
)


class KadunMachine(RuleBasedStateMachine):
    world: World  # set by the test before the machine runs
    stats: Counter = Counter()  # what the examples reached, printed with -s

    def __init__(self):
        super().__init__()
        clock.reset()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.orders: list[int] = []  # order ids, in creation order
        self.notifications: list[dict] = []  # every signed notification the gateway sent
        self.key_order: dict[int, int] = {}  # key id -> the order it was first handed to
        self.key_status: dict[int, str] = {}
        self.order_status: dict[int, str] = {}
        self.order_refunded: dict[int, int] = {}
        self.summary: Counter = Counter()  # what exists now, for the rules' preconditions
        self._transport = sandbox.transport
        sandbox.transport = self._record

    def _record(self, url, params):
        self.notifications.append(dict(params))
        return self._transport(url, params)

    def teardown(self):
        try:
            self.stats["examples"] += 1
            self.stats.update(f"order ended {s}" for s in Order.objects.filter(pk__in=self.orders).values_list("status", flat=True))
            self.stats.update(f"request ended {s}" for s in RefundRequest.objects.filter(order_id__in=self.orders).values_list("status", flat=True))
            self.stats.update(f"refund {r.split(':')[0]}" for r in Refund.objects.filter(order_id__in=self.orders).values_list("reason", flat=True))
            self.stats.update(f"deadline {k} -> {o}" for k, o in Deadline.objects.exclude(fired_at=None).values_list("kind", "outcome"))
        except Exception:  # noqa: BLE001 (a broken transaction: the failure itself is reported)
            pass
        sandbox.transport = self._transport
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        clock.reset()

    # --- helpers ---------------------------------------------------------------------------

    def _attempt(self, name: str, fn, *args, **kwargs):
        """Call a service; a DomainError is an accepted answer but must change nothing."""
        before = _fingerprint()
        try:
            result = fn(*args, **kwargs)
        except DomainError as exc:
            after = _fingerprint()
            assert after == before, f"{name} refused ({exc.code}) but changed state"
            self._note(f"{name}: refused {exc.code}")
            return None
        self._note(f"{name}: ok")
        return result

    def _note(self, what: str) -> None:
        self.stats[what] += 1
        event(what)

    def _pick(self, data, ids: list[int], label: str):
        return data.draw(st.sampled_from(ids), label=label) if ids else None

    def _pick_order(self, data, label: str = "order", **filters) -> Order | None:
        """Mostly an order in the state the action wants; sometimes any order (to try the
        action where it is not allowed)."""
        if not self.orders:
            return None
        fitting = [pk for pk in Order.objects.filter(pk__in=self.orders, **filters).order_by("pk").values_list("pk", flat=True)]
        pool = fitting if fitting and data.draw(st.integers(0, 9), label=f"{label} fits") < 8 else self.orders
        return Order.objects.select_related("shop", "product").get(pk=data.draw(st.sampled_from(pool), label=label))

    def _pick_request(self, data, statuses) -> RefundRequest | None:
        all_ids = list(RefundRequest.objects.filter(order_id__in=self.orders).order_by("pk").values_list("pk", flat=True))
        if not all_ids:
            return None
        fitting = list(RefundRequest.objects.filter(pk__in=all_ids, status__in=list(statuses)).order_by("pk").values_list("pk", flat=True))
        pool = fitting if fitting and data.draw(st.integers(0, 9), label="request fits") < 8 else all_ids
        return RefundRequest.objects.select_related("order").get(pk=data.draw(st.sampled_from(pool), label="request"))

    def _image(self, data, label: str):
        kind = data.draw(st.sampled_from(["none", "none", "png", "bad"]), label=label)
        return {"none": None, "png": Upload(PNG), "bad": Upload(NOT_AN_IMAGE, "shot.exe")}[kind]

    # --- buyers ----------------------------------------------------------------------------

    @rule(data=st.data())
    def create_purchase(self, data):
        name = data.draw(st.sampled_from(sorted(self.world.products)), label="product")
        product = self.world.products[name]
        buyer = data.draw(st.sampled_from([None, None, *self.world.buyers]), label="buyer")
        quantity = data.draw(st.integers(1, 3), label="quantity") if product.is_auto else data.draw(st.sampled_from([1, 1, 1, 2]), label="quantity")
        kwargs = {"product_id": product.pk, "quantity": quantity, "buyer": buyer}
        if buyer is None:
            kwargs.update(contact="guest@example.com", query_password="chaxun123")
        elif data.draw(st.integers(0, 3), label="wallet?") == 0:
            kwargs["provider"] = "wallet"
        if not product.is_auto and data.draw(st.integers(0, 9), label="inputs?") > 0:
            kwargs["buyer_inputs"] = {"account": "player-1"}
        kwargs["no_reason_waived"] = data.draw(st.booleans(), label="waived")
        created = self._attempt("order_create", orders.order_create, **kwargs)
        if created is not None:
            order = created[0]
            self.orders.append(order.pk)
            assert order.status == S.PENDING_PAYMENT and order.amount == product.price * quantity

    @precondition(lambda self: self.summary["trade created"])
    @rule(data=st.data(), paid=st.booleans(), deliver_now=st.booleans())
    def gateway_finish(self, data, paid, deliver_now):
        """The buyer pays (or fails) on the sandbox page; the gateway queues its notification."""
        candidates = list(
            Order.objects.filter(pk__in=self.orders, payment__provider="sandbox").order_by("pk").values_list("pk", "payment__out_trade_no")
        )
        trades = dict(SandboxTrade.objects.filter(out_trade_no__in=[t for _, t in candidates]).values_list("out_trade_no", "status"))
        fresh = [t for _, t in candidates if trades.get(t) == "created"]
        if not fresh:
            return
        out_trade_no = data.draw(st.sampled_from(fresh), label="trade")
        self._attempt("sandbox_trade_finish", sandbox.sandbox_trade_finish, out_trade_no=out_trade_no, paid=paid)
        if deliver_now:
            outbox_deliver_all()

    @precondition(lambda self: self.summary["trade failed"])
    @rule(data=st.data())
    def gateway_late_success(self, data):
        """A trade the gateway reported failed is paid after all (the buyer retried): the gateway
        sends a SUCCESS notification for it, whatever became of the order meanwhile."""
        failed = list(SandboxTrade.objects.filter(payment_order_in(self.orders), status="failed").order_by("pk").values_list("pk", flat=True))
        trade_pk = self._pick(data, failed, "failed trade")
        if trade_pk is None:
            return
        SandboxTrade.objects.filter(pk=trade_pk).update(status="paid", paid_at=clock.now())
        params = sandbox.notification_params(SandboxTrade.objects.get(pk=trade_pk))
        self.notifications.append(params)
        response = Client().post(NOTIFY, params)
        assert response.content.decode() == "success", response.content

    @precondition(lambda self: self.notifications)
    @rule(data=st.data())
    def replay_notification(self, data):
        """Re-POST a notification the gateway already sent: never changes anything."""
        if not self.notifications:
            return
        params = data.draw(st.sampled_from(self.notifications), label="notification")
        before = _money_fingerprint()
        response = Client().post(NOTIFY, params)
        assert _money_fingerprint() == before, "a replayed notification changed state"
        stale = abs(clock.now().timestamp() - int(params["timestamp"])) > 300
        expected = "fail:stale_timestamp" if stale else "success"
        assert response.content.decode() == expected
        self._note(f"replay: {'stale' if stale else 'fresh'}")

    @precondition(lambda self: self.summary["wallet pending_payment"])
    @rule(data=st.data())
    def pay_with_wallet(self, data):
        order = self._pick_order(data, payment__provider="wallet", status=S.PENDING_PAYMENT)
        if order is None or order.buyer is None:
            return
        self._attempt("pay_with_wallet", payment_pay_with_wallet, order=order, user=order.buyer)

    @precondition(lambda self: self.summary["keys"])
    @rule(data=st.data())
    def reveal_key(self, data):
        keys = list(CardKey.objects.filter(order_id__in=self.orders).order_by("pk").values_list("pk", "order_id"))
        if not keys:
            return
        key_id, order_id = data.draw(st.sampled_from(keys), label="key")
        order = Order.objects.get(pk=order_id)
        user = order.buyer
        self._attempt("key_reveal", key_reveal, order=order, key_id=key_id, actor="buyer" if user else "guest", user=user, ip="198.51.100.7")

    @precondition(lambda self: self.summary["delivered"])
    @rule(data=st.data())
    def confirm(self, data):
        order = self._pick_order(data, status=S.DELIVERED)
        if order is not None:
            self._attempt("order_confirm", orders.order_confirm, order_id=order.pk, actor="buyer", user=order.buyer)

    @precondition(lambda self: self.summary["paid"] + self.summary["in_service"] + self.summary["delivered"] + self.summary["confirmed"])
    @rule(data=st.data())
    def refund_request(self, data):
        order = self._pick_order(data, status__in=[S.PAID, S.IN_SERVICE, S.DELIVERED, S.CONFIRMED])
        if order is None:
            return
        reason = data.draw(st.sampled_from(Reason.values), label="reason")
        key_ids = []
        if order.is_auto:
            keys = list(CardKey.objects.filter(order=order).order_by("pk").values_list("pk", flat=True))
            if keys:
                key_ids = data.draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)), label="keys")
        image = self._image(data, "evidence")
        destination = "wallet" if data.draw(st.integers(0, 3), label="to wallet?") == 0 else "source"
        client_key = data.draw(st.sampled_from(["", "", "once-1"]), label="client key")
        request = self._attempt(
            "refund_request_create", aftersales.refund_request_create, order=order, reason=reason, statement="买家说明",
            key_ids=key_ids, images=[image] if image else None, destination=destination, client_key=client_key,
        )
        if request is not None:
            self._note(f"refund request: {request.status}")
            assert request.amount_requested <= order.amount
            if client_key:  # a double-click: the first answer stands and nothing changes
                before = _fingerprint()
                again = aftersales.refund_request_create(order=order, reason=reason, key_ids=key_ids, destination=destination, client_key=client_key)
                assert again.pk == request.pk and _fingerprint() == before

    @precondition(lambda self: self.summary["awaiting_merchant"] + self.summary["awaiting_replacement"])
    @rule(data=st.data())
    def withdraw(self, data):
        request = self._pick_request(data, OPEN)
        if request is not None:
            self._attempt("refund_request_withdraw", aftersales.refund_request_withdraw, request=request)

    # --- merchants -------------------------------------------------------------------------

    def _shop_for(self, data, order):
        right = order.shop
        return right if data.draw(st.integers(0, 9), label="right shop?") > 0 else next(s for s in self.world.shops if s.pk != right.pk)

    @precondition(lambda self: self.summary["awaiting_merchant"])
    @rule(data=st.data())
    def merchant_respond(self, data):
        request = self._pick_request(data, [RequestStatus.AWAITING_MERCHANT])
        if request is None:
            return
        action = data.draw(st.sampled_from(MerchantAction.values), label="action")
        amount = data.draw(st.integers(0, max(request.amount_requested, 1)), label="amount")
        hours = data.draw(st.integers(0, 30), label="hours")
        note = data.draw(st.sampled_from(["", "不行", "卡密已核实可用，拒绝退款", "同意处理"]), label="note")
        result = self._attempt(
            f"respond {action}", aftersales.refund_request_respond, request=request, shop=self._shop_for(data, request.order),
            action=action, amount=amount, hours=hours, note=note, images=[img] if (img := self._image(data, "merchant evidence")) else None,
        )
        if result is not None:
            self._note(f"respond {action} -> {result.status}")

    @precondition(lambda self: self.summary["awaiting_replacement"])
    @rule(data=st.data())
    def fulfil(self, data):
        request = self._pick_request(data, [RequestStatus.AWAITING_REPLACEMENT])
        if request is not None:
            self._attempt("refund_request_fulfil", aftersales.refund_request_fulfil, request=request, shop=self._shop_for(data, request.order))

    @precondition(lambda self: self.summary["manual paid"])
    @rule(data=st.data())
    def accept(self, data):
        order = self._pick_order(data, delivery="manual", status=S.PAID)
        if order is not None:
            self._attempt("order_accept", orders.order_accept, order=order, shop=self._shop_for(data, order))

    @precondition(lambda self: self.summary["manual paid"] + self.summary["manual in_service"])
    @rule(data=st.data())
    def deliver(self, data):
        order = self._pick_order(data, delivery="manual", status__in=[S.PAID, S.IN_SERVICE])
        if order is None:
            return
        note = data.draw(st.sampled_from(["已完成代充，请查收", "", "   "]), label="note")
        self._attempt("order_deliver", orders.order_deliver, order=order, shop=self._shop_for(data, order), note=note, image=self._image(data, "image"))

    @precondition(lambda self: self.summary["manual in_service"])
    @rule(data=st.data(), milestone=st.integers(0, 4))
    def milestone(self, data, milestone):
        order = self._pick_order(data, delivery="manual", status=S.IN_SERVICE)
        if order is not None:
            self._attempt("order_milestone", orders.order_milestone, order=order, shop=self._shop_for(data, order), milestone=milestone)

    @precondition(lambda self: self.summary["orders"])
    @rule(data=st.data(), n=st.integers(1, 3))
    def restock(self, data, n):
        name = data.draw(st.sampled_from(["auto_few", "auto_many"]), label="product")
        tag = next(_tags)
        keys_import(product=self.world.products[name], lines=[(i + 1, f"RESTOCK-{tag}-{i}") for i in range(n)], source="test")

    # --- time and the background loops ---------------------------------------------------

    @precondition(lambda self: self.summary["orders"])
    @rule(delta=DELTAS, sweep=st.booleans())
    def advance(self, delta, sweep):
        """Time passes; usually the sweeper runs, sometimes a person acts first."""
        clock.advance(delta)
        if sweep:
            deadlines_sweep_all()

    @precondition(lambda self: self.summary["orders"])
    @rule()
    def sweep(self):
        deadlines_sweep_all()

    @precondition(lambda self: self.summary["orders"])
    @rule()
    def deliver_outbox(self):
        outbox_deliver_all()
        # Everything due is sent and the gateway agrees with our books.
        assert not OutboxMessage.objects.filter(sent_at__isnull=True, next_attempt_at__lte=clock.now()).exists()
        for payment in Payment.objects.filter(order_id__in=self.orders, provider="sandbox"):
            trade = SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)
            if trade.status == "paid":
                assert payment.status == PaymentStatus.SUCCEEDED, f"gateway paid {trade.out_trade_no}, we say {payment.status}"
            elif trade.status == "failed":
                assert payment.status == PaymentStatus.FAILED
            to_source = Refund.objects.filter(payment=payment, destination="source").aggregate(s=Sum("amount"))["s"] or 0
            assert trade.refunded == to_source, f"gateway refunded {trade.refunded}, we refunded {to_source} to source"
        assert not Refund.objects.filter(status=RefundStatus.PENDING).exists()

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def summarize(self):
        """Not a check: what exists now, so the next step picks a rule that has something to do."""
        summary = Counter()
        summary["orders"] = len(self.orders)
        for delivery, status, provider in Order.objects.filter(pk__in=self.orders).values_list("delivery", "status", "payment__provider"):
            summary[status] += 1
            summary[f"{delivery} {status}"] += 1
            summary[f"{provider} {status}"] += 1
        for status in SandboxTrade.objects.filter(payment_order_in(self.orders)).values_list("status", flat=True):
            summary[f"trade {status}"] += 1
        summary["keys"] = CardKey.objects.filter(order_id__in=self.orders).count()
        for status in RefundRequest.objects.filter(order_id__in=self.orders).values_list("status", flat=True):
            summary["requests"] += 1
            summary[status] += 1
        self.summary = summary

    @invariant()
    def ledger_check_is_clean(self):
        self.stats["invariant checks"] += 1
        report = platform_check()
        assert report.ok, report.problems

    @invariant()
    def ledger_sums_to_zero(self):
        assert (Posting.objects.aggregate(s=Sum("amount"))["s"] or 0) == 0

    @invariant()
    def keys_are_never_on_two_orders(self):
        assert not CardKey.objects.filter(status=KeyStatus.AVAILABLE, order__isnull=False).exists()
        assert not CardKey.objects.filter(status__in=[KeyStatus.SOLD, KeyStatus.WITHDRAWN], order__isnull=True).exists()
        rank = {KeyStatus.AVAILABLE: 0, KeyStatus.SOLD: 1, KeyStatus.WITHDRAWN: 2}
        for pk, status, order_id in CardKey.objects.values_list("pk", "status", "order_id"):
            if order_id is not None:
                assert self.key_order.setdefault(pk, order_id) == order_id, f"key {pk} moved to another order"
            old = self.key_status.get(pk, KeyStatus.AVAILABLE)
            assert rank[status] >= rank[old], f"key {pk} went {old} -> {status}"
            self.key_status[pk] = status

    @invariant()
    def orders_agree_with_money(self):
        payments = set(JournalEntry.objects.filter(kind="payment", ref_type="order").values_list("ref_id", flat=True))
        refunds = dict(Refund.objects.values_list("order_id").annotate(s=Sum("amount")))
        buyer_side = dict(
            Posting.objects.filter(entry__ref_type="order", account__kind__in=["external", "wallet"])
            .values_list("entry__ref_id").annotate(s=Sum("amount"))
        )
        succeeded = set(Payment.objects.filter(status=PaymentStatus.SUCCEEDED).values_list("order_id", flat=True))
        for order in Order.objects.filter(pk__in=self.orders):
            label = f"order #{order.pk} ({order.status})"
            paid = order.amount if order.pk in payments else 0
            assert (order.pk in payments) == (order.pk in succeeded), f"{label}: payment entry vs payment status"
            assert order.refunded_amount <= paid, f"{label}: refunded {order.refunded_amount} of {paid} paid"
            assert refunds.get(order.pk, 0) == order.refunded_amount, f"{label}: Refund rows {refunds.get(order.pk, 0)} != {order.refunded_amount}"
            # What the buyer's side of the ledger (gateway or wallet) saw: paid out, got back.
            assert buyer_side.get(order.pk, 0) == order.refunded_amount - paid, f"{label}: buyer side {buyer_side.get(order.pk, 0)}"
            if order.status == S.REFUNDED:
                assert order.refunded_amount == order.amount and balance_of(codes.escrow(order.pk)) == 0
            if order.status in (S.PENDING_PAYMENT, S.EXPIRED):
                assert order.pk not in payments, f"{label} has a payment entry"
            if order.status in HELD | {S.CONFIRMED}:
                assert order.pk in payments, f"{label} without a payment"
            if order.status == S.CONFIRMED:
                assert JournalEntry.objects.filter(kind="release", ref_type="order", ref_id=order.pk).exists()
            old = self.order_status.get(order.pk, S.PENDING_PAYMENT)
            assert order.status == old or order.status in REACHABLE[old], f"{label}: {old} -> {order.status}"
            assert order.refunded_amount >= self.order_refunded.get(order.pk, 0), f"{label}: refunded amount went down"
            self.order_status[order.pk] = order.status
            self.order_refunded[order.pk] = order.refunded_amount

    @invariant()
    def refund_requests_pay_at_most_once(self):
        paid_by = dict(
            Refund.objects.filter(idempotency_key__startswith="refund:refund_request:").values_list("idempotency_key", "amount")
        )
        pending = set(Deadline.objects.filter(fired_at__isnull=True).values_list("kind", "subject_id"))
        open_orders = set()
        for request in RefundRequest.objects.filter(order_id__in=self.orders).select_related("order"):
            label = f"refund request #{request.pk} ({request.status}) on order #{request.order_id} ({request.order.status})"
            refund = paid_by.get(f"refund:refund_request:{request.pk}")
            assert request.amount_requested <= request.order.amount, label
            assert request.amount_refunded <= request.amount_requested, label
            if request.status in PAYING:
                assert refund == request.amount_refunded and refund > 0, f"{label}: paid {refund}, recorded {request.amount_refunded}"
            else:
                assert refund is None and request.amount_refunded == 0, f"{label}: paid {refund}"
            if request.status == RequestStatus.AWAITING_MERCHANT:
                open_orders.add(request.order_id)
                assert (KIND_MERCHANT_RESPONSE, request.pk) in pending, f"{label}: waits for the merchant with no deadline"
            elif request.status == RequestStatus.AWAITING_REPLACEMENT:
                open_orders.add(request.order_id)
                assert (KIND_REPLACEMENT_DUE, request.pk) in pending, f"{label}: waits for a replacement with no deadline"
        held = set(Order.objects.filter(pk__in=self.orders, refund_hold=True).values_list("pk", flat=True))
        assert held == open_orders, f"orders on hold {sorted(held)} != orders with an open request {sorted(open_orders)}"

    @invariant()
    def deadlines_and_outbox_never_fail(self):
        broken = list(Deadline.objects.exclude(last_error="").values_list("kind", "subject_id", "last_error")[:5])
        assert not broken, f"deadline handlers raised: {broken}"
        failed = list(OutboxMessage.objects.exclude(last_error="").values_list("topic", "last_error")[:5])
        assert not failed, f"outbox messages failed: {failed}"


def payment_order_in(order_ids):
    """SandboxTrade has no FK to orders: match trades to the machine's orders by trade number."""
    from django.db.models import Q

    return Q(out_trade_no__in=Payment.objects.filter(order_id__in=order_ids).values("out_trade_no"))


@pytest.mark.django_db
def test_random_histories_keep_the_books_straight():
    KadunMachine.world = _build_world()
    KadunMachine.stats = Counter()
    try:
        run_state_machine_as_test(KadunMachine, settings=_run_settings())
    finally:
        print("\n".join(f"{n:6d}  {what}" for what, n in sorted(KadunMachine.stats.items())))
