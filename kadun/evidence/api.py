"""Evidence downloads over the API (mounted at the API's root): an order's or a case's bundle
(存证包, zip) and an order's complaint dossier (投诉材料, PDF). The same gates as the pages
(``selectors_downloads``): the order's buyer (a buyer key, the session, or a guest's
``X-Order-Token``), its merchant (a merchant key or the session) and staff (the session) get the
bundle; the dossier is the buyer's (once a decision, an SLA breach or a merchant default) and
staff's. Everyone else: 404."""
from __future__ import annotations

from typing import Optional

from ninja import Router

from kadun.accounts.api_auth import PARTY_AUTH, caller_of, order_token_of
from kadun.core.api_errors import errors
from kadun.evidence import selectors_downloads
from kadun.evidence.views_bundles import bundle_response, dossier_response, since_of
from kadun.orders.selectors import Viewer

router = Router(tags=["evidence"])


def _viewer(request) -> Viewer:
    caller = caller_of(request)
    request.kadun_sensitive = True
    return Viewer(user=caller.user, token=order_token_of(request), roles=caller.roles)


def _doc(kind: str, codes: dict) -> dict:
    return {"security": [{}], "responses": {200: {"description": kind, "content": {kind: {"schema": {"type": "string", "format": "binary"}}}}},
            "x-error-codes": codes}


BUNDLE_CODES = {"400": ["invalid_since"], "404": ["order_not_found", "case_not_found"], "422": ["invalid_input"]}
DOSSIER_CODES = {"403": ["dossier_not_yet", "dossier_buyer_only"], "404": ["order_not_found"]}


@router.get("/orders/{order_no}/evidence-bundle", auth=PARTY_AUTH, response={200: None, **errors(400, 404, 422)},
            openapi_extra=_doc("application/zip", BUNDLE_CODES), summary="订单的存证包",
            description="订单及其售后工单的全部存证、引用的图片、包含证明、签名树头和公钥（zip），可离线校验。"
                        "since=您保存的树头的 tree_size 时附一致性证明。")
def order_bundle(request, order_no: str, since: Optional[int] = None):
    order, role = selectors_downloads.order_for_bundle(order_no=order_no, viewer=_viewer(request))
    return bundle_response(order=order, role=role, since=since_of(since))


@router.get("/cases/{case_no}/evidence-bundle", auth=PARTY_AUTH, response={200: None, **errors(400, 404, 422)},
            openapi_extra=_doc("application/zip", BUNDLE_CODES), summary="售后工单的存证包",
            description="工单及其订单的全部存证（zip），可离线校验。")
def case_bundle(request, case_no: str, since: Optional[int] = None):
    case, role = selectors_downloads.case_for_bundle(case_no=case_no, viewer=_viewer(request))
    return bundle_response(order=case.order, case=case, role=role, since=since_of(since))


@router.get("/orders/{order_no}/dossier", auth=PARTY_AUTH, response={200: None, **errors(403, 404)},
            openapi_extra=_doc("application/pdf", DOSSIER_CODES), summary="投诉材料（PDF）",
            description="买家在售后工单裁决后、平台超时或商家逾期后可下载；平台工作人员随时可下载；商家不可下载。")
def order_dossier(request, order_no: str):
    order, role = selectors_downloads.dossier_access(order_no=order_no, viewer=_viewer(request))
    return dossier_response(order=order, role=role)
