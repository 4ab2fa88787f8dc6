"""The permission matrix: every object endpoint (API and pages) × every kind of caller → the
status code each must get, written out below.

One world (see ``tests/security/__init__.py``): shop A sells an auto-delivery product (format
验货) and a manual service; shop B is another merchant. The logged-in buyer owns a paid auto
order with an unrevealed key, a paid manual order waiting for the merchant, a delivered manual
order with a delivery image, and an auto order with an open refund request (one evidence
image). A guest owns a paid auto order and holds its access token.

Callers: ``owner`` (the order's buyer — or, for the guest order, the guest with the token: an
``X-Order-Token`` header on the API, the access link's session grant on pages), ``other_buyer``,
``merchant`` (of shop A, which sold every order), ``other_merchant`` (shop B), ``anonymous``,
and each staff role. API callers use bearer API keys (scopes ``buyer`` and ``merchant``: a key
acts only in those roles, never as staff); page callers log in.

For every answer to anyone but the owner: no card key's plaintext appears in the body. For
every unsafe request: the one caller it is meant for changes something, and for everyone else
nothing changes (journal entries, reveals, refund requests, verification reports, orders,
keys, products, refund rules).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import pytest
from django.test import Client
from django.urls import reverse

from tests.security import GUEST_PASSWORD, STAFF_ROLES, shared_world

ACTORS = ("owner", "other_buyer", "merchant", "other_merchant", "anonymous", *STAFF_ROLES)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker) as w:
        yield w


def E(*, owner: int, other_buyer: int, merchant: int, other_merchant: int, anonymous: int, staff: int, **per_role: int) -> dict:
    """The expected status for each caller; ``staff`` applies to every staff role unless one is
    given by name."""
    expected = {"owner": owner, "other_buyer": other_buyer, "merchant": merchant, "other_merchant": other_merchant, "anonymous": anonymous}
    expected.update({role: per_role.pop(role, staff) for role in STAFF_ROLES})
    assert not per_role, per_role
    return expected


@dataclass(frozen=True)
class Case:
    id: str
    via: str  # "api" (bearer keys, X-Order-Token) or "page" (logged-in session, guest grant)
    method: str
    url: Callable
    expect: dict
    owner: str = "buyer"  # whose order the case is about: "buyer" or "guest"
    data: Callable | None = None
    writer: str | tuple | None = None  # the caller(s) whose unsafe request is meant to change something
    marker: Callable | None = None  # a string only ``sees`` may find in a 2xx body (lists)
    sees: tuple = ()


# Shorthands for the common rows -------------------------------------------------------------

# API, an order's object: its buyer and its merchant see it; everyone else 404. Staff act as staff
# on the website only: an API key has buyer and merchant scopes, no staff one, so through a key
# staff are a buyer who did not buy the order.
API_SEE = E(owner=200, other_buyer=404, merchant=200, other_merchant=404, anonymous=404, staff=404)
# API, only the buyer acts; the merchant sees the order but is refused with 403.
API_BUYER_ACTS = dict(owner=404, other_buyer=404, merchant=403, other_merchant=404, anonymous=404, staff=404)
# API /merchant/...: 401 without credentials, 403 not_a_merchant without a shop, 404 for another shop.
API_MERCHANT = dict(owner=403, other_buyer=403, merchant=200, other_merchant=404, anonymous=401, staff=403)
# Pages, an order's object: buyer, merchant and staff see it; everyone else 404.
PAGE_SEE = E(owner=200, other_buyer=404, merchant=200, other_merchant=404, anonymous=404, staff=200)
# Pages, only the buyer acts; everyone else (merchant and staff included) 404.
PAGE_BUYER_ONLY = dict(other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404)
# Merchant pages about shop A's things: no login → login (302), no shop → 开店 (302), shop B → 404.
PAGE_MERCHANT = dict(owner=302, other_buyer=302, other_merchant=404, anonymous=302, staff=302)
# Merchant pages about an order: everyone logged in who is not its merchant gets 404.
PAGE_MERCHANT_ORDER = dict(owner=404, other_buyer=404, other_merchant=404, anonymous=302, staff=404)
STAFF_PAGE = E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=200)
# 资质审核 console: risk staff (and admins); other staff 403, everyone else the console's 404.
RISK_PAGE = E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=403, risk=200, admin=200)
EVERYONE_200 = E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=200, staff=200)
# Staff API on the website's session only: every bearer key is 403 session_required, no credentials 401.
API_STAFF_SESSION_ONLY = E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=403)


def _api(path: str) -> str:
    return "/api" + path


def _covered(order) -> str:
    """The order, with a 售后保险 cover (as checkout with ``insure`` writes it); its number."""
    from kadun.core import clock
    from kadun.insurance.models import Cover

    Cover.objects.get_or_create(order_id=order.pk, defaults={
        "shop_id": order.shop_id, "premium": 20, "protection_days": 7, "terms": {}, "terms_hash": "0" * 64, "created_at": clock.now()})
    return order.order_no


CASES = [
    # --- API: orders ---------------------------------------------------------------------
    Case("api order read", "api", "GET", lambda w: _api(f"/orders/{w.auto_order.order_no}"), API_SEE),
    Case("api order read (guest)", "api", "GET", lambda w: _api(f"/orders/{w.guest_order.order_no}"), API_SEE, owner="guest"),
    Case("api order refund-policy", "api", "GET", lambda w: _api(f"/orders/{w.auto_order.order_no}/refund-policy"), API_SEE),
    Case("api key reveal", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/keys/{w.auto_key}/reveal"),
         E(owner=200, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404), writer="owner"),
    Case("api key reveal (guest)", "api", "POST", lambda w: _api(f"/orders/{w.guest_order.order_no}/keys/{w.guest_key}/reveal"),
         E(owner=200, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404), owner="guest", writer="owner"),
    Case("api confirm", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/confirm"),
         E(**{**API_BUYER_ACTS, "owner": 200}), writer="owner"),
    Case("api confirm (guest)", "api", "POST", lambda w: _api(f"/orders/{w.guest_order.order_no}/confirm"),
         E(**{**API_BUYER_ACTS, "owner": 200}), owner="guest", writer="owner"),
    Case("api refund-request create", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/refund-requests"),
         E(**{**API_BUYER_ACTS, "owner": 201}), data=lambda w: {"reason": "unrevealed", "key_ids": [w.auto_key]}, writer="owner"),
    Case("api refund-request create (guest)", "api", "POST", lambda w: _api(f"/orders/{w.guest_order.order_no}/refund-requests"),
         E(**{**API_BUYER_ACTS, "owner": 201}), owner="guest", data=lambda w: {"reason": "unrevealed", "key_ids": [w.guest_key]}, writer="owner"),
    Case("api refund-request list", "api", "GET", lambda w: _api(f"/orders/{w.refund_order.order_no}/refund-requests"), API_SEE),
    Case("api refund-request read", "api", "GET", lambda w: _api(f"/refund-requests/{w.refund.request_no}"), API_SEE),
    Case("api refund-request withdraw", "api", "POST", lambda w: _api(f"/refund-requests/{w.refund.request_no}/withdraw"),
         E(**{**API_BUYER_ACTS, "owner": 200}), writer="owner"),
    Case("api verify", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/keys/{w.auto_key}/verify"),
         E(owner=200, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404), writer="owner"),
    Case("api verify (guest)", "api", "POST", lambda w: _api(f"/orders/{w.guest_order.order_no}/keys/{w.guest_key}/verify"),
         E(owner=200, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404), owner="guest", writer="owner"),
    # 换一种支付方式: the world's orders are paid, so the buyer is refused (409 / a message) and nothing changes.
    Case("api payment switch", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/payment"),
         E(**{**API_BUYER_ACTS, "owner": 409}), data=lambda w: {"provider": "wallet"}),
    Case("api payment switch (guest)", "api", "POST", lambda w: _api(f"/orders/{w.guest_order.order_no}/payment"),
         E(**{**API_BUYER_ACTS, "owner": 409}), owner="guest", data=lambda w: {"provider": "sandbox"}),
    # --- API: the merchant ---------------------------------------------------------------
    Case("api merchant order read", "api", "GET", lambda w: _api(f"/merchant/orders/{w.manual_order.order_no}"), E(**API_MERCHANT)),
    Case("api merchant order read (guest's)", "api", "GET", lambda w: _api(f"/merchant/orders/{w.guest_order.order_no}"),
         E(**{**API_MERCHANT, "owner": 401}), owner="guest"),  # a guest's token is no merchant credential
    Case("api merchant order accept", "api", "POST", lambda w: _api(f"/merchant/orders/{w.manual_order.order_no}/accept"),
         E(**API_MERCHANT), writer="merchant"),
    Case("api merchant order deliver", "api", "POST", lambda w: _api(f"/merchant/orders/{w.service_order.order_no}/deliver"),
         E(**API_MERCHANT), data=lambda w: {"note": "已完成代充"}, writer="merchant"),
    Case("api merchant product read", "api", "GET", lambda w: _api(f"/merchant/products/{w.auto.pk}"), E(**API_MERCHANT)),
    Case("api merchant product update", "api", "PATCH", lambda w: _api(f"/merchant/products/{w.auto.pk}"),
         E(**API_MERCHANT), data=lambda w: {"title": "改过的标题", "price": 1}, writer="merchant"),
    Case("api merchant product import", "api", "POST", lambda w: _api(f"/merchant/products/{w.auto.pk}/keys"),
         E(**API_MERCHANT), data=lambda w: {"keys": ["KEY-999-000001-SECRET"]}, writer="merchant"),
    Case("api merchant product refund-policy", "api", "GET", lambda w: _api(f"/merchant/products/{w.auto.pk}/refund-policy"), E(**API_MERCHANT)),
    Case("api merchant product refund-policy update", "api", "PUT", lambda w: _api(f"/merchant/products/{w.auto.pk}/refund-policy"),
         E(**API_MERCHANT), data=lambda w: {"refund_window_hours": 48}, writer="merchant"),
    Case("api merchant product checker", "api", "GET", lambda w: _api(f"/merchant/products/{w.auto.pk}/checker"), E(**API_MERCHANT)),
    Case("api merchant product checker update", "api", "PUT", lambda w: _api(f"/merchant/products/{w.auto.pk}/checker"),
         E(**API_MERCHANT), data=lambda w: {"kind": "none"}, writer="merchant"),
    Case("api merchant refund read", "api", "GET", lambda w: _api(f"/merchant/refund-requests/{w.refund.request_no}"), E(**API_MERCHANT)),
    Case("api merchant refund respond", "api", "POST", lambda w: _api(f"/merchant/refund-requests/{w.refund.request_no}/respond"),
         E(**API_MERCHANT), data=lambda w: {"action": "approve"}, writer="merchant"),
    Case("api merchant refund fulfil (nothing promised)", "api", "POST",
         lambda w: _api(f"/merchant/refund-requests/{w.refund.request_no}/fulfil"), E(**{**API_MERCHANT, "merchant": 409})),
    Case("api merchant api-key revoke", "api", "DELETE", lambda w: _api(f"/merchant/api-keys/{w.api_key_ids[w.merchant.username]}"),
         E(**{**API_MERCHANT, "merchant": 204}), writer="merchant"),
    # The account's keys are revoked from the website's session only: no key revokes a key.
    Case("api account api-key revoke", "api", "DELETE", lambda w: _api(f"/account/api-keys/{w.api_key_ids[w.merchant.username]}"),
         E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=403)),
    Case("api merchant order list", "api", "GET", lambda w: _api("/merchant/orders"), E(**{**API_MERCHANT, "other_merchant": 200}),
         marker=lambda w: w.manual_order.order_no, sees=("merchant",)),
    Case("api merchant refund list", "api", "GET", lambda w: _api("/merchant/refund-requests"), E(**{**API_MERCHANT, "other_merchant": 200}),
         marker=lambda w: w.refund.request_no, sees=("merchant",)),
    # --- Pages: the buyer's order ----------------------------------------------------------
    Case("page order", "page", "GET", lambda w: reverse("web:order", args=[w.auto_order.order_no]), PAGE_SEE),
    Case("page order (guest)", "page", "GET", lambda w: reverse("web:order", args=[w.guest_order.order_no]), PAGE_SEE, owner="guest"),
    Case("page order status", "page", "GET", lambda w: reverse("web:order_status", args=[w.auto_order.order_no]), PAGE_SEE),
    Case("page key reveal", "page", "POST", lambda w: reverse("web:reveal", args=[w.auto_order.order_no, w.auto_key]),
         E(owner=200, **PAGE_BUYER_ONLY), writer="owner"),
    Case("page key reveal (guest)", "page", "POST", lambda w: reverse("web:reveal", args=[w.guest_order.order_no, w.guest_key]),
         E(owner=200, **PAGE_BUYER_ONLY), owner="guest", writer="owner"),
    Case("page confirm", "page", "POST", lambda w: reverse("web:confirm", args=[w.auto_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY), writer="owner"),
    Case("page payment switch", "page", "POST", lambda w: reverse("web:pay_switch", args=[w.auto_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY), data=lambda w: {"provider": "wallet"}),
    Case("page payment switch (guest)", "page", "POST", lambda w: reverse("web:pay_switch", args=[w.guest_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY), owner="guest", data=lambda w: {"provider": "sandbox"}),
    # 我已支付 on an order already paid: its buyer is sent back to the page (nothing changes), everyone else 404.
    Case("page buyer says paid", "page", "POST", lambda w: reverse("web:buyer_says_paid", args=[w.auto_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY)),
    Case("page buyer says paid (guest)", "page", "POST", lambda w: reverse("web:buyer_says_paid", args=[w.guest_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY), owner="guest"),
    Case("page delivery image", "page", "GET", lambda w: reverse("web:delivery_image", args=[w.delivered_order.order_no]), PAGE_SEE),
    Case("page refund-request create", "page", "POST", lambda w: reverse("web:refund_request", args=[w.auto_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY), data=lambda w: {"reason": "unrevealed", "key_ids": [w.auto_key], "client_key": "m1"}, writer="owner"),
    Case("page instant refund (guest)", "page", "POST", lambda w: reverse("web:instant_refund", args=[w.guest_order.order_no]),
         E(owner=302, **PAGE_BUYER_ONLY), owner="guest", writer="owner"),
    Case("page verify", "page", "POST", lambda w: reverse("web:verify_key", args=[w.auto_order.order_no, w.auto_key]),
         E(owner=302, **PAGE_BUYER_ONLY), writer="owner"),
    Case("page refund-request withdraw", "page", "POST", lambda w: reverse("web:refund_withdraw", args=[w.refund.request_no]),
         E(owner=302, **PAGE_BUYER_ONLY), writer="owner"),
    Case("page evidence file", "page", "GET", lambda w: reverse("aftersales:evidence_file", args=[w.refund.request_no, w.evidence_id]), PAGE_SEE),
    Case("page my orders", "page", "GET", lambda w: reverse("web:my_orders"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=302, staff=200),
         marker=lambda w: w.auto_order.order_no, sees=("owner",)),
    # The guest's access link and the lookup form are capabilities: whoever holds the token, or
    # the order number and its query password, gets the order; a wrong one gets 404, nothing else.
    Case("page order_open with the token", "page", "GET", lambda w: reverse("web:order_open", args=[w.guest_token]),
         E(owner=302, other_buyer=302, merchant=302, other_merchant=302, anonymous=302, staff=302), owner="guest"),
    Case("page order_open with a wrong token", "page", "GET", lambda w: reverse("web:order_open", args=[w.guest_token[:-4] + "AAAA"]),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404), owner="guest"),
    Case("page lookup, right password", "page", "POST", lambda w: reverse("web:lookup"),
         E(owner=302, other_buyer=302, merchant=302, other_merchant=302, anonymous=302, staff=302), owner="guest",
         data=lambda w: {"order_no": w.guest_order.order_no, "query_password": GUEST_PASSWORD}),
    Case("page lookup, wrong password", "page", "POST", lambda w: reverse("web:lookup"),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404), owner="guest",
         data=lambda w: {"order_no": w.guest_order.order_no, "query_password": "wrong-password"}),
    Case("page lookup, a buyer's order", "page", "POST", lambda w: reverse("web:lookup"),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404),
         data=lambda w: {"order_no": w.auto_order.order_no, "query_password": GUEST_PASSWORD}),
    # --- Pages: the merchant -------------------------------------------------------------
    Case("page merchant order", "page", "GET", lambda w: reverse("merchants:order", args=[w.manual_order.order_no]),
         E(merchant=200, **PAGE_MERCHANT_ORDER)),
    Case("page merchant order (guest's)", "page", "GET", lambda w: reverse("merchants:order", args=[w.guest_order.order_no]),
         E(merchant=200, **{**PAGE_MERCHANT_ORDER, "owner": 302}), owner="guest"),  # the guest is not logged in
    Case("page merchant order accept", "page", "POST", lambda w: reverse("merchants:order_accept", args=[w.manual_order.order_no]),
         E(merchant=302, **PAGE_MERCHANT_ORDER), writer="merchant"),
    Case("page merchant order deliver", "page", "POST", lambda w: reverse("merchants:order_deliver", args=[w.service_order.order_no]),
         E(merchant=302, **PAGE_MERCHANT_ORDER), data=lambda w: {"note": "已完成代充"}, writer="merchant"),
    Case("page merchant product edit", "page", "GET", lambda w: reverse("merchants:product_edit", args=[w.auto.pk]),
         E(merchant=200, **PAGE_MERCHANT)),
    Case("page merchant product update", "page", "POST", lambda w: reverse("merchants:product_edit", args=[w.auto.pk]),
         E(merchant=302, **PAGE_MERCHANT), writer="merchant",
         data=lambda w: {"title": "改过的标题", "category": "game_card", "price": "0.01", "max_per_order": "5", "is_active": "on"}),
    Case("page merchant product off sale", "page", "POST", lambda w: reverse("merchants:product_active", args=[w.auto.pk]),
         E(merchant=302, **PAGE_MERCHANT), data=lambda w: {"active": "0"}, writer="merchant"),
    Case("page merchant key import", "page", "POST", lambda w: reverse("merchants:key_import", args=[w.auto.pk]),
         E(merchant=200, **PAGE_MERCHANT), data=lambda w: {"text": "KEY-999-000002-SECRET"}, writer="merchant"),
    Case("page merchant refund", "page", "GET", lambda w: reverse("aftersales:merchant_request", args=[w.refund.request_no]),
         E(merchant=200, **PAGE_MERCHANT)),
    Case("page merchant refund respond", "page", "POST", lambda w: reverse("aftersales:merchant_request", args=[w.refund.request_no]),
         E(merchant=302, **PAGE_MERCHANT), data=lambda w: {"action": "approve"}, writer="merchant"),
    Case("page merchant refund policy", "page", "GET", lambda w: reverse("aftersales:policy_edit", args=[w.auto.pk]),
         E(merchant=200, **PAGE_MERCHANT)),
    Case("page merchant refund policy update", "page", "POST", lambda w: reverse("aftersales:policy_edit", args=[w.auto.pk]),
         E(merchant=302, **PAGE_MERCHANT), writer="merchant",
         data=lambda w: {"refund_window_hours": "48", "defect_remedy": "refund", "merchant_response_hours": "24", "replacement_hours": "24"}),
    Case("page merchant checker", "page", "GET", lambda w: reverse("aftersales:checker_edit", args=[w.auto.pk]),
         E(merchant=200, **PAGE_MERCHANT)),
    Case("page merchant checker update", "page", "POST", lambda w: reverse("aftersales:checker_edit", args=[w.auto.pk]),
         E(merchant=302, **PAGE_MERCHANT), data=lambda w: {"kind": "none"}, writer="merchant"),
    Case("page merchant orders list", "page", "GET", lambda w: reverse("merchants:orders"), E(merchant=200, **{**PAGE_MERCHANT, "other_merchant": 200}),
         marker=lambda w: w.manual_order.order_no, sees=("merchant",)),
    Case("page merchant refund queue", "page", "GET", lambda w: reverse("aftersales:merchant_queue"),
         E(merchant=200, **{**PAGE_MERCHANT, "other_merchant": 200}), marker=lambda w: w.refund.request_no, sees=("merchant",)),
    # Revoking someone else's key is answered like a key that does not exist: an error message
    # on one's own key page (302; the login page for anonymous), and nothing revoked.
    Case("page account api-key revoke", "page", "POST",
         lambda w: reverse("web:api_key_revoke", args=[w.api_key_ids[w.merchant.username]]),
         E(owner=302, other_buyer=302, merchant=302, other_merchant=302, anonymous=302, staff=302), writer="merchant"),
    Case("page inbox", "page", "GET", lambda w: reverse("web:inbox"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=302, staff=200),
         marker=lambda w: "退款申请待处理", sees=("merchant",)),
    # --- Pages and API: credit (信用分) and penalties ---------------------------------------
    Case("page shop credit (public)", "page", "GET", lambda w: reverse("reputation:shop_credit", args=[w.shop_a.pk]),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=200, staff=200)),
    Case("page merchant credit", "page", "GET", lambda w: reverse("reputation:merchant_credit"),
         E(**{**PAGE_MERCHANT, "merchant": 200, "other_merchant": 200}), marker=lambda w: "矩阵：转卖卡密", sees=("merchant",)),
    Case("page merchant penalty appeal", "page", "POST", lambda w: reverse("penalties:appeal_new", args=[w.penalty.pk]),
         E(**{**PAGE_MERCHANT, "merchant": 302}), data=lambda w: {"reason": "矩阵申诉"}, writer="merchant"),
    # --- 评价 (reviews): the world's orders are not confirmed, so the buyer is refused with 409 ---
    Case("api review create", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/review"),
         E(**{**API_BUYER_ACTS, "owner": 409}), data=lambda w: {"rating": 5, "text": "矩阵"}),
    Case("api review followup", "api", "POST", lambda w: _api(f"/orders/{w.auto_order.order_no}/review/followup"),
         E(**{**API_BUYER_ACTS, "owner": 404}), data=lambda w: {"text": "矩阵"}),
    Case("api shop reviews (public)", "api", "GET", lambda w: _api(f"/shops/{w.shop_a.pk}/reviews"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=200, staff=200)),
    Case("api merchant review reply", "api", "POST", lambda w: _api("/merchant/reviews/999999/reply"),
         E(**{**API_MERCHANT, "merchant": 404}), data=lambda w: {"text": "矩阵"}),
    Case("api staff review hide", "api", "POST", lambda w: _api("/staff/reviews/999999/hide"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"reason": "insult"}),
    Case("api staff review unhide", "api", "POST", lambda w: _api("/staff/reviews/999999/unhide"), API_STAFF_SESSION_ONLY, data=lambda w: {}),
    Case("page review new", "page", "POST", lambda w: reverse("reputation:review_new", args=[w.auto_order.order_no]),
         E(owner=302, other_buyer=404, merchant=302, other_merchant=404, anonymous=404, staff=302), data=lambda w: {"rating": "5"}),
    Case("page merchant reviews", "page", "GET", lambda w: reverse("reputation:merchant_reviews"),
         E(merchant=200, **{**PAGE_MERCHANT, "other_merchant": 200})),
    Case("page staff reviews", "page", "GET", lambda w: reverse("reputation:staff_reviews"), STAFF_PAGE),
    Case("api shop credit (public)", "api", "GET", lambda w: _api(f"/shops/{w.shop_a.pk}/credit"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=200, staff=200)),
    Case("api shop record (public)", "api", "GET", lambda w: _api(f"/shops/{w.shop_a.pk}/record"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=200, staff=200)),
    Case("api shop record (no such shop)", "api", "GET", lambda w: _api("/shops/99999999/record"),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404)),
    Case("api merchant penalties", "api", "GET", lambda w: _api("/merchant/penalties"),
         E(**{**API_MERCHANT, "other_merchant": 200}), marker=lambda w: "penalties.invalid_keys", sees=("merchant",)),
    Case("api merchant penalty appeal", "api", "POST", lambda w: _api(f"/merchant/penalties/{w.penalty.pk}/appeal"),
         E(**{**API_MERCHANT, "merchant": 201}), data=lambda w: {"reason": "矩阵申诉"}, writer="merchant"),
    Case("page staff penalties", "page", "GET", lambda w: reverse("penalties:queue"),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=403, risk=200, admin=200)),
    Case("page staff penalty", "page", "GET", lambda w: reverse("penalties:detail", args=[w.penalty.pk]),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=403, risk=200, admin=200)),
    Case("api staff penalties", "api", "GET", lambda w: _api("/staff/penalties"), API_STAFF_SESSION_ONLY),
    Case("api staff penalty", "api", "GET", lambda w: _api(f"/staff/penalties/{w.penalty.pk}"), API_STAFF_SESSION_ONLY),
    Case("api staff penalty propose", "api", "POST", lambda w: _api("/staff/penalties"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"shop_id": w.shop_a.pk, "kind": "off_platform_lure", "note": "矩阵"}),
    Case("api staff penalty confirm", "api", "POST", lambda w: _api(f"/staff/penalties/{w.proposal.pk}/confirm"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"reason": "矩阵"}),
    Case("api staff penalty dismiss", "api", "POST", lambda w: _api(f"/staff/penalties/{w.proposal.pk}/dismiss"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"reason": "矩阵"}),
    Case("api staff penalty appeal decide", "api", "POST", lambda w: _api("/staff/penalty-appeals/1/decide"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"overturn": True, "reason": "矩阵"}),
    # --- Pages: staff --------------------------------------------------------------------
    Case("page staff orders", "page", "GET", lambda w: reverse("backoffice:home"), STAFF_PAGE,
         marker=lambda w: w.auto_order.order_no, sees=STAFF_ROLES),
    Case("page staff order", "page", "GET", lambda w: reverse("backoffice:order", args=[w.auto_order.order_no]), STAFF_PAGE),
    Case("page staff order (guest's)", "page", "GET", lambda w: reverse("backoffice:order", args=[w.guest_order.order_no]), STAFF_PAGE, owner="guest"),
    Case("page staff ledger check", "page", "GET", lambda w: reverse("backoffice:ledger_check"), STAFF_PAGE),
    # 原路退款: every staff role sees the queue; risk and admin act (an unknown refund: told so, 302 back).
    Case("page staff gateway refunds", "page", "GET", lambda w: reverse("backoffice:gateway_refunds"), STAFF_PAGE),
    Case("page staff gateway refund retry", "page", "POST", lambda w: reverse("backoffice:gateway_refund_action", args=[999999, "retry"]),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404, risk=302, admin=302)),
    Case("page staff gateway refund manual", "page", "POST", lambda w: reverse("backoffice:gateway_refund_action", args=[999999, "manual"]),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404, risk=302, admin=302),
         data=lambda w: {"reference": "BANK-0001"}),
    Case("page staff reconcile runs", "page", "GET", lambda w: reverse("backoffice:reconcile_runs"), STAFF_PAGE,
         marker=lambda w: reverse("backoffice:reconcile_run", args=[w.reconcile_run.pk]), sees=STAFF_ROLES),
    Case("page staff reconcile run", "page", "GET", lambda w: reverse("backoffice:reconcile_run", args=[w.reconcile_run.pk]), STAFF_PAGE,
         marker=lambda w: w.reconcile_trade_no, sees=STAFF_ROLES),
    # --- funds (保证金, 提现): each shop its own; the staff console's review pages ------------------
    Case("api merchant funds", "api", "GET", lambda w: _api("/merchant/funds"), E(**{**API_MERCHANT, "other_merchant": 200})),
    Case("api merchant withdrawals", "api", "GET", lambda w: _api("/merchant/funds/withdrawals"), E(**{**API_MERCHANT, "other_merchant": 200})),
    Case("api merchant payout accounts", "api", "GET", lambda w: _api("/merchant/funds/payout-accounts"), E(**{**API_MERCHANT, "other_merchant": 200})),
    Case("page merchant funds", "page", "GET", lambda w: reverse("merchants:funds"), E(merchant=200, **{**PAGE_MERCHANT, "other_merchant": 200})),
    Case("page staff withdrawals", "page", "GET", lambda w: reverse("merchants:staff_withdrawals"), STAFF_PAGE),
    Case("page staff deposits", "page", "GET", lambda w: reverse("merchants:staff_deposits"), STAFF_PAGE),
    # --- 资质审核 and the public shop pages (onboard) ---------------------------------------
    Case("page merchant onboarding", "page", "GET", lambda w: reverse("merchants:onboarding"),
         E(merchant=200, **{**PAGE_MERCHANT, "other_merchant": 200})),
    Case("page staff onboarding queue", "page", "GET", lambda w: reverse("onboarding:staff_queue"), RISK_PAGE,
         marker=lambda w: "丙店铺矩阵", sees=("risk", "admin")),
    Case("page staff onboarding application", "page", "GET", lambda w: reverse("onboarding:staff_detail", args=[w.application.pk]), RISK_PAGE),
    Case("page staff onboarding file", "page", "GET", lambda w: reverse("onboarding:staff_file", args=[w.application_file]), RISK_PAGE),
    Case("page staff onboarding approve", "page", "POST", lambda w: reverse("onboarding:staff_approve", args=[w.application.pk]),
         {**RISK_PAGE, "risk": 302, "admin": 302}, writer=("risk", "admin")),
    Case("page staff onboarding reject", "page", "POST", lambda w: reverse("onboarding:staff_reject", args=[w.application.pk]),
         {**RISK_PAGE, "risk": 302, "admin": 302}, data=lambda w: {"reason": "证照不清晰"}, writer=("risk", "admin")),
    Case("page staff official grant", "page", "POST", lambda w: reverse("onboarding:staff_official_grant", args=[w.application.pk]),
         {**RISK_PAGE, "risk": 403, "admin": 302}),  # the applicant's shop is not verified: refused with a message, nothing granted
    Case("page shop public", "page", "GET", lambda w: reverse("onboarding:shop", args=[w.shop_a.pk]), EVERYONE_200),
    Case("page shop public (unverified)", "page", "GET", lambda w: reverse("onboarding:shop", args=[w.application.shop_id]),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404)),
    Case("page rules merchants", "page", "GET", lambda w: reverse("onboarding:rules"), EVERYONE_200),
    Case("api merchant onboarding", "api", "GET", lambda w: _api("/merchant/onboarding"), E(**{**API_MERCHANT, "other_merchant": 200})),
    Case("api staff onboarding queue", "api", "GET", lambda w: _api("/staff/onboarding/applications"), API_STAFF_SESSION_ONLY),
    Case("api staff onboarding application", "api", "GET", lambda w: _api(f"/staff/onboarding/applications/{w.application.pk}"),
         API_STAFF_SESSION_ONLY),
    Case("api staff onboarding approve", "api", "POST", lambda w: _api(f"/staff/onboarding/applications/{w.application.pk}/approve"),
         API_STAFF_SESSION_ONLY, data=lambda w: {}),
    Case("api staff onboarding reject", "api", "POST", lambda w: _api(f"/staff/onboarding/applications/{w.application.pk}/reject"),
         API_STAFF_SESSION_ONLY, data=lambda w: {"reason": "证照不清晰"}),
    Case("api staff official grant", "api", "POST", lambda w: _api(f"/staff/shops/{w.shop_a.pk}/official"), API_STAFF_SESSION_ONLY, data=lambda w: {}),
    Case("api staff official revoke", "api", "POST", lambda w: _api("/staff/official/1/revoke"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"reason": "x"}),
    Case("api shop public", "api", "GET", lambda w: _api(f"/shops/{w.shop_a.pk}"), EVERYONE_200),
    # 下单前提示: public, like the product itself.
    Case("api product checkout warnings (public)", "api", "GET", lambda w: _api(f"/products/{w.auto.pk}/warnings"), EVERYONE_200),
    # 平台透明度报告: public (no report written yet in this world: the API's 404 is the same for all).
    Case("page transparency report (public)", "page", "GET", lambda w: reverse("report:report"), EVERYONE_200),
    Case("api transparency report (public)", "api", "GET", lambda w: _api("/report"),
         E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404)),
    # 跑路 protection: risk staff and admins; other staff 403; everyone else the console's 404.
    Case("page staff runaway console", "page", "GET", lambda w: reverse("risk:runaway_home"), RISK_PAGE),
    Case("page staff runaway shop", "page", "GET", lambda w: reverse("risk:runaway_shop", args=[w.shop_a.pk]), RISK_PAGE),
    Case("page staff runaway freeze", "page", "POST", lambda w: reverse("risk:runaway_freeze", args=[w.shop_a.pk]),
         {**RISK_PAGE, "risk": 302, "admin": 302}, data=lambda w: {"reason": "矩阵"}, writer=("risk", "admin")),
    Case("page staff runaway report csv", "page", "GET", lambda w: reverse("risk:runaway_report_csv", args=[w.shop_a.pk]),
         {**RISK_PAGE, "risk": 404, "admin": 404}),  # no disposal declared
    # 售后保险: an order's cover as the order itself (its buyer and merchant; the pool for staff only).
    Case("api order cover", "api", "GET", lambda w: _api(f"/orders/{_covered(w.auto_order)}/cover"), API_SEE),
    Case("api order cover (guest)", "api", "GET", lambda w: _api(f"/orders/{_covered(w.guest_order)}/cover"), API_SEE, owner="guest"),
    Case("page staff insurance pool", "page", "GET", lambda w: reverse("insurance:staff_pool"), STAFF_PAGE),
    Case("api staff insurance pool", "api", "GET", lambda w: _api("/staff/insurance/pool"), API_STAFF_SESSION_ONLY),
    # The staff API takes the website's session only: a bearer key is 403 session_required.
    Case("api staff runaway shop", "api", "GET", lambda w: _api(f"/staff/runaway/shops/{w.shop_a.pk}"),
         E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=403)),
    # 用后退款防护: each buyer reads and contests their own record; risk staff (session only) answer.
    Case("page buyers rules", "page", "GET", lambda w: reverse("abuse:rules"), EVERYONE_200),
    Case("page own abuse record", "page", "GET", lambda w: reverse("abuse:account_record"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=302, staff=200)),
    Case("page staff buyer contests", "page", "GET", lambda w: reverse("abuse:staff_contests"), RISK_PAGE),
    Case("page staff buyer record", "page", "GET", lambda w: reverse("abuse:staff_buyer", args=[f"user:{w.buyer.pk}"]), RISK_PAGE),
    Case("page staff contest answer", "page", "POST", lambda w: reverse("abuse:staff_contest_answer", args=[999999]),
         {**RISK_PAGE, "risk": 302, "admin": 302}, data=lambda w: {"decision": "reject", "note": "矩阵测试说明"}),  # no such contest: back to the queue
    Case("api own abuse record", "api", "GET", lambda w: _api("/abuse/record"),
         E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=401, staff=200)),
    Case("api own abuse contest", "api", "POST", lambda w: _api("/abuse/contests"),
         E(owner=201, other_buyer=201, merchant=201, other_merchant=201, anonymous=401, staff=201),
         data=lambda w: {"reason": "矩阵测试：我认为我的退款记录有误"}),
    Case("api staff buyer record", "api", "GET", lambda w: _api(f"/staff/buyers/user:{w.buyer.pk}"), API_STAFF_SESSION_ONLY),
    Case("api staff buyer contests", "api", "GET", lambda w: _api("/staff/buyers/contests"), API_STAFF_SESSION_ONLY),
    Case("api staff contest answer", "api", "POST", lambda w: _api("/staff/buyers/contests/1/answer"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"decision": "reject", "note": "矩阵测试说明"}),
    # 异常订单预警: the console queue for risk staff and admins; the staff API on the session only.
    Case("page staff alert queue", "page", "GET", lambda w: reverse("backoffice:risk_alerts"), RISK_PAGE),
    Case("page staff alert assign (none)", "page", "POST", lambda w: reverse("backoffice:risk_alert_assign", args=[999999]),
         {**RISK_PAGE, "risk": 404, "admin": 404}),
    Case("api staff alert queue", "api", "GET", lambda w: _api("/staff/alerts"), API_STAFF_SESSION_ONLY),
    Case("api staff alert detail", "api", "GET", lambda w: _api("/staff/alerts/1"), API_STAFF_SESSION_ONLY),
    Case("api staff alert assign", "api", "POST", lambda w: _api("/staff/alerts/1/assign"), API_STAFF_SESSION_ONLY, data=lambda w: {}),
    Case("api staff alert resolve", "api", "POST", lambda w: _api("/staff/alerts/1/resolve"), API_STAFF_SESSION_ONLY,
         data=lambda w: {"resolution": "handled"}),
]


# Running one cell ---------------------------------------------------------------------------


def _user_of(w, actor: str):
    return {
        "owner": w.buyer,
        "other_buyer": w.other_buyer,
        "merchant": w.merchant,
        "other_merchant": w.other_merchant,
        "anonymous": None,
        **w.staff,
    }[actor]


def client_for(w, case: Case, actor: str) -> Client:
    guest = actor == "owner" and case.owner == "guest"
    user = None if guest else _user_of(w, actor)
    if case.via == "api":
        if guest:
            return Client(headers={"X-Order-Token": w.guest_token})
        return Client(headers={"Authorization": f"Bearer {w.bearer(user)}"} if user else {})
    client = Client()
    if guest:
        assert client.get(reverse("web:order_open", args=[w.guest_token])).status_code == 302
    elif user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def send(client: Client, case: Case, w):
    url = case.url(w)
    data = case.data(w) if case.data else None
    if case.method == "GET":
        return client.get(url)
    if case.via == "api":
        return client.generic(case.method, url, json_body(data), content_type="application/json")
    return client.post(url, data or {})


def json_body(data) -> str:
    return json.dumps(data) if data is not None else ""


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # consuming it closes it (the test client's wrapper)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def state(w) -> dict:
    """Everything a refused request must leave as it was."""
    from kadun.accounts.models import ApiKey
    from kadun.aftersales.models import RefundEvidence, RefundRequest
    from kadun.catalog.models import Product, RefundPolicy
    from kadun.inventory.models import CardKey, Reveal, VerificationReport
    from kadun.ledger.models import JournalEntry
    from kadun.merchants.models import OfficialAuthorisation, Penalty, PenaltyAppeal, Shop, ShopApplication, ShopBadge
    from kadun.orders.models import Order, OrderEvent

    return {
        "journal_entries": JournalEntry.objects.count(),
        "reveals": Reveal.objects.count(),
        "refund_requests": list(RefundRequest.objects.order_by("id").values_list("id", "status", "amount_refunded")),
        "evidence": RefundEvidence.objects.count(),
        "verifications": VerificationReport.objects.count(),
        "orders": list(Order.objects.order_by("id").values_list("id", "status", "refunded_amount", "refund_hold", "delivery_note")),
        "order_events": OrderEvent.objects.count(),
        "keys": list(CardKey.objects.order_by("id").values_list("id", "status", "first_revealed_at")),
        "products": [(p.pk, p.title, p.price, p.is_active, p.checker) for p in Product.objects.order_by("id")],
        "policies": RefundPolicy.objects.count(),
        "api_keys": list(ApiKey.objects.order_by("id").values_list("id", "revoked_at")),
        "penalties": list(Penalty.objects.order_by("id").values_list("id", "status", "level")),
        "appeals": PenaltyAppeal.objects.count(),
        "applications": list(ShopApplication.objects.order_by("id").values_list("id", "status")),
        "shops": list(Shop.objects.order_by("id").values_list("id", "selling_blocks", "identity_id")),
        "badges": list(ShopBadge.objects.order_by("id").values_list("id", "shop_id", "kind")),
        "official": OfficialAuthorisation.objects.count(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_matrix(world, case: Case, actor: str):
    client = client_for(world, case, actor)
    unsafe = case.method != "GET"
    before = state(world) if unsafe else None

    response = send(client, case, world)
    body = body_of(response)

    expected = case.expect[actor]
    assert response.status_code == expected, f"{case.id} as {actor}: {response.status_code} != {expected}: {body[:300]}"
    if actor != "owner":
        for secret in world.secrets:
            assert secret not in body, f"{case.id} as {actor}: a card key's plaintext is in the response"
    if case.marker is not None and 200 <= response.status_code < 300:
        shown = case.marker(world) in body
        assert shown == (actor in case.sees), f"{case.id} as {actor}: marker shown={shown}"
    if response.status_code >= 400:
        assert world.buyer.contact not in body and "guest-matrix@example.com" not in body
    if unsafe:
        after = state(world)
        if actor in _writers(case):
            assert after != before, f"{case.id} as {actor}: accepted but nothing changed"
        else:
            changed = {k for k in before if before[k] != after[k]}
            assert not changed, f"{case.id} as {actor}: refused but changed {sorted(changed)}"


def _writers(case: Case) -> tuple:
    return case.writer if isinstance(case.writer, tuple) else (case.writer,)


def test_matrix_covers_every_caller():
    for case in CASES:
        assert set(case.expect) == set(ACTORS), case.id


# Outside the table ------------------------------------------------------------------------


@pytest.mark.django_db
def test_owner_reveal_shows_the_plaintext_only_to_the_owner(world):
    """The positive half of the matrix's leak check: the owner does get the key it paid for."""
    from kadun.inventory.crypto import decrypt
    from kadun.inventory.models import CardKey

    secret = decrypt(CardKey.objects.get(pk=world.auto_key).secret)
    response = Client(headers={"Authorization": f"Bearer {world.bearer(world.buyer)}"}).post(
        f"/api/orders/{world.auto_order.order_no}/keys/{world.auto_key}/reveal"
    )
    assert response.status_code == 200 and response.json()["secret"] == secret
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/orders/{order}/confirm", "/api/orders/{order}/keys/{key}/reveal", "/api/orders/{order}/refund-requests"])
def test_session_api_write_without_csrf_is_refused_and_changes_nothing(world, path):
    """A logged-in browser session is the one credential a forged cross-site request can borrow:
    without the CSRF token it is 403, never a fallback to another way in."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.buyer, backend="django.contrib.auth.backends.ModelBackend")
    before = state(world)

    url = path.format(order=world.auto_order.order_no, key=world.auto_key)
    response = client.post(url, json_body({"reason": "unrevealed", "key_ids": [world.auto_key]}), content_type="application/json")

    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert state(world) == before


PAGE_WRITES = [c for c in CASES if c.via == "page" and c.method == "POST" and c.writer]


@pytest.mark.django_db
@pytest.mark.parametrize("case", PAGE_WRITES, ids=lambda c: c.id)
def test_page_write_without_csrf_is_refused_and_changes_nothing(world, case):
    """The same forms, posted by the very caller they are meant for, but without the CSRF token
    a forged cross-site request would lack: 403, and nothing changes."""
    client = client_for(world, case, _writers(case)[0])
    client.handler.enforce_csrf_checks = True
    before = state(world)

    response = send(client, case, world)

    assert response.status_code == 403
    assert state(world) == before


@pytest.mark.django_db
def test_a_revoked_or_wrong_api_key_is_401_not_anonymous(world):
    from kadun.accounts.models import ApiKey
    from kadun.core import clock

    ApiKey.objects.filter(user=world.buyer).update(revoked_at=clock.now())
    for secret in (world.bearer(world.buyer), "kd_000000000000_nope", "not-a-kadun-key"):
        response = Client(headers={"Authorization": f"Bearer {secret}"}).get(f"/api/products/{world.auto.pk}")
        assert response.status_code == 401, secret
        assert response.json()["code"] in ("invalid_api_key", "unauthorized")


@pytest.mark.django_db
def test_a_guest_token_opens_only_its_own_order(world):
    """X-Order-Token is checked against the order asked for: the guest's token opens nothing of
    the buyer's, and a merchant holding it learns nothing more than the merchant already sees."""
    guest = Client(headers={"X-Order-Token": world.guest_token})
    for url in (
        f"/api/orders/{world.auto_order.order_no}",
        f"/api/orders/{world.refund_order.order_no}/refund-requests",
        f"/api/refund-requests/{world.refund.request_no}",
    ):
        assert guest.get(url).status_code == 404, url
    assert guest.post(f"/api/orders/{world.auto_order.order_no}/keys/{world.auto_key}/reveal").status_code == 404
