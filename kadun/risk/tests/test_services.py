"""Risk alerts: one open alert per kind and subject (also when raised at once), resolved once by
risk staff, who and when recorded."""
from __future__ import annotations


import pytest

from conftest import all_at_once, make_product, make_shop, make_user
from kadun.inventory.services import keys_import
from kadun.risk import selectors, services
from kadun.risk.errors import AlertAlreadyResolved, NotRiskStaff
from kadun.risk.models import RiskAlert


def _raise(shop):
    return services.alert_raise(kind="import_collisions", subject=selectors.shop_subject(shop.pk), shop_id=shop.pk, details={"count": 3})


@pytest.mark.django_db
def test_an_alert_raised_twice_is_one_open_alert():
    shop = make_shop()

    first, created = _raise(shop)
    again, created_again = _raise(shop)

    assert (created, created_again) == (True, False) and first.pk == again.pk
    assert selectors.imports_paused(shop.pk)


@pytest.mark.django_db
def test_resolving_records_who_and_when_and_lifts_the_pause():
    shop = make_shop()
    alert, _ = _raise(shop)
    staff = make_user(staff_role="risk")

    resolved = services.alert_resolve(alert_id=alert.pk, actor=staff, note="已核实")

    assert (resolved.status, resolved.resolved_by_id, resolved.resolution_note) == ("resolved", staff.pk, "已核实")
    assert not selectors.imports_paused(shop.pk)
    assert selectors.imports_last_lifted(shop.pk) == resolved.resolved_at
    with pytest.raises(AlertAlreadyResolved):
        services.alert_resolve(alert_id=alert.pk, actor=staff)
    assert _raise(shop)[1] is True  # a new burst later is a new alert


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["", "support", "arbitrator"])
def test_only_risk_staff_and_admins_resolve(role):
    alert, _ = _raise(make_shop())

    with pytest.raises(NotRiskStaff):
        services.alert_resolve(alert_id=alert.pk, actor=make_user(staff_role=role))

    assert RiskAlert.objects.get(pk=alert.pk).status == "open"




@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_alerts_raised_at_the_same_moment_are_one_alert():
    shop = make_shop()

    results = all_at_once(lambda _i: _raise(shop)[1], range(8))

    assert sorted(results) == [False] * 7 + [True]
    assert RiskAlert.objects.filter(status="open").count() == 1


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_crossing_the_burst_together_pause_the_shop_once(settings):
    """Two imports of one shop, each under the burst alone, over it together."""
    settings.KADUN_IMPORT_COLLISION_BURST = 4
    victim = make_product(make_shop())
    keys = [f"HELD-RACE-{i:03d}" for i in range(4)]
    keys_import(product=victim, lines=list(enumerate(keys, start=1)), source="test")
    attacker = make_shop()
    products = [make_product(attacker), make_product(attacker)]

    all_at_once(lambda i: keys_import(product=products[i], lines=[(1, keys[2 * i]), (2, keys[2 * i + 1])], source="test"), [0, 1])

    assert RiskAlert.objects.filter(shop=attacker, status="open").count() == 1
    assert selectors.imports_paused(attacker.pk)
