"""The refund API through real HTTP calls: instant refunds by rule, evidence, merchant answers,
idempotency, who may see and do what, and the frozen rules of an order."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.services import api_key_create
from kadun.aftersales.models import RefundEvidence, RefundRequest
from kadun.backoffice.selectors import platform_check
from kadun.catalog.models import Product, RefundPolicy
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, VerificationReport
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def bearer(user) -> dict:
    _key, secret = api_key_create(user=user, name="test")
    return {"Authorization": f"Bearer {secret}"}


def as_user(user) -> Client:
    return Client(headers=bearer(user))


def as_guest(token: str) -> Client:
    return Client(headers={"X-Order-Token": token})


def post_json(client, url, data=None, **kwargs):
    return client.post(url, data or {}, content_type="application/json", **kwargs)


def put_json(client, url, data, **kwargs):
    return client.put(url, data, content_type="application/json", **kwargs)


def paid_order(product, *, buyer=None, quantity=1):
    order, token, _ = buy(product, buyer=buyer, quantity=quantity)
    return pay(order), token


def key_ids(order) -> list[int]:
    return list(CardKey.objects.filter(order=order).order_by("id").values_list("id", flat=True))


def ask_refund(client, order, data, *, images=None, **kwargs):
    """As JSON, or as multipart/form-data when there are images."""
    url = f"/api/orders/{order.order_no}/refund-requests"
    if images is None:
        return post_json(client, url, data, **kwargs)
    return client.post(url, {**data, "images": images}, **kwargs)


def png(name="shot.png", data=PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def reveal(client, order, key_id):
    response = client.post(f"/api/orders/{order.order_no}/keys/{key_id}/reveal")
    assert response.status_code == 200
    return response


def escrow(order) -> int:
    return balance_of(codes.escrow(order.pk))


def refunds_of(order) -> list[int]:
    return list(Refund.objects.filter(order=order).values_list("amount", flat=True))


def awaiting_merchant(product, *, reason="invalid_key"):
    """A guest order whose revealed key the buyer reports invalid (or ``reason``), with a screenshot."""
    order, token = paid_order(product)
    guest = as_guest(token)
    [key_id] = key_ids(order)
    reveal(guest, order, key_id)
    response = ask_refund(guest, order, {"reason": reason, "statement": "提示已被使用", "key_ids": [key_id]}, images=[png()])
    assert response.status_code == 201 and response.json()["status"] == "awaiting_merchant"
    return order, token, response.json()


# The buyer ---------------------------------------------------------------------------------


def test_guest_with_an_unrevealed_key_is_refunded_at_once_citing_clause_1(product):
    order, token = paid_order(product)
    [key_id] = key_ids(order)

    response = ask_refund(as_guest(token), order, {"reason": "unrevealed", "key_ids": [key_id]})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "approved" and body["outcome"] == "approve"
    assert body["amount_requested"] == 1000 and body["amount_refunded"] == 1000
    assert body["clauses"] == [1] and body["explanation"].startswith("依据退款规则第1条")
    assert body["key_ids"] == [key_id] and body["destination"] == "source" and body["order_no"] == order.order_no
    assert [e["kind"] for e in body["events"]] == ["requested", "approve"]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == 1000
    assert CardKey.objects.get(pk=key_id).status == "withdrawn"
    assert escrow(order) == 0 and refunds_of(order) == [1000]
    assert platform_check().ok


def test_replayed_post_with_the_same_idempotency_key_pays_once(product):
    order, token = paid_order(product)
    guest = as_guest(token)
    data = {"reason": "unrevealed", "key_ids": key_ids(order)}

    first = ask_refund(guest, order, data, headers={"Idempotency-Key": "retry-1"})
    replay = ask_refund(guest, order, data, headers={"Idempotency-Key": "retry-1"})

    assert first.status_code == 201 and replay.status_code == 201
    assert replay.json()["request_no"] == first.json()["request_no"]
    assert replay.json()["status"] == "approved" and replay.json()["amount_refunded"] == 1000
    assert RefundRequest.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.refunded_amount == 1000 and refunds_of(order) == [1000] and escrow(order) == 0
    assert platform_check().ok


def test_double_post_without_a_key_pays_once(product):
    order, token = paid_order(product)
    guest = as_guest(token)
    data = {"reason": "unrevealed", "key_ids": key_ids(order)}

    first = ask_refund(guest, order, data)
    second = ask_refund(guest, order, data)

    assert first.json()["status"] == "approved"
    assert (second.status_code, second.json()["status"]) == (201, "not_eligible")
    assert second.json()["amount_refunded"] == 0
    order.refresh_from_db()
    assert order.refunded_amount == 1000 and refunds_of(order) == [1000] and escrow(order) == 0
    assert platform_check().ok


def test_logged_in_buyer_refunds_to_the_wallet_by_api_key(product):
    buyer = make_user()
    order, _ = paid_order(product, buyer=buyer, quantity=2)
    first, second = key_ids(order)

    response = ask_refund(as_user(buyer), order, {"reason": "unrevealed", "key_ids": [second], "destination": "wallet"})

    assert response.status_code == 201 and response.json()["amount_refunded"] == 1000
    order.refresh_from_db()
    assert order.refunded_amount == 1000 and order.status == OrderStatus.DELIVERED
    assert balance_of(codes.buyer_wallet(buyer.pk)) == 1000 and escrow(order) == 1000
    assert CardKey.objects.get(pk=first).status == "sold" and CardKey.objects.get(pk=second).status == "withdrawn"
    assert platform_check().ok


def test_logged_in_buyer_session_needs_the_csrf_token_to_ask_by_form(product):
    buyer = make_user()
    order, _ = paid_order(product, buyer=buyer)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(buyer)
    form = {"reason": "unrevealed", "key_ids": ",".join(map(str, key_ids(order)))}

    refused = browser.post(f"/api/orders/{order.order_no}/refund-requests", form)
    browser.cookies["csrftoken"] = "a" * 32
    accepted = browser.post(f"/api/orders/{order.order_no}/refund-requests", form, headers={"X-CSRFToken": "a" * 32})

    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert accepted.status_code == 201 and accepted.json()["status"] == "approved"
    order.refresh_from_db()
    assert order.refunded_amount == 1000 and refunds_of(order) == [1000] and escrow(order) == 0
    assert platform_check().ok


def test_revealed_key_asking_as_unrevealed_is_not_eligible_and_nothing_is_paid(product):
    order, token = paid_order(product)
    guest = as_guest(token)
    [key_id] = key_ids(order)
    reveal(guest, order, key_id)

    response = ask_refund(guest, order, {"reason": "unrevealed", "key_ids": [key_id]})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "not_eligible" and body["amount_requested"] == 0 and body["clauses"] == [1]
    assert "已查看" in body["explanation"]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.refunded_amount == 0
    assert escrow(order) == 1000 and refunds_of(order) == [] and CardKey.objects.get(pk=key_id).status == "sold"


def test_revealed_key_reported_invalid_without_a_screenshot_is_a_400_and_no_request(product):
    order, token = paid_order(product)
    guest = as_guest(token)
    [key_id] = key_ids(order)
    reveal(guest, order, key_id)

    response = ask_refund(guest, order, {"reason": "invalid_key", "key_ids": [key_id]})

    assert response.status_code == 400 and response.json()["code"] == "evidence_required" and "证据" in response.json()["message"]
    assert not RefundRequest.objects.filter(order=order).exists()
    assert escrow(order) == 1000 and refunds_of(order) == []


def test_revealed_key_reported_invalid_with_a_png_goes_to_the_merchant(product):
    order, _token, body = awaiting_merchant(product)

    assert body["outcome"] == "ask_merchant" and body["amount_requested"] == 1000 and body["amount_refunded"] == 0
    assert body["respond_by"] is not None and body["clauses"] == [2, 5]
    assert [(e["party"], e["content_type"], e["size"]) for e in body["evidence"]] == [("buyer", "image/png", len(PNG))]
    order.refresh_from_db()
    assert order.refund_hold and order.refunded_amount == 0 and escrow(order) == 1000


def test_a_text_file_named_png_is_refused_and_no_request_is_created(product):
    order, token = paid_order(product)
    fake = png("shot.png", b"just some text, not an image\n" * 10)

    response = ask_refund(as_guest(token), order, {"reason": "unrevealed", "key_ids": key_ids(order)}, images=[fake])

    assert response.status_code == 400 and response.json()["code"] == "invalid_evidence"
    assert not RefundRequest.objects.filter(order=order).exists() and not RefundEvidence.objects.exists()
    order.refresh_from_db()
    assert order.refunded_amount == 0 and escrow(order) == 1000


def test_an_image_over_5_mb_is_refused(product):
    order, token = paid_order(product)
    big = png("big.png", PNG + b"\x00" * (6 * 1024 * 1024))

    response = ask_refund(as_guest(token), order, {"reason": "unrevealed", "key_ids": key_ids(order)}, images=[big])

    assert response.status_code == 400 and response.json()["code"] == "invalid_evidence"
    assert not RefundRequest.objects.filter(order=order).exists() and escrow(order) == 1000


def test_unknown_reason_is_422_and_nothing_is_created(product):
    order, token = paid_order(product)

    response = ask_refund(as_guest(token), order, {"reason": "because", "key_ids": key_ids(order)})

    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert not RefundRequest.objects.filter(order=order).exists()


def test_merchant_of_the_order_cannot_ask_for_a_refund(shop, product):
    order, _ = paid_order(product)

    response = ask_refund(as_user(shop.owner), order, {"reason": "unrevealed", "key_ids": key_ids(order)})

    assert response.status_code == 403 and response.json()["code"] == "not_the_buyer"
    assert not RefundRequest.objects.filter(order=order).exists() and escrow(order) == 1000


def test_buyer_withdraws_an_open_request_and_the_hold_is_lifted(product):
    order, token, body = awaiting_merchant(product)

    response = post_json(as_guest(token), f"/api/refund-requests/{body['request_no']}/withdraw")
    again = post_json(as_guest(token), f"/api/refund-requests/{body['request_no']}/withdraw")

    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert again.status_code == 409 and again.json()["code"] == "refund_request_closed"
    order.refresh_from_db()
    assert not order.refund_hold and order.refunded_amount == 0 and escrow(order) == 1000


def test_buyer_and_merchant_read_the_same_request_and_the_orders_list(shop, product):
    order, token, body = awaiting_merchant(product)

    as_buyer = as_guest(token).get(f"/api/refund-requests/{body['request_no']}")
    as_merchant = as_user(shop.owner).get(f"/api/refund-requests/{body['request_no']}")
    listed = as_guest(token).get(f"/api/orders/{order.order_no}/refund-requests")

    assert as_buyer.status_code == as_merchant.status_code == listed.status_code == 200
    assert as_buyer.json() == as_merchant.json() == body
    assert [r["request_no"] for r in listed.json()] == [body["request_no"]]
    assert "no-store" in as_buyer["Cache-Control"]


# The merchant ------------------------------------------------------------------------------


def test_merchant_approves_and_the_buyer_is_refunded_in_full(shop, product):
    order, _token, body = awaiting_merchant(product)

    response = post_json(as_user(shop.owner), f"/api/merchant/refund-requests/{body['request_no']}/respond", {"action": "approve"})

    assert response.status_code == 200
    assert response.json()["status"] == "approved" and response.json()["amount_refunded"] == 1000
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and not order.refund_hold
    assert escrow(order) == 0 and refunds_of(order) == [1000]
    assert CardKey.objects.get(pk=body["key_ids"][0]).status == "withdrawn"
    assert platform_check().ok


def test_partial_refund_at_or_above_the_requested_amount_is_refused(shop, product):
    order, _token, body = awaiting_merchant(product, reason="not_as_described")  # a dead key gets no partial refund
    merchant = as_user(shop.owner)
    url = f"/api/merchant/refund-requests/{body['request_no']}/respond"

    answers = [post_json(merchant, url, {"action": "partial", "amount": amount}) for amount in (1000, 1500)]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(400, "invalid_amount")] * 2
    assert RefundRequest.objects.get(request_no=body["request_no"]).status == "awaiting_merchant"
    assert escrow(order) == 1000 and refunds_of(order) == []


def test_partial_refund_pays_that_amount_and_the_rest_stays_in_escrow(shop, product):
    order, _token, body = awaiting_merchant(product, reason="not_as_described")  # a dead key gets no partial refund

    response = post_json(
        as_user(shop.owner), f"/api/merchant/refund-requests/{body['request_no']}/respond",
        {"action": "partial", "amount": 400, "note": "已使用部分"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "partially_approved" and response.json()["amount_refunded"] == 400
    order.refresh_from_db()
    assert order.refunded_amount == 400 and order.status == OrderStatus.DELIVERED and not order.refund_hold
    assert escrow(order) == 600 and refunds_of(order) == [400]
    assert CardKey.objects.get(pk=body["key_ids"][0]).status == "sold"
    assert platform_check().ok


def test_merchant_rejects_with_a_reason_and_nothing_is_paid(shop, product):
    order, token, body = awaiting_merchant(product)
    url = f"/api/merchant/refund-requests/{body['request_no']}/respond"

    response = post_json(as_user(shop.owner), url, {"action": "reject", "note": "卡密经核实可正常使用"})
    read = as_guest(token).get(f"/api/refund-requests/{body['request_no']}")

    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert read.json()["events"][-1] == {**read.json()["events"][-1], "kind": "rejected", "actor": "merchant", "note": "卡密经核实可正常使用"}
    order.refresh_from_db()
    assert not order.refund_hold and order.refunded_amount == 0 and escrow(order) == 1000 and refunds_of(order) == []
    assert platform_check().ok


def test_merchant_promises_a_replacement_then_fulfils_it_from_stock(shop, product):
    order, token, body = awaiting_merchant(product)
    merchant = as_user(shop.owner)
    [old_key] = body["key_ids"]

    promised = post_json(merchant, f"/api/merchant/refund-requests/{body['request_no']}/respond", {"action": "promise", "hours": 12})
    fulfilled = post_json(merchant, f"/api/merchant/refund-requests/{body['request_no']}/fulfil")

    assert promised.status_code == 200 and promised.json()["status"] == "awaiting_replacement" and promised.json()["replace_by"]
    assert fulfilled.status_code == 200 and fulfilled.json()["status"] == "replaced"
    keys = CardKey.objects.filter(order=order).order_by("id")
    assert [(k.pk == old_key, k.status) for k in keys] == [(True, "withdrawn"), (False, "sold")]
    order.refresh_from_db()
    assert not order.refund_hold and order.refunded_amount == 0 and escrow(order) == 1000 and refunds_of(order) == []
    assert platform_check().ok


def test_merchant_queue_lists_only_its_own_open_requests(shop, product):
    _order, _token, mine = awaiting_merchant(product)
    awaiting_merchant(make_product(keys=2))  # another shop's
    order, token = paid_order(product)
    ask_refund(as_guest(token), order, {"reason": "unrevealed", "key_ids": key_ids(order)})  # approved: not open

    open_only = as_user(shop.owner).get("/api/merchant/refund-requests")
    everything = as_user(shop.owner).get("/api/merchant/refund-requests?open=false")

    assert open_only.status_code == 200
    assert [r["request_no"] for r in open_only.json()["items"]] == [mine["request_no"]]
    assert everything.json()["count"] == 2


def test_merchant_endpoints_need_a_shop_and_hide_other_shops_requests(product):
    _order, token, body = awaiting_merchant(product)
    respond = f"/api/merchant/refund-requests/{body['request_no']}/respond"
    other_merchant = as_user(make_shop().owner)

    answers = {
        "anonymous": post_json(Client(), respond, {"action": "approve"}),
        "guest token": post_json(as_guest(token), respond, {"action": "approve"}),
        "buyer without shop": post_json(as_user(make_user()), respond, {"action": "approve"}),
        "other merchant": post_json(other_merchant, respond, {"action": "approve"}),
        "other merchant fulfil": post_json(other_merchant, f"/api/merchant/refund-requests/{body['request_no']}/fulfil"),
        "other merchant read": other_merchant.get(f"/api/merchant/refund-requests/{body['request_no']}"),
    }

    assert {k: (r.status_code, r.json()["code"]) for k, r in answers.items()} == {
        "anonymous": (401, "unauthorized"),
        "guest token": (401, "unauthorized"),
        "buyer without shop": (403, "not_a_merchant"),
        "other merchant": (404, "refund_request_not_found"),
        "other merchant fulfil": (404, "refund_request_not_found"),
        "other merchant read": (404, "refund_request_not_found"),
    }
    assert RefundRequest.objects.get(request_no=body["request_no"]).status == "awaiting_merchant"


def test_strangers_get_404_on_every_refund_endpoint_and_nothing_changes(product):
    order, _token, body = awaiting_merchant(product)
    _other_order, other_token = paid_order(product)
    [key_id] = body["key_ids"]
    strangers = {
        "another buyer": as_user(make_user()),
        "another merchant": as_user(make_shop().owner),
        "anonymous": Client(),
        "another order's token": as_guest(other_token),
    }
    calls = [
        ("get", f"/api/orders/{order.order_no}/refund-policy"),
        ("get", f"/api/orders/{order.order_no}/refund-requests"),
        ("post", f"/api/orders/{order.order_no}/refund-requests"),
        ("get", f"/api/refund-requests/{body['request_no']}"),
        ("post", f"/api/refund-requests/{body['request_no']}/withdraw"),
        ("post", f"/api/orders/{order.order_no}/keys/{key_id}/verify"),
    ]
    before = list(RefundRequest.objects.values())

    for who, client in strangers.items():
        for method, url in calls:
            if method == "get":
                response = client.get(url)
            else:
                response = post_json(client, url, {"reason": "unrevealed", "key_ids": [key_id]})
            assert response.status_code == 404, (who, url, response.content)
            assert response.json()["code"] in ("order_not_found", "refund_request_not_found"), (who, url)

    assert list(RefundRequest.objects.values()) == before
    assert not VerificationReport.objects.exists() and refunds_of(order) == [] and escrow(order) == 1000


# Refund rules ------------------------------------------------------------------------------


def test_policy_that_weakens_the_baseline_is_refused_and_no_version_is_made(shop, product):
    merchant = as_user(shop.owner)
    url = f"/api/merchant/products/{product.pk}/refund-policy"

    answers = [put_json(merchant, url, rules) for rules in ({"unrevealed_refund": False}, {"refund_window_hours": 1})]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(400, "invalid_refund_policy")] * 2
    assert "平台底线" in answers[0].json()["message"]
    assert list(RefundPolicy.objects.filter(product=product).values_list("version", flat=True)) == [1]


def test_order_keeps_its_frozen_rules_and_verified_hash_after_the_product_policy_changes(shop, product):
    order, token = paid_order(product)
    changed = put_json(as_user(shop.owner), f"/api/merchant/products/{product.pk}/refund-policy", {"refund_window_hours": 48, "no_reason_7days": True})

    current = Client().get(f"/api/products/{product.pk}/refund-policy")
    frozen = as_guest(token).get(f"/api/orders/{order.order_no}/refund-policy")

    assert changed.status_code == 200
    assert changed.json()["policy_version"] == 2 and changed.json()["rules"]["refund_window_hours"] == 48
    assert "2天内" in changed.json()["text"] and "七天无理由退款：发货后7天内" in changed.json()["text"]
    assert current.json() == changed.json()
    body = frozen.json()
    assert frozen.status_code == 200 and body["policy_version"] == 1
    assert body["rules"]["refund_window_hours"] == 168 and body["rules"]["no_reason_7days"] is False
    assert body["text"].startswith("第1条 卡密未查看且在发货后7天内")
    assert body["clauses"][0] == {"no": 1, "id": "unrevealed", "text": body["clauses"][0]["text"]}
    assert body["hash"] == order.policy_hash and body["hash_verified"] is True


@pytest.mark.evidence_tampered  # writes a fact behind the app's back
def test_tampered_order_snapshot_is_reported_unverified(product):
    order, token = paid_order(product)
    snapshot = {**order.policy_snapshot, "rules": {**order.policy_snapshot["rules"], "refund_window_hours": 24}}
    Order.objects.filter(pk=order.pk).update(policy_snapshot=snapshot)

    body = as_guest(token).get(f"/api/orders/{order.order_no}/refund-policy").json()

    assert body["rules"]["refund_window_hours"] == 24 and body["hash_verified"] is False


def test_inactive_product_has_no_public_policy_but_its_merchant_still_sees_it(shop, product):
    Product.objects.filter(pk=product.pk).update(is_active=False)

    public = Client().get(f"/api/products/{product.pk}/refund-policy")
    own = as_user(shop.owner).get(f"/api/merchant/products/{product.pk}/refund-policy")
    other = as_user(make_shop().owner).get(f"/api/merchant/products/{product.pk}/refund-policy")

    assert public.status_code == 404 and public.json()["code"] == "product_not_found"
    assert own.status_code == 200 and own.json()["policy_version"] == 1 and own.json()["clauses"][0]["no"] == 1
    assert other.status_code == 404


# 验货 ---------------------------------------------------------------------------------------


def test_checker_secret_is_stored_but_never_returned(shop, product):
    merchant = as_user(shop.owner)
    url = f"/api/merchant/products/{product.pk}/checker"
    secret = "s3cret-signing-key-0123456789"

    saved = put_json(merchant, url, {"kind": "http", "url": "https://check.example.com/v1", "secret": secret})
    read = merchant.get(url)
    weak = put_json(merchant, url, {"kind": "http", "url": "https://check.example.com/v1", "secret": "short"})

    assert saved.status_code == 200 and read.status_code == 200
    assert read.json() == saved.json() == {"product_id": product.pk, "kind": "http", "pattern": None, "url": "https://check.example.com/v1", "secret_set": True}
    assert secret not in saved.content.decode() + read.content.decode()
    assert weak.status_code == 400 and weak.json()["code"] == "invalid_checker"
    product.refresh_from_db()
    assert product.checker["secret"] == secret


def test_buyer_verifies_a_key_and_never_sees_it(shop, product):
    put_json(as_user(shop.owner), f"/api/merchant/products/{product.pk}/checker", {"kind": "format", "pattern": r"KEY-\d+-\d{6}-SECRET"})
    order, token = paid_order(product)
    [key_id] = key_ids(order)
    secret = crypto.decrypt(CardKey.objects.get(pk=key_id).secret)

    response = post_json(as_guest(token), f"/api/orders/{order.order_no}/keys/{key_id}/verify")
    by_merchant = post_json(as_user(shop.owner), f"/api/orders/{order.order_no}/keys/{key_id}/verify")

    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("key_id", "result", "checker", "before_first_reveal")} == {
        "key_id": key_id, "result": "valid", "checker": "format", "before_first_reveal": True,
    }
    assert secret not in response.content.decode() and "raw" not in response.json()
    assert by_merchant.status_code == 404 and by_merchant.json()["code"] == "key_not_found"
    assert list(VerificationReport.objects.filter(order=order).values_list("result", flat=True)) == ["valid"]


def test_verify_without_a_checker_is_409(product):
    order, token = paid_order(product)

    response = post_json(as_guest(token), f"/api/orders/{order.order_no}/keys/{key_ids(order)[0]}/verify")

    assert response.status_code == 409 and response.json()["code"] == "no_checker"
    assert not VerificationReport.objects.exists()
