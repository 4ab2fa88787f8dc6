"""The credit and penalties API."""
import pytest
from django.test import Client

from conftest import make_shop, make_user
from kadun.accounts.services import api_key_create
from kadun.merchants import penalties
from kadun.merchants.models import PenaltyAppeal
from kadun.reputation import services

pytestmark = pytest.mark.django_db


def _key(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_key_create(user=user, name='t')[1]}"}


def test_public_credit_and_the_merchants_own():
    shop = make_shop()
    services.score_recompute(shop_id=shop.pk)
    body = Client().get(f"/api/shops/{shop.pk}/credit").json()
    assert body["score"] == 700 and body["provisional"] and [c["key"] for c in body["components"]][:2] == ["on_time", "seller_fault"]
    assert Client().get("/api/shops/999999/credit").json()["code"] == "shop_not_found"
    assert Client().get("/api/merchant/credit", **_key(shop.owner)).json()["shop_id"] == shop.pk
    assert Client().get("/api/merchant/credit").status_code == 401
    assert Client().get("/api/merchant/credit", **_key(make_user())).status_code == 403


def test_contest_and_appeal_through_the_api():
    shop = make_shop()
    auth = _key(shop.owner)
    r = Client().post("/api/merchant/credit/contests", {"component": "rating", "reason": "差评来自恶意买家"}, content_type="application/json", **auth)
    assert r.status_code == 201 and r.json()["status"] == "open"
    bad = Client().post("/api/merchant/credit/contests", {"component": "nope", "reason": "x"}, content_type="application/json", **auth)
    assert bad.json()["code"] == "unknown_component"
    risk = make_user(staff_role="risk")
    p = penalties.penalty_propose(shop_id=shop.pk, kind="missed_deadlines", evidence={"breaches": [1, 2, 3]}, proposed_by=risk)
    penalties.penalty_confirm(penalty_id=p.pk, staff=risk, reason="30天内3次逾期")
    listed = Client().get("/api/merchant/penalties", **auth).json()
    assert listed[0]["level"] == "warning" and listed[0]["evidence"] == {"breaches": [1, 2, 3]} and listed[0]["rule"] == "penalties.missed_deadlines"
    r = Client().post(f"/api/merchant/penalties/{p.pk}/appeal", {"reason": "系统故障"}, content_type="application/json", **auth)
    assert r.status_code == 201 and PenaltyAppeal.objects.filter(penalty=p).exists()
    again = Client().post(f"/api/merchant/penalties/{p.pk}/appeal", {"reason": "再次"}, content_type="application/json", **auth)
    assert again.status_code == 409 and again.json()["code"] == "appeal_exists"
    other = Client().post(f"/api/merchant/penalties/{p.pk}/appeal", {"reason": "x"}, content_type="application/json", **_key(make_shop().owner))
    assert other.status_code == 404
