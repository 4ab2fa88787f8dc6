"""The merchant's answers are the ones the order's frozen rules allow (``engine.merchant_answers``):
every (remedy × reason × answer) cell through the service, the API over HTTP and the merchant's
page — allowed answers go through; any other is refused citing the clause, and nothing changes
(request still awaiting, no refund, no deadline, keys untouched). Deadlines and 补发 of a promise
cannot reach an answer the rules refuse."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.accounts.services import api_key_create
from kadun.aftersales import engine, services
from kadun.aftersales.errors import ActionNotAllowed, RequestClosed
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.states import RequestStatus
from kadun.backoffice.selectors import platform_check
from kadun.core import clock
from kadun.deadlines.models import Deadline
from kadun.deadlines.services import deadlines_sweep_all
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.notifications.services import outbox_deliver_all
from kadun.orders.services import order_accept, order_deliver
from kadun.payments.models import Refund

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACTIONS = ("approve", "partial", "replace", "promise", "reject")
ALL = set(ACTIONS)
# (kind of request, defect_remedy) → the answers the rules allow (docs/refunds.md).
ALLOWED = {
    ("invalid_key", "refund"): {"approve", "reject"},
    ("invalid_key", "replace"): {"approve", "replace", "promise", "reject"},
    ("invalid_key", "refund_or_replace"): {"approve", "replace", "promise", "reject"},
    ("not_as_described", "refund"): {"approve", "partial", "reject"},
    ("not_as_described", "replace"): ALL,
    ("not_as_described", "refund_or_replace"): ALL,
    ("service_delivered", "refund_or_replace"): {"approve", "partial", "reject"},
    ("service_in_progress", "refund_or_replace"): {"approve", "partial", "reject"},
}
CELLS = [(kind, remedy, action) for (kind, remedy) in ALLOWED for action in ACTIONS]
INPUTS = {"approve": {}, "partial": {"amount": 300}, "replace": {}, "promise": {"hours": 2}, "reject": {"note": "卡密经核实可以正常使用"}}
AFTER = {
    "approve": RequestStatus.APPROVED,
    "partial": RequestStatus.PARTIALLY_APPROVED,
    "replace": RequestStatus.REPLACED,
    "promise": RequestStatus.AWAITING_REPLACEMENT,
    "reject": RequestStatus.REJECTED,
}


@pytest.fixture(autouse=True)
def _ledger_clean_after_each_scenario(db):
    yield
    outbox_deliver_all()
    report = platform_check()
    assert report.ok, report.problems


def _awaiting(kind: str, remedy: str, shop=None) -> RefundRequest:
    """A request of ``kind`` the engine sent to the merchant, on an order under ``remedy``."""
    shop = shop or make_shop()
    if kind.startswith("service"):
        product = make_product(shop, delivery="manual", price=1000)
        order = pay(buy(product, buyer_inputs={"account": "uid-1"})[0])
        order_accept(order=order, shop=shop)
        if kind == "service_delivered":
            order_deliver(order=order, shop=shop, note="已完成")
        request = services.refund_request_create(order=order, reason="not_as_described", statement="没有做完")
    else:
        product = make_product(shop, keys=3, price=1000, refund_rules={"defect_remedy": remedy})
        order = pay(buy(product)[0])
        key = CardKey.objects.get(order=order)
        key_reveal(order=order, key_id=key.pk, actor="guest")
        request = services.refund_request_create(
            order=order, reason=kind, statement="提示已被使用", key_ids=[key.pk], images=[SimpleUploadedFile("s.png", PNG)]
        )
    assert request.status == RequestStatus.AWAITING_MERCHANT, request.explanation
    return request


def _state(request: RefundRequest) -> tuple:
    """What a refused answer must leave as it was."""
    request.refresh_from_db()
    order = request.order
    order.refresh_from_db()
    keys = list(CardKey.objects.filter(order=order).order_by("id").values_list("id", "status"))
    deadlines = sorted(Deadline.objects.filter(fired_at__isnull=True).values_list("kind", "subject_id"))
    return (request.status, request.amount_refunded, order.status, order.refunded_amount, order.refund_hold,
            balance_of(codes.escrow(order.pk)), Refund.objects.filter(order=order).count(), keys, deadlines)


def _clause_cited(request: RefundRequest, kind: str) -> int:
    clause_id = {"invalid_key": "defect", "not_as_described": "not_as_described",
                 "service_delivered": "not_as_described", "service_in_progress": "milestones"}[kind]
    return next(c["no"] for c in request.order.policy_snapshot["clauses"] if c["id"] == clause_id)


# --- the engine -----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "remedy"), list(ALLOWED))
def test_the_engine_allows_the_answers_of_the_table(kind, remedy):
    request = _awaiting(kind, remedy)
    order = request.order

    answers = engine.merchant_answers(snapshot=order.policy_snapshot, delivery=order.delivery, reason=request.reason, cited=tuple(request.clauses))

    assert set(answers.actions) == ALLOWED[(kind, remedy)]
    assert answers.clause_no == _clause_cited(request, kind)


@pytest.mark.parametrize(("remedy", "said"), [("refund", "（退款）"), ("replace", "（补发）"), ("refund_or_replace", "（退款或补发）")])
def test_the_decision_tells_the_buyer_the_remedy_of_their_rules(remedy, said):
    request = _awaiting("invalid_key", remedy)

    assert said in request.explanation
    if remedy == "refund":
        assert "补发" not in request.explanation


# --- the service ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "remedy", "action"), CELLS)
def test_the_service_takes_only_allowed_answers(kind, remedy, action):
    request = _awaiting(kind, remedy)
    before = _state(request)
    shop = request.order.shop

    if action in ALLOWED[(kind, remedy)]:
        answered = services.refund_request_respond(request=request, shop=shop, action=action, **INPUTS[action])
        assert answered.status == AFTER[action]
        return
    with pytest.raises(ActionNotAllowed) as refused:
        services.refund_request_respond(request=request, shop=shop, action=action, **INPUTS[action])

    assert refused.value.code == "action_not_allowed" and refused.value.status == 400
    assert refused.value.message.startswith(f"依据退款规则第{_clause_cited(request, kind)}条")
    assert _state(request) == before


def test_under_refund_only_a_dead_key_cannot_get_a_promise_and_so_nothing_to_fulfil():
    """The report: a merchant under 「退款」 promised a 72 h replacement."""
    request = _awaiting("invalid_key", "refund")
    shop = request.order.shop
    before = _state(request)

    with pytest.raises(ActionNotAllowed) as refused:
        services.refund_request_respond(request=request, shop=shop, action="promise", hours=72)
    with pytest.raises(RequestClosed):
        services.refund_request_fulfil(request=request, shop=shop)

    assert "「退款」" in refused.value.message and "「同意全额退款」、「拒绝」" in refused.value.message
    assert _state(request) == before


@pytest.mark.parametrize("remedy", ["refund", "replace", "refund_or_replace"])
def test_a_silent_merchant_is_refunded_in_full_which_every_remedy_allows(remedy):
    request = _awaiting("invalid_key", remedy)
    order = request.order
    assert "approve" in engine.merchant_answers(snapshot=order.policy_snapshot, delivery=order.delivery, reason=request.reason).actions

    clock.advance(dt.timedelta(hours=25))
    deadlines_sweep_all()

    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == RequestStatus.APPROVED_BY_DEFAULT and order.refunded_amount == 1000
    assert not CardKey.objects.filter(order=order, status="sold").exists()  # refunded, not replaced


def test_a_kept_promise_replaces_and_a_broken_one_refunds_where_the_rules_name_replacement():
    kept, broken = _awaiting("invalid_key", "replace"), _awaiting("invalid_key", "replace")
    for request in (kept, broken):
        services.refund_request_respond(request=request, shop=request.order.shop, action="promise", hours=2)

    assert services.refund_request_fulfil(request=kept, shop=kept.order.shop).status == RequestStatus.REPLACED
    clock.advance(dt.timedelta(hours=3))
    deadlines_sweep_all()

    broken.refresh_from_db()
    assert broken.status == RequestStatus.BREACH_REFUNDED and broken.amount_refunded == 1000


# --- the API --------------------------------------------------------------------------------


def _bearer(user) -> dict:
    _key, secret = api_key_create(user=user, name="test")
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize(("kind", "remedy", "action"), CELLS)
def test_the_api_lists_the_allowed_answers_and_refuses_the_others(kind, remedy, action):
    request = _awaiting(kind, remedy)
    merchant = Client(headers=_bearer(request.order.shop.owner))
    url = f"/api/merchant/refund-requests/{request.request_no}"
    before = _state(request)

    listed = merchant.get(url).json()["allowed_actions"]
    response = merchant.post(f"{url}/respond", {"action": action, **INPUTS[action]}, content_type="application/json")

    assert set(listed) == ALLOWED[(kind, remedy)]
    assert listed == [a for a in ACTIONS if a in listed]  # in the table's order
    if action in ALLOWED[(kind, remedy)]:
        assert response.status_code == 200 and response.json()["status"] == AFTER[action]
        assert response.json()["allowed_actions"] == []  # answered: nothing left to choose
        return
    assert response.status_code == 400
    assert response.json()["code"] == "action_not_allowed"
    assert response.json()["message"].startswith(f"依据退款规则第{_clause_cited(request, kind)}条")
    assert _state(request) == before


def test_the_buyer_sees_the_same_allowed_answers(db):
    request = _awaiting("invalid_key", "refund")
    token_order = request.order
    buyer = make_user()
    # a logged-in buyer's order, same rules
    product = make_product(token_order.shop, keys=2, refund_rules={"defect_remedy": "refund"})
    order = pay(buy(product, buyer=buyer)[0])
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer)
    mine = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[SimpleUploadedFile("s.png", PNG)])

    seen = Client(headers=_bearer(buyer)).get(f"/api/refund-requests/{mine.request_no}").json()

    assert seen["allowed_actions"] == ["approve", "reject"]


def test_openapi_lists_allowed_actions_and_the_refusal_code(db):
    spec = Client().get("/api/openapi.json").json()

    assert "allowed_actions" in spec["components"]["schemas"]["RefundRequestOut"]["properties"]
    assert "action_not_allowed" in spec["paths"]["/api/merchant/refund-requests/{request_no}/respond"]["post"]["description"]


# --- the merchant's page --------------------------------------------------------------------


def _offered(body: str) -> set[str]:
    """The answers the page's 处理 card has a form for (it ends where the frozen rules begin)."""
    if 'id="actions"' not in body:
        return set()
    card = body.split('id="actions"', 1)[1].split("<h2>", 1)[0]
    return set(re.findall(r'<input type="hidden" name="action" value="(\w+)">', card))


@pytest.mark.parametrize(("kind", "remedy", "action"), CELLS)
def test_the_page_offers_only_allowed_answers_and_a_forged_post_changes_nothing(kind, remedy, action):
    request = _awaiting(kind, remedy)
    client = Client()
    client.force_login(request.order.shop.owner)
    url = reverse("aftersales:merchant_request", args=[request.request_no])
    before = _state(request)

    page = client.get(url).content.decode()
    data = {"action": action, **INPUTS[action]}
    if action == "partial":
        data["amount"] = "3.00"  # yuan on the page
    response = client.post(url, data)

    assert _offered(page) == ALLOWED[(kind, remedy)]
    if action in ALLOWED[(kind, remedy)]:
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.status == AFTER[action]
        return
    assert response.status_code == 400
    assert f"依据退款规则第{_clause_cited(request, kind)}条" in response.content.decode()
    assert _state(request) == before
