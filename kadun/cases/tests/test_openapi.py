"""The served OpenAPI document (GET /api/openapi.json) against the case API's routers: every
operation is there, with each of its error statuses listing the codes the endpoint declares; and
every error code the case services can raise is listed by some endpoint."""
from __future__ import annotations

import pathlib
import re

import pytest
from django.test import Client

from kadun.cases.api import merchant, parties, staff

ROUTERS = (parties.router, merchant.router, staff.router)
CASES_DIR = pathlib.Path(__file__).resolve().parent.parent
# Codes the services can raise that the API's input schemas refuse first (422 invalid_input):
# the kind, fault and party are enums in the request body.
REFUSED_BY_THE_SCHEMA = {"invalid_kind", "invalid_fault", "invalid_party"}


@pytest.fixture(scope="module")
def schema():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations():
    for router in ROUTERS:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    yield "/api" + re.sub(r"\{\w+:(\w+)\}", r"{\1}", path), method.lower(), operation


OPERATIONS = list(_operations())


def test_the_case_api_has_its_endpoints():
    assert len(OPERATIONS) == 29


@pytest.mark.parametrize("path, method, operation", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_each_operation_is_served_with_its_error_codes(schema, path, method, operation):
    served = schema["paths"][path][method]
    declared = {status: entry["x-error-codes"] for status, entry in operation.openapi_extra["responses"].items() if status >= 400}
    errors = {int(status): entry for status, entry in served["responses"].items() if int(status) >= 400}

    assert set(errors) == {s for s in operation.response_models if isinstance(s, int) and s >= 400} == set(declared)
    for status, entry in errors.items():
        assert entry["x-error-codes"] == declared[status] and entry["x-error-codes"], (status, entry)
        assert all(f"`{code}`" in entry["description"] for code in entry["x-error-codes"])
        schema_ref = entry["content"]["application/json"]["schema"]["$ref"]
        assert schema_ref.endswith("/ValidationErrorOut" if status == 422 else "/ErrorOut")
    assert served["summary"] and served.get("description", served["summary"])


@pytest.mark.parametrize("path, method, operation", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS])
def test_each_operation_says_who_may_call(schema, path, method, operation):
    codes = {code for entry in schema["paths"][path][method]["responses"].values() for code in entry.get("x-error-codes", [])}
    if path.startswith("/api/staff/"):
        assert {"unauthorized", "session_required", "staff_only"} <= codes
    elif path.startswith("/api/merchant/"):
        assert {"unauthorized", "not_a_merchant", "api_key_scope"} <= codes
    else:
        assert {"invalid_api_key", "api_key_scope", "csrf_failed"} <= codes
    if method == "post":
        assert any(p["name"] == "Idempotency-Key" for p in schema["paths"][path][method]["parameters"])
        assert "invalid_input" in codes  # an Idempotency-Key over 64 characters, at least


def test_every_code_the_case_services_raise_is_listed_by_an_endpoint(schema):
    from kadun.cases import errors

    classes = {name: cls for name, cls in vars(errors).items() if isinstance(cls, type) and cls.__module__ == errors.__name__}
    raised = set()
    for source in (p.read_text() for p in CASES_DIR.glob("*.py")):
        for name, cls in classes.items():
            raised |= set(re.findall(rf'\b{name}\(\s*"([a-z_]+)"', source))  # raised with a code of its own
            if re.search(rf'\b{name}\((\)|message=)', source):
                raised.add(cls.code)  # raised with the class's code
    listed = {code for path, methods in schema["paths"].items() for op in methods.values()
              if op["operationId"].startswith("kadun_cases_api_") for entry in op["responses"].values() for code in entry.get("x-error-codes", [])}
    assert raised - REFUSED_BY_THE_SCHEMA - listed == set()
    assert raised >= {"case_open", "case_state", "case_forbidden", "escalation_too_early", "same_arbitrator", "statement_required", "offer_closed"}


def test_no_other_schema_of_the_api_shares_a_name_with_a_case_schema(schema):
    """OpenAPI components are named by class: a case schema named like another app's would
    replace it in the document (an EventOut once described orders' events as a case's)."""
    import ninja

    from kadun.cases import schemas

    def every(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from every(sub)

    ours = {name for name, cls in vars(schemas).items() if isinstance(cls, type) and issubclass(cls, ninja.Schema) and cls.__module__ == schemas.__name__}
    others = {cls.__name__ for cls in every(ninja.Schema) if cls.__module__.startswith("kadun.") and cls.__module__ != schemas.__name__}
    assert ours & others == set()


def test_the_case_endpoints_refer_only_to_their_own_components(schema):
    """Every component a case operation points to (through its parameters, body and answers, and
    on through the components themselves) is a case schema or the shared error shapes — never
    another app's class that happens to have the same name (aftersales' ``Outcome`` enum, say)."""
    import ninja

    from kadun.cases import schemas

    ours = {name for name, cls in vars(schemas).items() if isinstance(cls, type) and issubclass(cls, ninja.Schema)}
    allowed = ours | {f"Paged{name}" for name in ours} | {"ErrorOut", "ValidationErrorOut"}
    components = schema["components"]["schemas"]
    seen: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[-1] not in seen:
                seen.add(ref.rsplit("/", 1)[-1])
                walk(components[ref.rsplit("/", 1)[-1]])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path, method, _operation in OPERATIONS:
        walk(schema["paths"][path][method])
    assert seen - allowed == set()
    assert {"CaseOut", "StaffCaseOut", "CaseMessageOut", "ErrorOut"} <= seen
