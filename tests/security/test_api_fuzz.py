"""Fuzzing the API with schemathesis, in-process through the WSGI application (no server).

The schema is the one the app serves at /api/openapi.json. Every operation is fuzzed as each
kind of caller — anonymous, a buyer's API key, a merchant's API key, a guest holding an order's
``X-Order-Token``, and staff — with valid data (positive) and invalid data (negative). About half
of the examples name real objects of the world (the caller's orders and keys, shop A's products,
the open refund request), so the handlers' happy paths are reached too, not only their 404s.
Each example runs in a savepoint that is rolled back, so every example starts from the same world.

Every answer must be: no 5xx; a status code the operation declares; a declared content type;
a body that matches the declared schema; and invalid input answered with a 4xx.

Nothing is waived: the bugs this fuzz found earlier (an unrouted /api/ path answered in HTML, a
page number overflowing OFFSET, huge key ids, NUL characters reaching PostgreSQL) are fixed, each
pinned by a regression test at the end of the file, and any 5xx now fails the run.

Environment:
- ``KADUN_FUZZ_EXAMPLES``: examples per operation and caller (default 3: the file runs in well
  under 90 s on SQLite and on PostgreSQL).
- ``KADUN_FUZZ_RANDOM=1``: new random examples each run (default: the same derandomized ones,
  so CI is repeatable). Hypothesis keeps no example database either way.
- ``KADUN_FUZZ_STATS=path``: append "operation, caller, mode, status" per example.
"""
from __future__ import annotations

import functools
import os

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security import shared_world

EXAMPLES = int(os.environ.get("KADUN_FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("KADUN_FUZZ_RANDOM") == "1"  # explore new examples instead of the fixed ones
STATS = os.environ.get("KADUN_FUZZ_STATS")  # a file to append "operation, role, mode, status" lines to
ROLES = ("anonymous", "buyer", "merchant", "guest", "staff")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
AUTH_HEADERS = ("authorization", "x-order-token", "cookie")


@functools.cache
def _app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _schema():
    """The schema as served at /api/openapi.json (fetched through the WSGI app; no database)."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", _app())


SCHEMA = _schema()
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker, cases=True) as w:
        yield w


@pytest.fixture(autouse=True)
def _keep_the_connection():
    """The WSGI handler closes "old" connections at the start and end of every request, which
    inside the test's transaction would drop it; Django's test client makes the same exception."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_outbound_http(monkeypatch):
    """A fuzzed PUT .../checker may set an http 验货 checker with any URL: never call it."""
    from kadun.inventory import checkers

    monkeypatch.setitem(checkers.CHECKERS, "http", lambda config, secret, product_id: checkers.CheckResult("error", "fuzz: not called"))

    def refuse(*args, **kwargs):
        raise AssertionError("the fuzz run must not open network connections")

    monkeypatch.setattr("urllib.request.urlopen", refuse)


def headers_for(world, role: str) -> dict:
    if role == "anonymous":
        return {}
    if role == "guest":
        return {"X-Order-Token": world.guest_token}
    user = {"buyer": world.buyer, "merchant": world.merchant, "staff": world.staff["admin"]}[role]
    return {"Authorization": f"Bearer {world.bearer(user)}"}


def known_path_parameters(world, operation, role: str):
    """A strategy for path parameters naming real objects of the world — the caller's own where
    the caller has some — so the fuzz reaches the handlers' happy paths, not only their 404s."""
    names = {p.name for p in operation.path_parameters}
    if role == "guest":
        orders = [world.guest_order]
        pairs = [(world.guest_order, world.guest_key)]
    else:
        orders = [world.auto_order, world.manual_order, world.delivered_order, world.refund_order]
        orders += [] if role == "buyer" else [world.guest_order]
        pairs = [(world.auto_order, world.auto_key), (world.refund_order, world.refund_key)]
        pairs += [] if role == "buyer" else [(world.guest_order, world.guest_key)]
    if names == {"order_no", "key_id"}:
        return st.sampled_from(pairs).map(lambda pair: {"order_no": pair[0].order_no, "key_id": pair[1]})
    if names == {"key_id"}:  # DELETE /merchant/api-keys/{key_id}
        from kadun.accounts.models import ApiKey

        values = {"key_id": list(ApiKey.objects.order_by("id").values_list("id", flat=True))}
    else:
        cases = world.cases
        values = {
            "order_no": [o.order_no for o in orders] + ([] if role == "guest" else [cases.waiting_order.order_no, cases.bare_order.order_no]),
            "product_id": [world.auto.pk, world.manual.pk, world.product_b.pk],
            "request_no": [world.refund.request_no, cases.rejected_request.request_no],
            # The cases (tests/security/cases_world.py): one in each stage an endpoint acts on.
            "case_no": [c.case_no for c in (cases.waiting, cases.offered, cases.talking, cases.reviewing, cases.inquiry, cases.decided,
                                            cases.appealed, cases.replacing, cases.guest_case)],
            "offer_id": [cases.offer_id],
            "attachment_id": [cases.public_attachment, cases.note_attachment],
            "channel_id": world.channel_ids,  # the buyer's and the merchant's notification channels
            "complaint_no": _complaint_nos(),  # the public complaint board (kadun/evidence)
            "penalty_id": [world.penalty.pk, world.proposal.pk],  # shop A's warning (appealable) and its proposal
            # 资质审核 (onboard): shops A and B (approved fixtures), the pending application, no authorisation yet.
            "shop_id": [world.shop_a.pk, world.shop_b.pk, world.application.shop_id],  # also a shop's public credit and record (店铺档案)
            "application_id": [world.application.pk],
            "authorisation_id": [1],
            "appeal_id": [1],  # 处罚申诉: none filed in the world (the staff API answers 404 or refuses the caller)
            "withdrawal_no": [world.withdrawal.withdrawal_no],  # 提现: shop A's, held for review
            # 用后退款防护 (kadun/risk/api_abuse.py): the buyer's and a guest's keys; no contest filed in the world.
            "buyer_key": [f"user:{world.buyer.pk}", f"user:{world.other_buyer.pk}", "contact:0000"],
            "contest_id": [1],
            "review_id": [1, 999999],  # 评价: none written in the world (the orders are not confirmed)
            "alert_id": [1],  # 异常订单预警: none in the world (session-only staff API: 401/403 before 404)
        }
    return st.fixed_dictionaries({name: st.sampled_from(values[name]) for name in names})


def _complaint_nos() -> list[str]:
    from kadun.evidence.models_complaints import Complaint

    return list(Complaint.objects.order_by("id").values_list("complaint_no", flat=True)) or ["TS000000000000"]


def _case_strategy(world, operation, role: str):
    @st.composite
    def draw(d):
        mode = d(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
        fixed = None
        if operation.path_parameters and d(st.booleans()):
            fixed = d(known_path_parameters(world, operation, role))
        case = d(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        if mode == GenerationMode.POSITIVE and isinstance(case.body, dict) and d(st.booleans()):
            # Valid bodies that also name real things: a product on sale, keys of an order.
            if "product_id" in case.body:
                case.body["product_id"] = d(st.sampled_from([world.auto.pk, world.manual.pk, world.product_b.pk]))
            if "key_ids" in case.body:
                case.body["key_ids"] = d(st.sampled_from([[world.auto_key], [world.guest_key], [world.refund_key], []]))
        return case

    return draw()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", list(OPERATIONS))
def test_fuzz(world, label: str, role: str):
    from django.db import transaction

    operation = OPERATIONS[label]
    app = _app()
    auth = headers_for(world, role)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=_case_strategy(world, operation, role))
    def run(case):
        for name in list(case.headers or {}):
            if name.lower() in AUTH_HEADERS:
                del case.headers[name]
        # Each example starts from the same world: whatever it changed is rolled back (which also
        # recovers a PostgreSQL transaction that a failed statement aborted).
        savepoint = transaction.savepoint()
        try:
            response = case.call(app=app, headers=auth)
        finally:
            transaction.savepoint_rollback(savepoint)
        if STATS:
            with open(STATS, "a") as out:
                mode = case.meta.generation.mode.value if case.meta else "?"
                out.write(f"{label}\t{role}\t{mode}\t{response.status_code}\n")
        # No waivers: any 5xx, undeclared status or shape, or accepted invalid input fails.
        case.validate_response(response, checks=CHECKS, headers=auth)

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/products/abc", "/api/merchant/products/1.5/keys", "/api/no-such-endpoint"])
def test_a_malformed_path_in_the_api_is_answered_in_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/products", "/api/merchant/products", "/api/merchant/orders", "/api/merchant/refund-requests"])
def test_a_huge_page_number_is_not_a_server_error(world, path):
    from django.test import Client

    response = Client(headers={"Authorization": f"Bearer {world.bearer(world.merchant)}"}).get(path, {"page": "969920851225539072"})
    assert response.status_code in (200, 422)


@pytest.mark.django_db
@pytest.mark.parametrize("via", ["api", "page"])
def test_a_refund_request_naming_a_huge_key_id_is_refused(world, via):
    from django.test import Client

    from kadun.aftersales.models import RefundRequest

    huge = 10**20
    if via == "api":
        client = Client(headers={"Authorization": f"Bearer {world.bearer(world.buyer)}"})
        response = client.post(f"/api/orders/{world.auto_order.order_no}/refund-requests",
                               {"reason": "invalid_key", "key_ids": [huge]}, content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "invalid_keys"
    else:
        client = Client()
        client.force_login(world.buyer, backend="django.contrib.auth.backends.ModelBackend")
        response = client.post(f"/orders/{world.auto_order.order_no}/refund/", {"reason": "invalid_key", "key_ids": str(huge)})
        assert response.status_code == 400  # the order page again, the error in the refund form
    assert not RefundRequest.objects.filter(order=world.auto_order).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who, method, url, data", [
    ("merchant", "POST", "/api/merchant/products", {"title": "名称\x00", "price": 100}),
    ("anonymous", "POST", "/api/orders", {"product_id": 0, "quantity": 1, "contact": "a\x00@b.c", "query_password": "chaxun123"}),
    ("buyer", "GET", "/api/orders/2026%00", None),
    ("anonymous", "GET", "/?q=%00", None),
], ids=["api product title", "api order contact", "api order_no", "page storefront q"])
def test_a_nul_character_is_refused_not_a_server_error(world, who, method, url, data):
    import json

    from django.test import Client

    if data and data.get("product_id") == 0:
        data = {**data, "product_id": world.auto.pk}
    user = {"merchant": world.merchant, "buyer": world.buyer, "anonymous": None}[who]
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {world.bearer(user)}"} if user else {})
    response = client.generic(method, url, json.dumps(data) if data else "", content_type="application/json")
    assert response.status_code < 500


def test_every_operation_is_fuzzed():
    """The schema has the operations we expect (a router that fails to mount would shrink it)."""
    assert len(OPERATIONS) >= 30
    assert "POST /api/orders/{order_no}/refund-requests" in OPERATIONS
    assert "POST /api/merchant/refund-requests/{request_no}/respond" in OPERATIONS
    assert "GET /api/orders/{order_no}/cover" in OPERATIONS  # 售后保险 (the world's orders are its known order_no)
    assert "GET /api/staff/insurance/pool" in OPERATIONS
    assert "POST /api/orders/{order_no}/payment" in OPERATIONS  # 换一种支付方式 (the world's orders are paid: 409)
