"""Badges appear when their criteria hold and disappear, with a history row, when one stops
holding. Credit and confirmed orders are real data (a ShopScore row, real orders); the deposit
position and warnings are placeholders owned by the funds and credit work, so those two are set
by monkeypatching their selectors here — the lead switches these tests to real data after merge."""
import datetime as dt

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.core import clock
from kadun.core.errors import DomainError
from kadun.merchants import badges, badges_official, onboarding
from kadun.merchants.models_onboarding import BadgeEvent, ShopBadge
from kadun.merchants.selectors_deposit import DepositPosition
from kadun.merchants.tests.onboarding_helpers import png, risk_user, submit

pytestmark = pytest.mark.django_db


def _kinds(shop) -> set[str]:
    return set(ShopBadge.objects.filter(shop=shop).values_list("kind", flat=True))


@pytest.fixture
def gold_world(settings, monkeypatch):
    """A verified shop meeting every 金牌商家 criterion (orders_min lowered to 2 for speed)."""
    from kadun.orders.services import order_confirm
    from kadun.reputation.models import ShopScore

    settings.KADUN_BADGE_GOLD = {**settings.KADUN_BADGE_GOLD, "orders_min": 2}
    state = {"deposit": DepositPosition(required=10000, held=20000, short_since=None), "warnings": 0}
    monkeypatch.setattr("kadun.merchants.selectors_deposit.deposit_position", lambda shop_id: state["deposit"])
    monkeypatch.setattr("kadun.merchants.selectors_penalties.warnings_active", lambda shop_id, days=365: state["warnings"])
    shop = make_shop()
    clock.advance(dt.timedelta(days=91))
    product = make_product(shop, keys=2)
    for _ in range(2):
        order = pay(buy(product, buyer=make_user())[0])
        order_confirm(order_id=order.pk, actor="buyer", user=order.buyer)
    ShopScore.objects.create(shop=shop, score=900, provisional=False, computed_at=clock.now())
    badges.badges_refresh(shop_id=shop.pk)
    return shop, state


def test_a_shop_meeting_every_criterion_is_gold(gold_world):
    shop, _state = gold_world
    assert _kinds(shop) == {"verified", "gold"}


def _break(criterion, shop, state, settings):
    from kadun.reputation.models import ShopScore

    if criterion == "credit":
        ShopScore.objects.filter(shop=shop).update(score=849)
    elif criterion == "age":
        settings.KADUN_BADGE_GOLD = {**settings.KADUN_BADGE_GOLD, "age_days": 92}
    elif criterion == "orders":
        settings.KADUN_BADGE_GOLD = {**settings.KADUN_BADGE_GOLD, "orders_min": 3}
    elif criterion == "deposit":
        state["deposit"] = DepositPosition(required=10000, held=19999, short_since=None)
    elif criterion == "warnings":
        state["warnings"] = 1


@pytest.mark.parametrize("criterion", ["credit", "age", "orders", "deposit", "warnings"])
def test_gold_is_lost_when_one_criterion_fails_and_regained_when_it_holds_again(gold_world, settings, criterion):
    shop, state = gold_world
    gold = dict(settings.KADUN_BADGE_GOLD)
    _break(criterion, shop, state, settings)

    assert badges.badges_refresh(shop_id=shop.pk)["lost"] == ["gold"]
    assert _kinds(shop) == {"verified"}
    lost = BadgeEvent.objects.filter(shop=shop, kind="gold", gained=False).get()
    assert lost.reason.startswith("不再满足")

    from kadun.reputation.models import ShopScore

    ShopScore.objects.filter(shop=shop).update(score=900)
    settings.KADUN_BADGE_GOLD = gold
    state.update(deposit=DepositPosition(required=10000, held=20000, short_since=None), warnings=0)
    assert badges.badges_refresh(shop_id=shop.pk)["gained"] == ["gold"]


def test_the_gold_credit_threshold_is_inclusive(gold_world):
    from kadun.reputation.models import ShopScore

    shop, _state = gold_world
    ShopScore.objects.filter(shop=shop).update(score=850)
    badges.badges_refresh(shop_id=shop.pk)
    assert "gold" in _kinds(shop)


def test_the_nightly_recompute_takes_gold_away(gold_world):
    from kadun.deadlines.services import deadlines_sweep_all

    shop, state = gold_world
    badges.nightly_ensure()
    state["warnings"] = 1
    clock.advance(dt.timedelta(days=1))
    deadlines_sweep_all()
    assert _kinds(shop) == {"verified"}
    from kadun.deadlines.models import Deadline

    assert Deadline.objects.filter(kind=badges.KIND_NIGHTLY, fired_at__isnull=True).count() == 1  # the next night


def test_approval_gives_verified():
    shop = make_shop(approved=False)
    assert _kinds(shop) == set()
    onboarding.application_approve(application_id=submit(shop).pk, actor=risk_user())
    assert _kinds(shop) == {"verified"}
    assert BadgeEvent.objects.filter(shop=shop, kind="verified", gained=True).exists()


# --- 官方直营 ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["risk", "support", "arbitrator", ""])
def test_official_is_granted_by_an_admin_only(role):
    shop = make_shop()
    with pytest.raises(DomainError) as exc:
        badges_official.official_grant(shop_id=shop.pk, brand="网易", document=png(), actor=make_user(staff_role=role))
    assert exc.value.code == "not_admin"
    assert "official" not in _kinds(shop)


def test_official_is_granted_and_revoked_by_an_admin():
    shop = make_shop()
    admin = make_user(staff_role="admin")
    row = badges_official.official_grant(shop_id=shop.pk, brand="网易", document=png(), actor=admin)
    assert "official" in _kinds(shop)
    badges_official.official_revoke(authorisation_id=row.pk, actor=admin, reason="授权到期")
    assert "official" not in _kinds(shop)
    assert "授权到期" in BadgeEvent.objects.filter(shop=shop, kind="official", gained=False).get().reason


def test_official_on_the_staff_page_by_an_admin_and_refused_to_risk():
    shop = make_shop(approved=False)
    application = submit(shop)
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    risk = Client()
    risk.force_login(risk_user("risk2"))
    url = f"/staff/onboarding/{application.pk}/official/"
    assert risk.post(url, {"brand": "网易", "document": png()}).status_code == 403
    admin = Client()
    admin.force_login(make_user(staff_role="admin"))
    assert admin.post(url, {"brand": "网易", "document": png()}).status_code == 302
    assert "official" in _kinds(shop)


def test_badges_show_on_the_storefront_product_page_and_shop_page():
    shop = make_shop(approved=False)
    onboarding.application_approve(application_id=submit(shop).pk, actor=risk_user())
    shop.refresh_from_db()
    product = make_product(shop, keys=1, category="topup", delivery="auto")
    client = Client()
    for url in ("/", f"/p/{product.pk}/", f"/s/{shop.pk}/"):
        assert 'data-badge="verified"' in client.get(url).content.decode(), url
