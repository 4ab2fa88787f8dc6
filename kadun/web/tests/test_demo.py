"""`kadun demo` (make run): the demo shop can sell from the first minute and keeps selling past
the deposit grace — approved (资质审核) and holding its 保证金 — and loading twice changes nothing."""
import datetime as dt
import io

import pytest
from django.core.management import call_command

from kadun.core import clock
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.merchants.gate import selling_refusal
from kadun.merchants.models import Shop
from kadun.merchants.selectors_deposit import deposit_position

pytestmark = pytest.mark.django_db


def test_the_demo_shop_is_approved_holds_its_deposit_and_loading_twice_changes_nothing(settings):
    settings.KADUN_DEPOSIT_ENFORCE_SELLING = True
    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())
    shop = Shop.objects.get(name="星河数卡")
    assert shop.verified_at is not None and shop.selling_blocks == 0
    assert balance_of(codes.merchant_deposit(shop.pk)) == 200_000
    position = deposit_position(shop.pk)
    assert position.held >= position.required and position.short_since is None
    clock.advance(dt.timedelta(hours=73))
    assert selling_refusal(shop.pk) is None
