"""Fuzzing the API with schemathesis, in-process through the WSGI application (no server).

The schema is the one the app serves at /api/openapi.json. Every operation is fuzzed as each
kind of caller — anonymous, a buyer's API key, a merchant's API key, a guest holding an order's
``X-Order-Token``, and staff — with valid data (positive) and invalid data (negative). About half
of the examples use the path parameters of real objects in the world (orders, keys, products,
the refund request) so the handlers' happy paths are reached too, not only their 404s.

Every answer must be: no 5xx; a status code the operation declares; a declared content type;
a body that matches the declared schema; and invalid input answered with a 4xx.

Examples per operation and caller: ``KADUN_FUZZ_EXAMPLES`` (default 3, which keeps the file
well under 90 s on SQLite and PostgreSQL). Hypothesis keeps no example database here.
"""
from __future__ import annotations

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


def _schema():
    """The schema as served at /api/openapi.json (fetched through the WSGI app; no database)."""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


SCHEMA = _schema()
OPERATIONS = {f"{op.method.upper()} {op.path}": op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker) as w:
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


def routed(url: str) -> bool:
    """Whether Django routes the request's path to a view at all."""
    from urllib.parse import unquote, urlsplit

    from django.urls import Resolver404, resolve

    try:
        resolve(unquote(urlsplit(url).path))
    except Resolver404:
        return False
    return True


def headers_for(world, role: str) -> dict:
    if role == "anonymous":
        return {}
    if role == "guest":
        return {"X-Order-Token": world.guest_token}
    user = {"buyer": world.buyer, "merchant": world.merchant, "staff": world.staff["admin"]}[role]
    return {"Authorization": f"Bearer {world.bearer(user)}"}


def known_path_parameters(world, operation) -> dict:
    """For each path parameter, a strategy over the ids of real objects in the world."""
    orders = [world.auto_order, world.manual_order, world.delivered_order, world.refund_order, world.guest_order]
    values = {
        "order_no": [o.order_no for o in orders],
        "key_id": [world.auto_key, world.guest_key, world.refund_key],
        "product_id": [world.auto.pk, world.manual.pk, world.product_b.pk],
        "request_no": [world.refund.request_no],
    }
    names = [p.name for p in operation.path_parameters]
    if "key_id" in names and "order_no" not in names:  # DELETE /merchant/api-keys/{key_id}
        from kadun.accounts.models import ApiKey

        values["key_id"] = list(ApiKey.objects.order_by("id").values_list("id", flat=True))
    return {name: st.sampled_from(values[name]) for name in names}


def _case_strategy(world, operation):
    @st.composite
    def draw(d):
        mode = d(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
        fixed = {}
        if operation.path_parameters and d(st.booleans()):
            fixed = {name: d(strategy) for name, strategy in known_path_parameters(world, operation).items()}
        return d(operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))

    return draw()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", list(OPERATIONS))
def test_fuzz(world, label: str, role: str):
    from django.core.wsgi import get_wsgi_application

    operation = OPERATIONS[label]
    app = get_wsgi_application()
    auth = headers_for(world, role)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("KADUN_FUZZ_RANDOM") != "1",
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=_case_strategy(world, operation))
    def run(case):
        for name in list(case.headers or {}):
            if name.lower() in AUTH_HEADERS:
                del case.headers[name]
        response = case.call(app=app, headers=auth)
        checks = CHECKS
        if response.status_code == 404 and not routed(response.request.url):
            # Known bug (see test_a_malformed_path_in_the_api_is_answered_in_json): a path that
            # matches no API route — e.g. a non-integer {product_id} — gets the site's HTML 404.
            checks = [not_a_server_error, negative_data_rejection]
        with open("/tmp/fuzz-stats.txt", "a") as f:
            f.write(f"{label}\t{role}\t{case.meta.generation.mode.value if case.meta else '?'}\t{response.status_code}\t{response.text[:80]!r}\n")
        case.validate_response(response, checks=checks, headers=auth)

    run()


@pytest.mark.django_db
@pytest.mark.xfail(strict=True, reason=(
    "BUG: an /api/ path that matches no route (e.g. /api/products/abc, where the schema says "
    "{product_id} is an integer) is answered with the site's HTML 404 page, not the API's JSON "
    "{code, message} — fix in kadun/urls.py (a JSON 404 for unmatched /api/ paths) and remove this xfail"
))
@pytest.mark.parametrize("path", ["/api/products/abc", "/api/merchant/products/1.5/keys", "/api/no-such-endpoint"])
def test_a_malformed_path_in_the_api_is_answered_in_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_every_operation_is_fuzzed():
    """The schema has the operations we expect (a router that fails to mount would shrink it)."""
    assert len(OPERATIONS) >= 30
    assert "POST /api/orders/{order_no}/refund-requests" in OPERATIONS
    assert "POST /api/merchant/refund-requests/{request_no}/respond" in OPERATIONS
