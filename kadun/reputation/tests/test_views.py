"""The credit pages and the penalties console through HTTP."""
import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_shop, make_user
from kadun.core import clock
from kadun.merchants import penalties
from kadun.merchants.models import Penalty, PenaltyAppeal, Shop
from kadun.reputation import services
from kadun.reputation.models import ScoreContest
from tests.credit_data import confirmed_orders

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def shop():
    shop = make_shop()
    Shop.objects.filter(pk=shop.pk).update(created_at=clock.now() - dt.timedelta(days=400))
    confirmed_orders(shop, 30)
    services.score_recompute(shop_id=shop.pk)
    return shop


def test_public_credit_page_shows_the_breakdown_and_the_warning(shop):
    risk = make_user(staff_role="risk")
    p = penalties.penalty_propose(shop_id=shop.pk, kind="refund_refusal", evidence={"orders": [5]}, proposed_by=risk)
    penalties.penalty_confirm(penalty_id=p.pk, staff=risk, reason="拒绝规则退款")
    services.score_recompute(shop_id=shop.pk)
    body = Client().get(reverse("reputation:shop_credit", args=[shop.pk])).content.decode()
    score = int(re.search(r'id="credit-score"[^>]*>(\d+)<', body).group(1))
    assert score == shop.score.__class__.objects.get(shop=shop).score
    assert 'id="component-seller_fault"' in body and "拒绝规则规定的退款" in body and "<svg" in body
    assert "1000 × Σ" in body  # the formula, with numbers from settings
    assert Client().get(reverse("reputation:shop_credit", args=[999999])).status_code == 404


def test_merchant_sees_how_to_raise_it_and_appeals_through_the_form(shop):
    risk = make_user(staff_role="risk")
    p = penalties.penalty_propose(shop_id=shop.pk, kind="invalid_keys", evidence={"orders": [5]}, proposed_by=risk)
    penalties.penalty_confirm(penalty_id=p.pk, staff=risk, reason="转卖卡密")
    merchant = _client(shop.owner)
    body = merchant.get(reverse("reputation:merchant_credit")).content.decode()
    assert "如何提高" in body and "提交申诉" in body
    r = merchant.post(reverse("penalties:appeal_new", args=[p.pk]), {"reason": "卡密由上游提供，附凭证"})
    assert r.status_code == 302 and PenaltyAppeal.objects.filter(penalty=p).exists()
    other = _client(make_shop().owner)
    assert other.post(reverse("penalties:appeal_new", args=[p.pk]), {"reason": "x"}).status_code == 404


def test_merchant_contests_a_component_and_staff_answer(shop):
    merchant = _client(shop.owner)
    merchant.post(reverse("reputation:contest_new"), {"component": "intervention", "reason": "工单 C1 为买家误开"})
    contest = ScoreContest.objects.get(shop=shop)
    risk = _client(make_user(staff_role="risk"))
    assert "工单 C1 为买家误开" in risk.get(reverse("penalties:queue")).content.decode()
    risk.post(reverse("reputation:contest_answer", args=[contest.pk]), {"accept": "0", "answer": "该工单为商家责任"})
    contest.refresh_from_db()
    assert contest.status == "rejected"


def test_staff_confirm_a_proposal_and_another_decides_the_appeal(shop):
    proposal = penalties.penalty_propose(shop_id=shop.pk, kind="fraud", evidence={"orders": [7]})
    first, second = make_user(staff_role="risk"), make_user(staff_role="admin")
    c1, c2 = _client(first), _client(second)
    assert f'penalties/{proposal.pk}/' in c1.get(reverse("penalties:queue")).content.decode()
    c1.post(reverse("penalties:confirm", args=[proposal.pk]), {"reason": "虚假发货", "fine_yuan": "50"})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.level, proposal.fine) == ("confirmed", "ban", 5000)
    appeal = PenaltyAppeal.objects.create(penalty=proposal, reason="误判", filed_at=clock.now())
    assert c1.post(reverse("penalties:appeal_decide", args=[appeal.pk]), {"overturn": "1", "reason": "x"}).status_code == 403
    c2.post(reverse("penalties:appeal_decide", args=[appeal.pk]), {"overturn": "1", "reason": "证据不足"})
    assert Penalty.objects.get(pk=proposal.pk).status == "overturned"


@pytest.mark.parametrize("role, status", [("support", 403), ("arbitrator", 403), ("risk", 200), ("admin", 200), ("", 404)])
def test_the_penalties_console_is_for_risk_staff(role, status):
    assert _client(make_user(staff_role=role)).get(reverse("penalties:queue")).status_code == status


def test_rules_includes_render_numbers_from_settings(settings, rf):
    from django.template.loader import render_to_string

    settings.KADUN_CREDIT_WARNING_POINTS = 150
    html = render_to_string("merchants/_rules_credit.html") + render_to_string("merchants/_rules_penalties.html")
    assert "扣 150 分" in html and "信用分 −150" in html and "篡改证据" in html
