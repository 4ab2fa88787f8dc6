"""Key imports are not a key-existence oracle: a key another shop holds is held for risk review
and never named to the importer; a burst of those opens a risk alert and pauses the shop's
imports until risk staff lift it; imports are rate-limited per shop."""
from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conftest import make_product, make_shop, make_user
from kadun.accounts.services import api_key_create
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch, QuarantinedKey
from kadun.inventory.services import keys_import
from kadun.risk.models import RiskAlert

pytestmark = pytest.mark.django_db

VICTIM_KEY = "8800123456789012----PIN739164"
_victims = itertools.count(1)


def _api(user) -> Client:
    _key, secret = api_key_create(user=user, name="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _import_api(client, product, keys):
    return client.post(f"/api/merchant/products/{product.pk}/keys", {"keys": keys}, content_type="application/json")


def _victim(key: str = VICTIM_KEY):
    victim = make_shop(name=f"受害店铺{next(_victims)}")
    keys_import(product=make_product(victim), lines=[(1, key)], source="test")
    return victim


def _report_without_batch(response) -> dict:
    body = response.json()
    body.pop("batch_id")
    return body


# --- what the importer sees -----------------------------------------------------------------


def test_a_key_another_shop_holds_is_not_imported_and_the_report_does_not_name_it():
    victim = _victim()
    attacker = make_shop()
    product = make_product(attacker)

    response = _import_api(_api(attacker.owner), product, ["GUESS-0001", VICTIM_KEY, "GUESS-0002"])

    report = response.json()
    assert response.status_code == 200
    assert report["imported"] == 3 and report["total_lines"] == 3  # accepted: the held line is not told apart
    assert report["duplicate_existing"] == 0 and report["duplicate_existing_lines"] == []
    assert report["duplicate_in_file_lines"] == [] and report["invalid_lines"] == []
    assert CardKey.objects.filter(fingerprint=crypto.fingerprint(VICTIM_KEY)).get().shop_id == victim.pk
    assert CardKey.objects.filter(product=product).count() == 2


def test_the_quarantine_records_who_tried_and_who_holds_never_the_key():
    victim = _victim()
    attacker = make_shop()
    product = make_product(attacker)

    report = keys_import(product=product, lines=[(1, "GUESS-0001"), (2, VICTIM_KEY)], source="paste")

    [held] = QuarantinedKey.objects.all()
    assert (held.shop_id, held.product_id, held.batch_id, held.owner_shop_id) == (attacker.pk, product.pk, report.batch_id, victim.pk)
    assert held.fingerprint == crypto.fingerprint(VICTIM_KEY)
    row = QuarantinedKey.objects.filter(pk=held.pk).values().get()
    assert not any(VICTIM_KEY in str(value) or "PIN739164" in str(value) for value in row.values())
    assert ImportBatch.objects.get(pk=report.batch_id).held_for_review == 1


def test_own_duplicates_are_still_reported_by_line():
    shop = make_shop()
    product = make_product(shop)
    keys_import(product=product, lines=[(1, "MINE-0001"), (2, "MINE-0002")], source="paste")

    response = _import_api(_api(shop.owner), make_product(shop), ["NEW-0001", "MINE-0002", "NEW-0002", "MINE-0001"])

    assert response.json()["duplicate_existing_lines"] == [2, 4]
    assert response.json()["imported"] == 2
    assert not QuarantinedKey.objects.exists()


def test_guessing_by_import_does_not_reveal_which_candidate_exists():
    """Two attackers import ten candidate keys each: for one the 3rd exists at another shop, for
    the other the 7th. Everything the importer is told is the same."""
    first_candidates = [f"8800123456789012----PIN{n:06d}" for n in range(10)]
    second_candidates = [f"8800123456789099----PIN{n:06d}" for n in range(10)]
    _victim(first_candidates[2])
    _victim(second_candidates[6])
    first_attacker, second_attacker = make_shop(), make_shop()

    first = _import_api(_api(first_attacker.owner), make_product(first_attacker), first_candidates)
    second = _import_api(_api(second_attacker.owner), make_product(second_attacker), second_candidates)

    assert first.status_code == second.status_code == 200
    assert _report_without_batch(first) == _report_without_batch(second) == {
        "total_lines": 10, "imported": 10, "duplicate_in_file": 0, "duplicate_existing": 0, "invalid": 0,
        "duplicate_in_file_lines": [], "duplicate_existing_lines": [], "invalid_lines": [],
    }
    assert "受害店铺" not in first.content.decode() + second.content.decode()


def test_the_import_page_does_not_name_the_line_either(client):
    _victim()
    attacker = make_shop()
    product = make_product(attacker)
    client.force_login(attacker.owner)

    response = client.post(reverse("merchants:key_import", args=[product.pk]), {"text": f"GUESS-0001\n{VICTIM_KEY}\nGUESS-0002\n"})

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["report"]["imported"] == 3 and response.context["report"]["duplicate_existing_lines"] == []
    assert "受害店铺" not in body and "风控审核" in body


# --- burst: alert and pause -----------------------------------------------------------------


def _collide(product, n: int, tag: str):
    """Import ``n`` lines that other shops hold (plus one fresh line)."""
    keys = []
    for i in range(n):
        key = f"HELD-{tag}-{i:04d}"
        _victim(key)
        keys.append(key)
    return keys_import(product=product, lines=list(enumerate([f"FRESH-{tag}"] + keys, start=1)), source="paste")


def test_collisions_below_the_burst_raise_nothing(settings):
    settings.KADUN_IMPORT_COLLISION_BURST = 3
    product = make_product(make_shop())

    _collide(product, 2, "a")

    assert not RiskAlert.objects.exists()
    assert keys_import(product=product, lines=[(1, "LATER-0001")], source="paste").imported == 1


def test_a_burst_of_collisions_opens_an_alert_and_pauses_imports(settings):
    settings.KADUN_IMPORT_COLLISION_BURST = 3
    attacker = make_shop()
    product = make_product(attacker)
    _collide(product, 2, "a")
    _collide(product, 1, "b")  # the third within the window

    refused = _import_api(_api(attacker.owner), product, ["LATER-0001"])

    [alert] = RiskAlert.objects.all()
    assert (alert.kind, alert.subject, alert.shop_id, alert.status) == ("import_collisions", f"shop:{attacker.pk}", attacker.pk, "open")
    assert alert.details["count"] == 3 and len(alert.details["quarantined_ids"]) == 3
    assert refused.status_code == 403 and refused.json()["code"] == "imports_paused"
    assert not CardKey.objects.filter(fingerprint=crypto.fingerprint("LATER-0001")).exists()


def test_collisions_outside_the_window_do_not_add_up(settings):
    import datetime as dt

    from kadun.core import clock

    settings.KADUN_IMPORT_COLLISION_BURST = 3
    settings.KADUN_IMPORT_COLLISION_WINDOW_HOURS = 24
    product = make_product(make_shop())
    _collide(product, 2, "a")
    clock.advance(dt.timedelta(hours=25))

    _collide(product, 2, "b")

    assert not RiskAlert.objects.exists()


def test_the_paused_shop_sees_why_on_its_import_page(client, settings):
    settings.KADUN_IMPORT_COLLISION_BURST = 1
    attacker = make_shop()
    product = make_product(attacker)
    _collide(product, 1, "a")
    client.force_login(attacker.owner)

    page = client.get(reverse("merchants:key_import", args=[product.pk]))
    posted = client.post(reverse("merchants:key_import", args=[product.pk]), {"text": "LATER-0001\n"})

    assert 'id="imports-paused"' in page.content.decode() and "导入已暂停" in page.content.decode()
    assert posted.status_code == 400 and "导入已暂停" in posted.content.decode()
    assert not CardKey.objects.filter(fingerprint=crypto.fingerprint("LATER-0001")).exists()


# --- risk staff lift the pause --------------------------------------------------------------


def _paused_shop(settings):
    settings.KADUN_IMPORT_COLLISION_BURST = 2
    attacker = make_shop()
    product = make_product(attacker)
    _collide(product, 2, "a")
    return attacker, product, RiskAlert.objects.get()


@pytest.mark.parametrize("role", ["risk", "admin"])
def test_risk_staff_lifting_the_pause_reenables_imports(client, settings, role):
    attacker, product, alert = _paused_shop(settings)
    staff = make_user(staff_role=role)
    client.force_login(staff)

    response = client.post(reverse("backoffice:risk_alert_resolve", args=[alert.pk]), {"note": "供应商重复售卡，已核实"}, follow=True)

    alert.refresh_from_db()
    assert response.status_code == 200 and "已恢复" in response.content.decode()
    assert (alert.status, alert.resolved_by_id, alert.resolution_note) == ("resolved", staff.pk, "供应商重复售卡，已核实")
    assert alert.resolved_at is not None
    assert _import_api(_api(attacker.owner), product, ["LATER-0001"]).json()["imported"] == 1
    # the collisions before the lift are forgiven: one more does not pause again at once
    _collide(product, 1, "b")
    assert RiskAlert.objects.filter(status="open").count() == 0


@pytest.mark.parametrize("role", ["support", "arbitrator"])
def test_other_staff_can_neither_see_nor_lift_the_pause(client, settings, role):
    _attacker, _product, alert = _paused_shop(settings)
    client.force_login(make_user(staff_role=role))

    listing = client.get(reverse("backoffice:risk"))
    page = client.get(reverse("backoffice:risk_alert", args=[alert.pk]))
    response = client.post(reverse("backoffice:risk_alert_resolve", args=[alert.pk]))
    console = client.get(reverse("backoffice:home")).content.decode()

    alert.refresh_from_db()
    assert listing.status_code == page.status_code == response.status_code == 403
    assert alert.status == "open"
    assert reverse("backoffice:risk") not in console  # no link to a page they can't open


def test_merchants_and_buyers_do_not_find_the_risk_console(client, settings):
    attacker, _product, alert = _paused_shop(settings)
    client.force_login(attacker.owner)

    assert client.get(reverse("backoffice:risk")).status_code == 404
    assert client.post(reverse("backoffice:risk_alert_resolve", args=[alert.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_the_risk_page_lists_the_alert_and_its_lines_without_secrets(client, settings):
    attacker, _product, alert = _paused_shop(settings)
    client.force_login(make_user(staff_role="risk"))

    listing = client.get(reverse("backoffice:risk")).content.decode()
    detail = client.get(reverse("backoffice:risk_alert", args=[alert.pk])).content.decode()

    assert f'data-alert="{alert.pk}"' in listing and attacker.name in listing
    fingerprint = crypto.fingerprint("HELD-a-0000")
    assert fingerprint[:12] in detail and fingerprint not in detail
    assert "受害店铺" in detail  # who holds the key
    assert "HELD-a-0000" not in detail and "HELD-a-0000" not in listing


def test_resolving_twice_is_refused(client, settings):
    _attacker, _product, alert = _paused_shop(settings)
    client.force_login(make_user(staff_role="risk"))
    client.post(reverse("backoffice:risk_alert_resolve", args=[alert.pk]))

    again = client.post(reverse("backoffice:risk_alert_resolve", args=[alert.pk]), follow=True)

    assert "已处理" in again.content.decode()
    assert RiskAlert.objects.get(pk=alert.pk).status == "resolved"


# --- rate limit -----------------------------------------------------------------------------


def test_imports_are_rate_limited_per_shop_through_the_api(settings):
    settings.KADUN_IMPORTS_PER_SHOP_PER_HOUR = 2
    shop = make_shop()
    client = _api(shop.owner)
    products = [make_product(shop), make_product(shop)]

    answers = [_import_api(client, products[i % 2], [f"RATE-{i}"]) for i in range(3)]
    other_shop = _import_api(_api(make_shop().owner), make_product(make_shop()), ["RATE-OTHER"])

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited" and "分钟后再试" in answers[2].json()["message"]
    assert other_shop.status_code in (200, 404)


def test_the_import_page_shares_the_shops_limit(client, settings):
    settings.KADUN_IMPORTS_PER_SHOP_PER_HOUR = 1
    shop = make_shop()
    product = make_product(shop)
    _import_api(_api(shop.owner), product, ["RATE-0"])
    client.force_login(shop.owner)

    response = client.post(reverse("merchants:key_import", args=[product.pk]), {"text": "RATE-1\n"})

    assert response.status_code == 400 and "导入过于频繁" in response.content.decode()
    assert not CardKey.objects.filter(fingerprint=crypto.fingerprint("RATE-1")).exists()


def test_the_operators_cli_is_not_rate_limited(tmp_path, settings):
    settings.KADUN_IMPORTS_PER_SHOP_PER_HOUR = 1
    product = make_product(make_shop())
    for i in range(3):
        path = tmp_path / f"keys{i}.txt"
        path.write_text(f"CLI-KEY-{i}\n")
        call_command("import_keys", str(path), product=product.pk)

    assert CardKey.objects.filter(product=product).count() == 3


# --- re-importing: a held line looks like the shop's own duplicate -----------------------------


def _reimport_attack(settings, *, victim_line: int | None):
    """The reviewer's attack: import 200 guesses, then the same 200 again, and read which line is
    not reported as the shop's own. ``victim_line``: the guess another shop holds (None: none).
    The burst is set out of reach so only the reports are compared. Returns (first, second, batches)."""
    settings.KADUN_IMPORT_COLLISION_BURST = 1000
    tag = next(_victims)
    guesses = [f"8800{tag:04d}56789012----PIN{n:06d}" for n in range(200)]
    if victim_line is not None:
        _victim(guesses[victim_line - 1])
    attacker = make_shop()
    client, product = _api(attacker.owner), make_product(attacker)
    first = _import_api(client, product, guesses)
    second = _import_api(client, product, guesses)
    batches = [
        (b.total_lines, b.accepted, b.duplicate_in_file, b.duplicate_existing, b.invalid)
        for b in ImportBatch.objects.filter(shop=attacker).order_by("id")
    ]
    return _report_without_batch(first), _report_without_batch(second), batches


def test_reimporting_the_same_lines_does_not_single_out_the_held_one(settings):
    first, second, batches = _reimport_attack(settings, victim_line=137)
    control_first, control_second, control_batches = _reimport_attack(settings, victim_line=None)

    assert second["duplicate_existing_lines"] == list(range(1, 201))  # the held line 137 too
    assert (second["duplicate_existing"], second["imported"]) == (200, 0)
    assert (first, second) == (control_first, control_second)
    assert batches == control_batches  # the import history says the same


def test_a_line_held_before_is_reported_as_the_shops_own_on_the_page_too(client, settings):
    settings.KADUN_IMPORT_COLLISION_BURST = 1000
    _victim()
    attacker = make_shop()
    product = make_product(attacker)
    keys_import(product=product, lines=[(1, "GUESS-0001"), (2, VICTIM_KEY)], source="paste")
    client.force_login(attacker.owner)

    response = client.post(reverse("merchants:key_import", args=[product.pk]), {"text": f"{VICTIM_KEY}\nGUESS-0001\nGUESS-0002\n"})

    report = response.context["report"]
    assert report["duplicate_existing_lines"] == [1, 2] and report["duplicate_existing"] == 2 and report["imported"] == 1
    assert QuarantinedKey.objects.count() == 1  # the repeat is not a new collision


# --- the first collision pauses --------------------------------------------------------------


def test_by_default_the_first_collision_opens_an_alert_and_pauses_imports():
    attacker = make_shop()
    product = make_product(attacker)
    client = _api(attacker.owner)
    _victim()

    first = _import_api(client, product, ["GUESS-0001", VICTIM_KEY])
    then = _import_api(client, product, ["GUESS-0002"])

    assert first.status_code == 200 and first.json()["imported"] == 2
    [alert] = RiskAlert.objects.all()
    assert (alert.kind, alert.shop_id, alert.status, alert.details["count"]) == ("import_collisions", attacker.pk, "open", 1)
    assert then.status_code == 403 and then.json()["code"] == "imports_paused"
    assert not CardKey.objects.filter(fingerprint=crypto.fingerprint("GUESS-0002")).exists()
