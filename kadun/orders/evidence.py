"""The order's facts in the evidence log (docs/evidence.md, "What is logged"): the order with its
frozen refund rules, the buyer's checkout confirmations, and every order event. Each function
reads only the row (and, for a confirmation, its order — in hand when checkout writes it), so
``kadun evidence-check`` recomputes the body from the row as it is now."""
from __future__ import annotations

import hashlib
import json

from kadun.evidence import privacy
from kadun.evidence.registry import Fact, source


def _rules_sha256(snapshot) -> str | None:
    """The frozen rules' SHA-256, recomputed the way ``catalog.policies.snapshot`` hashes them."""
    if snapshot is None:
        return None
    return hashlib.sha256(json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _buyer(order) -> tuple[str, int | None]:
    return ("buyer", order.buyer_id) if order.buyer_id else ("guest", None)


def _warnings(order) -> dict:
    """下单前提示 shown at checkout (``orders.warnings``): their codes and figures, and the SHA-256
    of their text. Only when there were any, so an order placed before warnings existed (or
    without any) keeps the body it was logged with."""
    if not order.checkout_warnings:
        return {}
    return {
        "warnings": [{"code": w["code"], "figures": w["figures"], "tick": w["tick"]} for w in order.checkout_warnings],
        "warnings_sha256": privacy.text("\n".join(w["text"] for w in order.checkout_warnings)),
    }


@source("orders.order", model="orders.Order")
def order_placed(order) -> Fact:
    role, actor_id = _buyer(order)
    return Fact(
        kind="order.placed", subject_type="order", subject_id=order.pk, actor_role=role, actor_id=actor_id,
        body={
            "order_no": order.order_no, "shop": order.shop_id, "product": order.product_id, "title": order.title,
            "delivery": order.delivery, "quantity": order.quantity, "unit_price": order.unit_price, "amount": order.amount,
            "inspection_hours": order.inspection_hours, "buyer": order.buyer_id, "contact": privacy.contact(order.contact),
            "buyer_inputs": privacy.text(json.dumps(order.buyer_inputs, ensure_ascii=False, sort_keys=True)) if order.buyer_inputs else None,
            "policy_hash": order.policy_hash, "policy_sha256": _rules_sha256(order.policy_snapshot),
            "no_reason_waived": order.no_reason_waived,
            "created_at": privacy.iso(order.created_at), "expires_at": privacy.iso(order.expires_at),
            **_warnings(order),
        },
    )


@source("orders.confirmation", model="orders.CheckoutConfirmation", related=("order",))
def checkout_confirmed(confirmation) -> Fact:
    role, actor_id = _buyer(confirmation.order)
    return Fact(
        kind="order.confirmation", subject_type="order", subject_id=confirmation.order_id, actor_role=role, actor_id=actor_id,
        body={
            "order": confirmation.order_id, "confirmation": confirmation.kind, "text_sha256": privacy.text(confirmation.text),
            "stored_sha256": confirmation.text_sha256, "channel": confirmation.channel, "at": privacy.iso(confirmation.at),
        },
    )


@source("orders.event", model="orders.OrderEvent")
def order_event(event) -> Fact:
    return Fact(
        kind=f"order.{event.kind}", subject_type="order", subject_id=event.order_id, actor_role=event.actor, actor_id=event.actor_user_id,
        body={
            "order": event.order_id, "event": event.kind, "from": event.from_status, "to": event.to_status,
            "note_sha256": privacy.optional_text(event.note), "at": privacy.iso(event.at),
        },
    )
