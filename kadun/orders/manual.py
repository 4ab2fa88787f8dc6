"""Manual services (代充, 代练): 接单, delivery with the merchant's note, milestones, and the
delivery deadline that refunds an undelivered service in full. Re-exported by orders.services."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.core.transitions import transition
from kadun.deadlines.services import deadline_schedule
from kadun.orders.errors import (
    InvalidImage,
    NotAcceptable,
    NotDeliverable,
)
from kadun.orders.models import Order
from kadun.orders.records import locked
from kadun.orders.states import (
    SERVICE_OVERDUE_SOURCES,
    Actor,
    OrderStatus,
)
from kadun.risk import selectors as risk_reads
from kadun.risk import services as risk

if TYPE_CHECKING:
    pass

S = OrderStatus
KIND_SERVICE_DUE = "order_service_due"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")



# orders.services imports this module after defining these.
from kadun.orders.release import KIND_AUTOCONFIRM  # noqa: E402
from kadun.orders.services import _event, _move, _notify_buyer, order_refund  # noqa: E402


def order_accept(*, order: Order, shop) -> None:
    """接单: the merchant takes on a paid service (paid → in_service); only then may it be
    delivered or its milestones marked."""
    if order.shop_id != shop.pk or order.is_auto:
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
    inspection window starts now. Only an accepted service (in_service) can be delivered: the
    guard is in the update's WHERE, so a delivery racing anything that moves the order on
    (a refund, the overdue deadline, a second delivery) finds it gone and changes nothing."""
    if order.shop_id != shop.pk or order.is_auto:
        raise NotDeliverable()
    note = (note or "").strip()
    if not note:
        raise NotDeliverable("delivery_note_required", "请填写发货说明。", status=400)
    _check_image(image)
    now = clock.now()
    with transaction.atomic():
        try:
            transition(Order, pk=order.pk, from_states=[S.IN_SERVICE], to=S.DELIVERED, delivered_at=now, delivery_note=note[:5000], error=NotDeliverable())
        except NotDeliverable:
            if Order.objects.filter(pk=order.pk, status=S.PAID).exists():
                raise NotDeliverable("not_accepted", "请先接单，再发货。") from None
            raise
        if image is not None:
            order.refresh_from_db()
            order.delivery_image.save(f"{order.order_no}-{secrets.token_hex(4)}", image, save=False)
            Order.objects.filter(pk=order.pk).update(delivery_image=order.delivery_image.name)
        _event(order.pk, "delivered", actor=Actor.MERCHANT, frm=S.IN_SERVICE, to=S.DELIVERED, user=shop.owner)
        risk.lure_check(text=note, where="delivery_note", subject=f"order:{order.pk}", author_id=shop.owner_id, author_role="merchant",
                        shop_id=shop.pk, allow=risk_reads.order_allowances(order))  # 脱离平台交易: flagged for risk staff
        deadline_schedule(kind=KIND_AUTOCONFIRM, subject_id=order.pk, due_at=now + dt.timedelta(hours=order.inspection_hours))
        _notify_buyer(order, "商家已发货", f"订单 {order.order_no}（{order.title}）商家已完成服务，请验收。")


def order_milestone(*, order: Order, shop, milestone: int) -> None:
    """A manual service reached the next milestone of its frozen refund rules (the merchant
    marks it); each one lowers the share a buyer's refund request can get."""
    steps = (order.policy_snapshot or {}).get("rules", {}).get("milestones", [])
    if order.shop_id != shop.pk or order.is_auto or not 1 <= milestone <= len(steps):
        raise NotDeliverable("invalid_milestone", "服务进度节点不存在。", status=400)
    with transaction.atomic():
        # Only the next milestone, of an accepted service: both guards in the WHERE, so two
        # clicks (or two tabs) mark a milestone once and none can be skipped.
        if not Order.objects.filter(pk=order.pk, status=S.IN_SERVICE, milestone=milestone - 1).update(milestone=milestone):
            raise _milestone_refused(order.pk, steps)
        _event(order.pk, "milestone", actor=Actor.MERCHANT, user=shop.owner, note=f"完成「{steps[milestone - 1]['name']}」")


def _milestone_refused(order_id: int, steps: list[dict]) -> NotDeliverable:
    """Why a milestone was not marked, read after the guarded update refused it."""
    status, reached = Order.objects.filter(pk=order_id).values_list("status", "milestone").get()
    if status == S.PAID:
        return NotDeliverable("milestone_not_accepted", "请先接单，再标记服务进度。")
    if status != S.IN_SERVICE:
        return NotDeliverable("invalid_milestone", "只有服务中的订单可以标记进度。")
    if reached >= len(steps):
        return NotDeliverable("milestone_out_of_order", "所有进度节点均已标记。")
    return NotDeliverable("milestone_out_of_order", f"只能按顺序标记下一个进度节点「{steps[reached]['name']}」。")


def order_service_overdue(*, order_id: int) -> str:
    """The frozen delivery deadline of a manual service passed undelivered: full refund, and the
    breach on the merchant's record. A delivery racing it either commits first (then the refund's
    update finds the order delivered and nothing happens) or waits for it and is refused."""
    from kadun.merchants.services import breach_record

    with transaction.atomic():
        order = locked([order_id]).first()
        if order is None or order.status not in SERVICE_OVERDUE_SOURCES:
            return "noop"
        order_refund(
            order_id=order.pk, amount=order.amount - order.refunded_amount, reason="service_overdue", sources=SERVICE_OVERDUE_SOURCES,
            note="商家未在规定时限内完成服务，系统自动全额退款", key=f"service_overdue:order:{order.pk}",
        )
        breach_record(shop_id=order.shop_id, kind="service_overdue", order_id=order.pk, note="未在期限内完成服务")
    return "done"
