"""The permission matrix of the case API: every case endpoint × every kind of caller → the status
each must get, written out below, on the security world with its cases
(``tests/security/cases_world.py``).

Callers: ``owner`` (the order's buyer — for a guest's order, the guest with its
``X-Order-Token``), ``other_buyer``, ``merchant`` (shop A, which sold every order),
``other_merchant`` (shop B), ``anonymous``, and each staff role. The buyer's and merchant's
endpoints are called with bearer API keys (scopes ``buyer`` and ``merchant``: a key never acts
as staff); the platform's endpoints take the website's session only, so their rows log each
caller in (and two rows show that keys are refused there).

For every cell: the status; no card key's plaintext for anyone but the owner; an internal note's
text for nobody but staff on the platform's endpoints; every error code listed in the endpoint's
OpenAPI entry (``ApiClient``). For every write: it changes something for the callers it is meant
for, and nothing at all (cases, threads, offers, decisions, events, refunds, the ledger, the
inbox) for everyone else.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import pytest

from kadun.cases.tests.apiclient import ApiClient
from tests.security import STAFF_ROLES, shared_world
from tests.security.cases_world import NOTE, NOTE_PUBLIC, REASONS, STATEMENT, case_state

ACTORS = ("owner", "other_buyer", "merchant", "other_merchant", "anonymous", *STAFF_ROLES)
SUPPORTERS = ("support", "arbitrator", "admin")
ARBITERS = ("arbitrator", "admin")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_world(django_db_blocker, cases=True) as w:
        yield w


def E(*, owner: int, other_buyer: int, merchant: int, other_merchant: int, anonymous: int, staff: int, **per_role: int) -> dict:
    expected = {"owner": owner, "other_buyer": other_buyer, "merchant": merchant, "other_merchant": other_merchant, "anonymous": anonymous}
    expected.update({role: per_role.pop(role, staff) for role in STAFF_ROLES})
    assert not per_role, per_role
    return expected


@dataclass(frozen=True)
class Row:
    id: str
    via: str  # "api": bearer keys (a guest owner: X-Order-Token); "session": each caller logged in
    method: str
    url: Callable
    expect: dict
    guest: Callable | None = None  # the owner is a guest holding this token
    data: Callable | None = None
    writers: tuple = ()  # the callers whose write is meant to change something
    marker: Callable | None = None  # a string only ``sees`` may find in a 2xx list
    sees: tuple = ()


# The sides' endpoints (keys): the order's buyer and merchant see a case; everyone else 404 —
# staff too: through a key they are just users who did not buy the order.
SEE = E(owner=200, other_buyer=404, merchant=200, other_merchant=404, anonymous=404, staff=404)
NOBODY = E(owner=404, other_buyer=404, merchant=404, other_merchant=404, anonymous=404, staff=404)


def BUYER_ACTS(ok: int) -> dict:
    return E(owner=ok, other_buyer=404, merchant=403, other_merchant=404, anonymous=404, staff=404)


def BOTH_ACT(ok: int) -> dict:
    return E(owner=ok, other_buyer=404, merchant=ok, other_merchant=404, anonymous=404, staff=404)


def MERCHANT(ok: int, *, guest: bool = False) -> dict:
    # /merchant/...: 401 without credentials (a guest's token is none), 403 without a shop, 404 another shop's.
    return E(owner=401 if guest else 403, other_buyer=403, merchant=ok, other_merchant=404, anonymous=401, staff=403)


# The platform's endpoints (sessions): 401 without a login, 403 staff_only for everyone else.
STAFF_SEE = E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=200)
KEYS_REFUSED = E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=403)


def SUPPORT_ACTS(ok: int) -> dict:
    return E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=ok, risk=403)


def ARBITER_ACTS(ok: int) -> dict:
    return E(owner=403, other_buyer=403, merchant=403, other_merchant=403, anonymous=401, staff=ok, support=403, risk=403)


def _case(attr: str, tail: str = "") -> Callable:
    return lambda w: f"/api/cases/{getattr(w.cases, attr).case_no}{tail}"


def _staff(attr: str, tail: str = "") -> Callable:
    return lambda w: f"/api/staff/cases/{getattr(w.cases, attr).case_no}{tail}"


def _order(attr: str, tail: str) -> Callable:
    return lambda w: f"/api/orders/{getattr(w.cases, attr).order_no}{tail}"


OPEN_BODY = lambda w: {"kind": "key_problem", "statement": STATEMENT}  # noqa: E731
DECIDE_BODY = lambda w: {"remedy": "full_refund", "fault": "merchant", "reasons": REASONS, "clauses": [1]}  # noqa: E731

ROWS = [
    # --- the buyer and the merchant, with API keys ------------------------------------------------
    Row("case detail", "api", "GET", _case("waiting"), SEE),
    Row("case detail (guest)", "api", "GET", _case("guest_case"), SEE, guest=lambda w: w.cases.guest_case_token),
    Row("case messages", "api", "GET", _case("waiting", "/messages"), SEE),
    Row("order cases", "api", "GET", lambda w: f"/api/orders/{w.cases.waiting_order.order_no}/cases", SEE),
    Row("order messages", "api", "GET", lambda w: f"/api/orders/{w.cases.waiting_order.order_no}/messages", SEE),
    Row("attachment", "api", "GET", lambda w: f"/api/cases/attachments/{w.cases.public_attachment}", SEE),
    Row("attachment of an internal note", "api", "GET", lambda w: f"/api/cases/attachments/{w.cases.note_attachment}", NOBODY),
    Row("open a case", "api", "POST", _order("bare_order", "/cases"), BUYER_ACTS(201), data=OPEN_BODY, writers=("owner",)),
    Row("open a case (guest)", "api", "POST", _order("guest_bare_order", "/cases"), BUYER_ACTS(201), guest=lambda w: w.cases.guest_bare_token,
        data=OPEN_BODY, writers=("owner",)),
    Row("draft", "api", "GET", _order("bare_order", "/cases/draft?kind=key_problem"), BUYER_ACTS(200)),
    Row("escalate a refund request", "api", "POST", lambda w: f"/api/refund-requests/{w.cases.rejected_request.request_no}/escalate",
        BUYER_ACTS(201), data=lambda w: {"statement": "商家拒绝退款，但卡密确实无法使用"}, writers=("owner",)),
    Row("my cases", "api", "GET", lambda w: "/api/cases", E(owner=200, other_buyer=200, merchant=200, other_merchant=200, anonymous=401, staff=200),
        marker=lambda w: w.cases.waiting.case_no, sees=("owner",)),
    Row("post a message", "api", "POST", lambda w: f"/api/orders/{w.cases.waiting_order.order_no}/messages", BOTH_ACT(201),
        data=lambda w: {"body": "补充说明：充值页面提示已使用"}, writers=("owner", "merchant")),
    Row("post a message (guest)", "api", "POST", lambda w: f"/api/orders/{w.cases.guest_case.order.order_no}/messages", BOTH_ACT(201),
        guest=lambda w: w.cases.guest_case_token, data=lambda w: {"body": "补充说明：充值页面提示已使用"}, writers=("owner", "merchant")),
    Row("ask the platform", "api", "POST", _case("talking", "/ask-platform"), BOTH_ACT(200), writers=("owner", "merchant")),
    Row("withdraw", "api", "POST", _case("waiting", "/withdraw"), BUYER_ACTS(200), writers=("owner",)),
    Row("accept an offer", "api", "POST", lambda w: f"/api/cases/{w.cases.offered.case_no}/offers/{w.cases.offer_id}/accept",
        BUYER_ACTS(200), writers=("owner",)),
    Row("reject an offer", "api", "POST", lambda w: f"/api/cases/{w.cases.offered.case_no}/offers/{w.cases.offer_id}/reject",
        BUYER_ACTS(200), data=lambda w: {"note": "太少了"}, writers=("owner",)),
    # The buyer lost (rejected): only the buyer may appeal (the merchant: 403) or waive (the merchant has nothing to waive: 409).
    Row("appeal", "api", "POST", _case("decided", "/appeal"), {**BUYER_ACTS(200), "merchant": 403},
        data=lambda w: {"statement": "我有充值失败的截图，请复核"}, writers=("owner",)),
    Row("waive the appeal", "api", "POST", _case("decided", "/waive-appeal"), {**BUYER_ACTS(200), "merchant": 409}, writers=("owner",)),
    Row("merchant cases", "api", "GET", lambda w: "/api/merchant/cases", {**MERCHANT(200), "other_merchant": 200},
        marker=lambda w: w.cases.waiting.case_no, sees=("merchant",)),
    Row("merchant offer", "api", "POST", lambda w: f"/api/merchant/cases/{w.cases.waiting.case_no}/offers", MERCHANT(201),
        data=lambda w: {"remedy": "full_refund"}, writers=("merchant",)),
    Row("merchant offer (guest's case)", "api", "POST", lambda w: f"/api/merchant/cases/{w.cases.guest_case.case_no}/offers",
        MERCHANT(201, guest=True), guest=lambda w: w.cases.guest_case_token, data=lambda w: {"remedy": "full_refund"}, writers=("merchant",)),
    Row("merchant fulfil", "api", "POST", lambda w: f"/api/merchant/cases/{w.cases.replacing.case_no}/fulfil", MERCHANT(200),
        data=lambda w: {"note": "已重新代充到账"}, writers=("merchant",)),
    # --- the platform, with sessions ------------------------------------------------------------
    Row("staff queue", "session", "GET", lambda w: "/api/staff/cases", STAFF_SEE, marker=lambda w: w.cases.reviewing.case_no, sees=STAFF_ROLES),
    Row("staff case", "session", "GET", _staff("reviewing"), STAFF_SEE),
    Row("staff sla", "session", "GET", lambda w: "/api/staff/sla?days=30", STAFF_SEE),
    Row("staff assign", "session", "POST", _staff("reviewing", "/assign"), SUPPORT_ACTS(200), data=lambda w: {}, writers=SUPPORTERS),
    Row("staff note", "session", "POST", _staff("reviewing", "/notes"), SUPPORT_ACTS(201), data=lambda w: {"body": NOTE}, writers=SUPPORTERS),
    Row("staff message", "session", "POST", _staff("reviewing", "/messages"), SUPPORT_ACTS(201), data=lambda w: {"body": NOTE_PUBLIC},
        writers=SUPPORTERS),
    Row("staff evidence request", "session", "POST", _staff("reviewing", "/evidence-requests"), SUPPORT_ACTS(201),
        data=lambda w: {"party": "merchant", "text": "请提供该卡密的进货凭证"}, writers=SUPPORTERS),
    Row("staff decide", "session", "POST", _staff("reviewing", "/decide"), ARBITER_ACTS(201), data=DECIDE_BODY, writers=ARBITERS),
    Row("staff appeal decision", "session", "POST", _staff("appealed", "/appeal-decision"), ARBITER_ACTS(201),
        data=lambda w: {"remedy": "rejected", "fault": "buyer", "reasons": "复核：卡密出库时有效，维持驳回", "clauses": [1]}, writers=ARBITERS),
    Row("staff resolve", "session", "POST", _staff("inquiry", "/resolve"), SUPPORT_ACTS(200), data=lambda w: {"note": "全区通用，在官网兑换即可"},
        writers=SUPPORTERS),
    # Sessions on the sides' endpoints: staff read what both sides see; a note's image only staff.
    Row("case detail (sessions)", "session", "GET", _case("waiting"), {**SEE, **{r: 200 for r in STAFF_ROLES}}),
    Row("attachment of an internal note (sessions)", "session", "GET", lambda w: f"/api/cases/attachments/{w.cases.note_attachment}",
        {**NOBODY, **{r: 200 for r in STAFF_ROLES}}),
    Row("staff message through the sides' endpoint (sessions)", "session", "POST",
        lambda w: f"/api/orders/{w.cases.waiting_order.order_no}/messages", {**BOTH_ACT(201), **{r: 403 for r in STAFF_ROLES}},
        data=lambda w: {"body": NOTE_PUBLIC}, writers=("owner", "merchant")),
    # Keys on the platform's endpoints: refused, whoever holds them.
    Row("staff case with a key", "api", "GET", _staff("reviewing"), KEYS_REFUSED),
    Row("staff decide with a key", "api", "POST", _staff("reviewing", "/decide"), KEYS_REFUSED, data=DECIDE_BODY),
]


def _user_of(w, actor: str):
    users = {"owner": w.buyer, "other_buyer": w.other_buyer, "merchant": w.merchant, "other_merchant": w.other_merchant, "anonymous": None}
    return users[actor] if actor in users else w.staff[actor]


def client_for(w, row: Row, actor: str) -> ApiClient:
    if actor == "owner" and row.guest is not None:
        return ApiClient(headers={"X-Order-Token": row.guest(w)})
    user = _user_of(w, actor)
    if row.via == "api":
        return ApiClient(headers={"Authorization": f"Bearer {w.bearer(user)}"} if user else {})
    client = ApiClient()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def send(client, row: Row, w):
    url = row.url(w)
    if row.method == "GET":
        return client.get(url)
    data = row.data(w) if row.data else None
    return client.generic(row.method, url, json.dumps(data) if data is not None else "", content_type="application/json")


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return content.decode("utf-8", errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_case_matrix(world, row: Row, actor: str):
    client = client_for(world, row, actor)
    unsafe = row.method != "GET"
    before = case_state() if unsafe else None

    response = send(client, row, world)
    body = body_of(response)

    expected = row.expect[actor]
    assert response.status_code == expected, f"{row.id} as {actor}: {response.status_code} != {expected}: {body[:300]}"
    if actor != "owner":
        assert not any(secret in body for secret in world.secrets), f"{row.id} as {actor}: a card key's plaintext"
    if not (actor in STAFF_ROLES and row.via == "session"):
        assert NOTE not in body, f"{row.id} as {actor}: an internal note's text is in the answer"
    if row.marker is not None and 200 <= response.status_code < 300:
        shown = row.marker(world) in body
        assert shown == (actor in row.sees), f"{row.id} as {actor}: marker shown={shown}"
    if unsafe:
        after = case_state()
        if actor in row.writers:
            assert after != before, f"{row.id} as {actor}: accepted but nothing changed"
        else:
            changed = sorted(k for k in before if before[k] != after[k])
            assert not changed, f"{row.id} as {actor}: refused but changed {changed}"


def test_every_row_names_every_caller_and_its_writers_succeed():
    for row in ROWS:
        assert set(row.expect) == set(ACTORS), row.id
        assert all(200 <= row.expect[actor] < 300 for actor in row.writers), row.id


@pytest.mark.django_db
def test_every_case_endpoint_has_a_row(world):
    """A new case endpoint must join the matrix: each operation of the case API is some row's."""
    from django.test import Client

    from kadun.cases.tests.apiclient import operation_of

    schema = Client().get("/api/openapi.json").json()
    case_ops = {op["operationId"] for methods in schema["paths"].values() for op in methods.values()
                if op["operationId"].startswith("kadun_cases_api_")}
    covered = {(operation_of(row.method, row.url(world).split("?")[0]) or {}).get("operationId") for row in ROWS}
    assert case_ops - covered == set()


# Outside the table ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guest_token_opens_nothing_of_the_buyers_cases(world):
    c = world.cases
    guest = ApiClient(headers={"X-Order-Token": c.guest_case_token})
    before = case_state()
    for url in (f"/api/cases/{c.waiting.case_no}", f"/api/cases/{c.waiting.case_no}/messages", f"/api/cases/attachments/{c.public_attachment}",
                f"/api/orders/{c.waiting_order.order_no}/cases"):
        assert guest.get(url).status_code == 404, url
    assert guest.post(f"/api/orders/{c.waiting_order.order_no}/messages", json.dumps({"body": "我不是这个订单的买家"}),
                      content_type="application/json").status_code == 404
    assert guest.post(f"/api/cases/{c.waiting.case_no}/withdraw").status_code == 404
    assert case_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("row", [r for r in ROWS if r.via == "session" and r.method == "POST"], ids=lambda r: r.id)
def test_a_staff_write_without_csrf_is_refused_and_changes_nothing(world, row):
    """The platform's endpoints take sessions, the credential a forged cross-site request borrows."""
    actor = next(a for a in row.writers if a in STAFF_ROLES) if any(a in STAFF_ROLES for a in row.writers) else row.writers[0]
    client = client_for(world, row, actor)
    client.handler.enforce_csrf_checks = True
    before = case_state()
    response = send(client, row, world)
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert case_state() == before
