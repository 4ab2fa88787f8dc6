"""Reads of the public complaint board: the board and its filters, one complaint for a viewer,
a shop's complaints (for the shop's public page), the staff queue and the audit trail, whether
an order's buyer may publish (the link on the order page), and the evidence entries to verify."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.core.pagination import keyset_page
from kadun.evidence import complaints_facts as facts
from kadun.evidence.complaints_errors import ComplaintNotFound
from kadun.evidence.complaints_sources import SOURCE_ACTION, SOURCE_COMPLAINT
from kadun.evidence.complaints_states import ComplaintStatus
from kadun.evidence.models import Entry
from kadun.evidence.models_complaints import Complaint, ComplaintAction, ComplaintReply
from kadun.orders.errors import OrderNotFound
from kadun.orders.selectors import BUYER, MERCHANT, STAFF, Viewer, order_access

S = ComplaintStatus
PUBLIC = "public"
PERIODS = {"30": 30, "90": 90, "365": 365}
# On the board: published ones, and withdrawn ones that had been published (a notice only).
ON_BOARD = Q(status=S.PUBLISHED) | Q(status=S.WITHDRAWN, published_at__isnull=False)


def board(*, shop_id: int | None = None, category: str = "", outcome: str = "", period: str = ""):
    """The public board's rows, newest first. Filtering by a fact (category, outcome) lists only
    published complaints: a withdrawn one's facts are no longer shown, so not searched either."""
    qs = Complaint.objects.filter(ON_BOARD).select_related("shop")
    if shop_id:
        qs = qs.filter(shop_id=shop_id)
    if category or outcome:
        qs = qs.filter(status=S.PUBLISHED)
    if category:
        qs = qs.filter(category=category)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if period in PERIODS:
        qs = qs.filter(published_at__gte=clock.now() - dt.timedelta(days=PERIODS[period]))
    return qs


def board_page(*, before=None, after=None, size: int = 20, **filters):
    return keyset_page(board(**filters), before=before, after=after, size=size)


def complaints_for_shop(shop_id: int, limit: int = 5) -> list[Complaint]:
    """A shop's latest published complaints, for its public page (``evidence/_shop_complaints.html``)."""
    return list(Complaint.objects.filter(shop_id=shop_id, status=S.PUBLISHED).select_related("shop").order_by("-id")[:limit])


def shop_complaint_count(shop_id: int) -> int:
    return Complaint.objects.filter(shop_id=shop_id, status=S.PUBLISHED).count()


def complaint_access(*, complaint_no: str, viewer: Viewer) -> tuple[Complaint, str]:
    """The complaint and the viewer's relation (buyer / merchant / staff, or ``public``).
    Anyone may see one on the board; one not yet (or never) published only its buyer and staff:
    everyone else gets ComplaintNotFound, as for one that does not exist."""
    complaint = Complaint.objects.select_related("order", "order__shop", "shop", "case").filter(complaint_no=str(complaint_no)[:24]).first()
    if complaint is None:
        raise ComplaintNotFound()
    try:
        _order, role = order_access(order_no=complaint.order.order_no, viewer=viewer, related=("shop",))
    except OrderNotFound:
        role = PUBLIC
    if role in (PUBLIC, MERCHANT) and not complaint.public:
        raise ComplaintNotFound()  # the merchant sees a complaint once it is published
    return complaint, role


def reply_of(complaint: Complaint) -> ComplaintReply | None:
    return ComplaintReply.objects.filter(complaint=complaint).first()


def complaint_of_order(order) -> Complaint | None:
    return Complaint.objects.filter(order_id=order.pk).first()


def link_state(order, role: str) -> dict:
    """What the order page's link shows the buyer: their complaint, or whether they may publish
    (and why not: the refusal's code and message)."""
    if role != BUYER:
        return {"show": False}
    existing = complaint_of_order(order)
    if existing is not None:
        return {"show": True, "complaint": existing}
    try:
        facts.eligibility(facts.records_of(order))
    except DomainError as exc:
        return {"show": False, "code": exc.code, "message": exc.message}
    return {"show": True, "eligible": True, "order_no": order.order_no}


def preview(order) -> tuple[dict | None, DomainError | None]:
    """The verified fields a complaint on ``order`` would carry now (the publish form shows them)."""
    rec = facts.records_of(order)
    try:
        elig = facts.eligibility(rec)
    except DomainError as exc:
        return None, exc
    return facts.build(rec, elig), None


def moderation_queue(*, after: int | None = None, size: int = 50) -> list[Complaint]:
    """Pending complaints, oldest first."""
    qs = Complaint.objects.filter(status=S.PENDING).select_related("shop").order_by("id")
    if after:
        qs = qs.filter(pk__gt=after)
    return list(qs[:size])


def recently_moderated(*, size: int = 20) -> list[Complaint]:
    return list(Complaint.objects.exclude(status=S.PENDING).filter(moderated_at__isnull=False).select_related("shop", "moderated_by")
                .order_by("-moderated_at", "-id")[:size])


def audit(complaint: Complaint, *, role: str) -> list[ComplaintAction]:
    """The audit trail. Staff see every original a redaction hid; others see the actions without them."""
    actions = list(ComplaintAction.objects.filter(complaint=complaint).select_related("actor").order_by("at", "id"))
    if role != STAFF:
        for action in actions:
            action.original = ""
    return actions


def rejection_of(complaint: Complaint) -> ComplaintAction | None:
    return ComplaintAction.objects.filter(complaint=complaint, kind="rejected").order_by("-id").first()


def publication_entry_id(complaint: Complaint) -> int | None:
    return Entry.objects.filter(source=SOURCE_COMPLAINT, source_id=complaint.pk).values_list("id", flat=True).first()


def action_entry_ids(complaint: Complaint) -> dict[int, int]:
    ids = ComplaintAction.objects.filter(complaint=complaint).values("id")
    return dict(Entry.objects.filter(source=SOURCE_ACTION, source_id__in=ids).values_list("source_id", "id"))


def entry_url(entry_id: int) -> str:
    return settings.KADUN_EVIDENCE_ENTRY_URL.format(id=entry_id)


def bundle_url(complaint: Complaint, role: str) -> str | None:
    """The order's evidence bundle, for the order's parties and staff only (it names the order)."""
    if role in (BUYER, MERCHANT, STAFF):
        return settings.KADUN_EVIDENCE_ORDER_BUNDLE_URL.format(order_no=complaint.order.order_no)
    return None


def statements_of_shop(shop_id: int, *, since, limit: int = 500) -> list[str]:
    """The public wording of the shop's published complaints since ``since`` (risk keywords,
    ``reputation.selectors_reviews.other_keyword_counts``)."""
    return list(Complaint.objects.filter(shop_id=shop_id, status=S.PUBLISHED, created_at__gte=since).order_by("-id")
                .values_list("statement_shown", flat=True)[:limit])
