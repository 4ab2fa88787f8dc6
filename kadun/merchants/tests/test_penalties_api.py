"""处罚 through the staff API (session only): risk staff propose, confirm with a fine, dismiss, and
an appeal is decided by someone other than whoever confirmed; other staff and API keys are
refused and nothing changes."""
import pytest
from django.test import Client

from conftest import make_shop, make_user
from kadun.merchants import penalties_appeals
from kadun.merchants.models import Penalty, PenaltyAppeal

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_risk_staff_propose_and_confirm_a_warning_with_a_fine_and_another_decides_the_appeal():
    shop = make_shop()
    first, second = make_user(staff_role="risk"), make_user(staff_role="risk")
    risk, other = _client(first), _client(second)
    proposed = _post(risk, "/api/staff/penalties", {"shop_id": shop.pk, "kind": "invalid_keys", "note": "买家反馈卡密已被使用"})
    assert proposed.status_code == 201 and proposed.json()["status"] == "proposed"
    pid = proposed.json()["id"]
    assert [p["id"] for p in risk.get("/api/staff/penalties").json()] == [pid]
    confirmed = _post(risk, f"/api/staff/penalties/{pid}/confirm", {"reason": "核实：卡密为转卖", "fine": 1000})
    assert confirmed.status_code == 200 and (confirmed.json()["level"], confirmed.json()["fine"]) == ("warning", 1000)
    appeal = penalties_appeals.appeal_file(shop=shop, penalty_id=pid, reason="卡密是买家自己用掉的")
    refused = _post(risk, f"/api/staff/penalty-appeals/{appeal.pk}/decide", {"overturn": True, "reason": "我来处理"})
    assert refused.status_code == 403 and refused.json()["code"] == "appeal_same_staff"
    decided = _post(other, f"/api/staff/penalty-appeals/{appeal.pk}/decide", {"overturn": False, "reason": "证据充分，维持"})
    assert decided.status_code == 200 and decided.json()["status"] == PenaltyAppeal.objects.get(pk=appeal.pk).status != "pending"


def test_a_proposal_is_dismissed_with_a_reason_and_not_without_one():
    shop = make_shop()
    risk = _client(make_user(staff_role="risk"))
    pid = _post(risk, "/api/staff/penalties", {"shop_id": shop.pk, "kind": "missed_deadlines"}).json()["id"]
    assert _post(risk, f"/api/staff/penalties/{pid}/dismiss", {"reason": " "}).status_code == 400
    dismissed = _post(risk, f"/api/staff/penalties/{pid}/dismiss", {"reason": "逾期系平台故障所致"})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"


@pytest.mark.parametrize("role", ["support", "arbitrator"])
def test_other_staff_are_refused_and_nothing_changes(role):
    shop = make_shop()
    pid = _post(_client(make_user(staff_role="risk")), "/api/staff/penalties", {"shop_id": shop.pk, "kind": "invalid_keys"}).json()["id"]
    client = _client(make_user(staff_role=role))
    assert client.get("/api/staff/penalties").status_code == 403
    response = _post(client, f"/api/staff/penalties/{pid}/confirm", {"reason": "x"})
    assert response.status_code == 403 and response.json()["code"] == "not_penalty_staff"
    assert Penalty.objects.get(pk=pid).status == "proposed"


def test_an_api_key_never_decides_a_penalty():
    from kadun.accounts.services import api_key_create

    risk_user = make_user(staff_role="risk")
    shop = make_shop()
    pid = _post(_client(risk_user), "/api/staff/penalties", {"shop_id": shop.pk, "kind": "invalid_keys"}).json()["id"]
    _key, token = api_key_create(user=risk_user, name="k", scopes=["merchant"])
    response = Client().post(f"/api/staff/penalties/{pid}/confirm", {"reason": "x"}, content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403 and response.json()["code"] == "session_required"
    assert Penalty.objects.get(pk=pid).status == "proposed"
