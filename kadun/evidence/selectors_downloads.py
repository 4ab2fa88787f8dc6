"""Who may download what of the evidence log. A bundle (存证包): whoever may see the order or
case — its buyer (logged in, or a guest with the access link / token), its merchant, staff —
through the order's gate (``orders.selectors.order_access``, ``cases.selectors.case_access``);
everyone else gets the 404 of an order that doesn't exist. The complaint dossier (投诉材料):
staff always; the buyer once a case on the order is decided, the platform missed an SLA target,
or the merchant missed a deadline (a breach on record, or a case deadline gone against it);
never the merchant."""
from __future__ import annotations

from kadun.cases import selectors as cases
from kadun.evidence.errors import DossierBuyerOnly, DossierNotYet
from kadun.merchants import selectors as merchants
from kadun.orders.selectors import BUYER, STAFF, Viewer, order_access

GROUND_LABELS = {
    "decided": "售后工单已裁决",
    "sla_breach": "平台超出处理时限（SLA）",
    "merchant_default": "商家逾期未处理",
    "staff": "平台工作人员",
}


def order_for_bundle(*, order_no: str, viewer: Viewer):
    """(order, role) or OrderNotFound."""
    return order_access(order_no=order_no, viewer=viewer)


def case_for_bundle(*, case_no: str, viewer: Viewer):
    """(case, role) or CaseNotFound."""
    return cases.case_access(case_no=case_no, viewer=viewer)


def dossier_grounds(order) -> set[str]:
    """Why the order's buyer may have its dossier (empty: not yet)."""
    grounds = cases.dossier_grounds(order)
    if merchants.order_has_breach(order.pk):
        grounds.add("merchant_default")
    return grounds


def dossier_allowed(order, role: str) -> bool:
    return role == STAFF or (role == BUYER and bool(dossier_grounds(order)))


def dossier_access(*, order_no: str, viewer: Viewer):
    """(order, role) if the viewer may download the order's dossier; OrderNotFound for who may
    not see the order, DossierBuyerOnly for its merchant, DossierNotYet for its buyer too early."""
    order, role = order_access(order_no=order_no, viewer=viewer)
    if role == STAFF:
        return order, role
    if role != BUYER:
        raise DossierBuyerOnly()
    if not dossier_grounds(order):
        raise DossierNotYet()
    return order, role
