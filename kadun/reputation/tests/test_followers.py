"""What follows the credit score: when a recompute changes it, the deposit requirement (its
credit-band multiplier) and the badges follow in the same recompute — a shop that drops a band
is short of its deposit from that moment, as the rules page says."""
import pytest

from conftest import make_product, make_user
from kadun.ledger import accounts as codes
from kadun.merchants import penalties
from kadun.merchants.selectors_deposit import deposit_position
from kadun.merchants.tests.funds_helpers import credit
from kadun.reputation import services

pytestmark = pytest.mark.django_db


def test_a_score_that_drops_a_band_raises_the_deposit_requirement_at_once(settings):
    settings.KADUN_CREDIT_BANDS = {"high": 800, "mid": 650}
    product = make_product(keys=1)  # card keys: ¥500 minimum
    shop_id = product.shop_id
    assert services.score_recompute(shop_id=shop_id) == 700  # a new shop: mid band, ×1.5
    credit(codes.merchant_deposit(shop_id), 75_000)
    services.score_recompute(shop_id=shop_id)
    assert deposit_position(shop_id).required == 75_000 and deposit_position(shop_id).short_since is None
    risk = make_user(staff_role="risk")
    proposal = penalties.penalty_propose(shop_id=shop_id, kind="invalid_keys", evidence={}, note="卡密为转卖", proposed_by=risk)
    penalties.penalty_confirm(penalty_id=proposal.pk, staff=risk, reason="核实")
    assert services.score_recompute(shop_id=shop_id) == 600  # low band now: ×2.0
    position = deposit_position(shop_id)
    assert position.required == 100_000 and position.held == 75_000 and position.short_since is not None
