"""Importing card keys: duplicates and junk refused and reported by line (another shop's keys: held,\nnot named); nothing in plaintext."""
import hashlib
import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import make_product, make_shop
from kadun.inventory import crypto
from kadun.inventory.models import CardKey, ImportBatch
from kadun.inventory.services import MAX_KEY_LENGTH, keys_import, parse_text, parse_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def paste(product, text):
    return keys_import(product=product, lines=parse_text(text), source="paste")


def plaintexts(product):
    return sorted(crypto.decrypt(s) for s in CardKey.objects.filter(product=product).values_list("secret", flat=True))


def test_duplicates_within_one_paste_are_refused_and_reported_by_line(shop):
    product = make_product(shop)
    report = paste(product, "AAAA-1111\nBBBB-2222\nAAAA-1111\nCCCC-3333\n  BBBB-2222  \nAAAA-1111\n")
    assert report.imported == 3
    assert report.duplicate_in_file == [3, 5, 6]
    assert report.duplicate_existing == []
    assert report.invalid == []
    assert plaintexts(product) == ["AAAA-1111", "BBBB-2222", "CCCC-3333"]
    assert report.as_dict()["duplicate_in_file_lines"] == [3, 5, 6]


def test_key_already_imported_by_another_merchant_is_not_imported_and_not_named():
    first = make_product(make_shop(), keys=0)
    second = make_product(make_shop(), keys=0)
    paste(first, "SHARED-KEY-0001\nMINE-ONLY-0001\n")
    report = paste(second, "FRESH-KEY-0001\nSHARED-KEY-0001\nFRESH-KEY-0002\n")
    assert report.imported == 2 and report.held == [2]
    assert report.as_dict()["imported"] == 3  # accepted: the held line is not told apart
    assert report.duplicate_existing == []
    assert plaintexts(second) == ["FRESH-KEY-0001", "FRESH-KEY-0002"]
    assert plaintexts(first) == ["MINE-ONLY-0001", "SHARED-KEY-0001"]  # the first merchant's key is untouched
    batch = ImportBatch.objects.get(pk=report.batch_id)
    assert (batch.total_lines, batch.imported, batch.held_for_review, batch.duplicate_existing, batch.accepted) == (3, 2, 1, 0, 3)


def test_key_already_sold_is_still_a_duplicate(product):
    from conftest import buy, pay

    order, _, _ = buy(product)
    pay(order)
    sold = crypto.decrypt(CardKey.objects.get(order=order).secret)
    own = paste(product, sold + "\n")
    other = paste(make_product(make_shop()), sold + "\n")
    assert (own.imported, own.duplicate_existing) == (0, [1])
    assert (other.imported, other.duplicate_existing, other.held) == (0, [], [1])


def test_whitespace_only_lines_are_invalid(shop):
    product = make_product(shop)
    report = keys_import(product=product, lines=[(1, "GOOD-KEY-0001"), (2, "   "), (3, "\t\t"), (4, "\u3000"), (5, "")], source="api")
    assert report.imported == 1
    assert report.invalid == [2, 3, 4, 5]
    assert plaintexts(product) == ["GOOD-KEY-0001"]


def test_blank_lines_in_a_paste_are_skipped_but_keep_line_numbers(shop):
    product = make_product(shop)
    report = paste(product, "\n   \nKEY-A-0001\n\nKEY-A-0001\n")
    assert report.imported == 1
    assert report.duplicate_in_file == [5]


def test_too_long_lines_are_invalid_and_the_longest_allowed_is_imported(shop):
    product = make_product(shop)
    longest = "L" * MAX_KEY_LENGTH
    too_long = "T" * (MAX_KEY_LENGTH + 1)
    report = paste(product, f"{too_long}\n{longest}\nOK-KEY-0001\n")
    assert report.invalid == [1]
    assert report.imported == 2
    assert plaintexts(product) == sorted([longest, "OK-KEY-0001"])


def test_a_key_spanning_lines_is_invalid_through_the_api(shop):
    """The API takes a list of keys, so one could carry a line break — and become two lines of
    the buyer's exported .txt. A tab (a pasted spreadsheet row) is kept."""
    from django.test import Client

    from kadun.accounts.services import api_key_create

    product = make_product(shop)
    _key, secret = api_key_create(user=shop.owner, name="t")
    keys = ["REAL-0001\nWY50-AAAA1111-BBBB2222", "REAL-0002\rX", "REAL-0003\u2028X", "acct-0004\tpass", "OK-0005"]

    response = Client(headers={"Authorization": f"Bearer {secret}"}).post(
        f"/api/merchant/products/{product.pk}/keys", {"keys": keys}, content_type="application/json"
    )

    assert response.status_code == 200 and response.json()["invalid_lines"] == [1, 2, 3]
    assert plaintexts(product) == ["OK-0005", "acct-0004\tpass"]


def test_keys_are_not_stored_in_plaintext(shop):
    product = make_product(shop)
    plain = ["PLAIN-SECRET-7Q2W9E", "account01----pa55w0rd!"]
    paste(product, "\n".join(plain))
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, fingerprint FROM inventory_cardkey WHERE product_id = %s", [product.pk])
        rows = cursor.fetchall()
    assert len(rows) == 2
    for secret, fingerprint in rows:
        for text in plain + ["PLAIN-SECRET", "pa55w0rd"]:
            assert text not in secret
            assert text not in fingerprint
        for text in plain:  # the fingerprint is keyed, not a plain hash anyone could recompute
            assert fingerprint != hashlib.sha256(text.encode()).hexdigest()
            assert fingerprint != hashlib.md5(text.encode()).hexdigest()  # noqa: S324
    assert sorted(crypto.decrypt(secret) for secret, _ in rows) == sorted(plain)


def test_gbk_text_file_is_read(shop):
    product = make_product(shop)
    report = keys_import(product=product, lines=parse_upload("keys.txt", "卡密-甲-0001\n卡密-乙-0002\n".encode("gb18030")), source="file")
    assert report.imported == 2
    assert plaintexts(product) == ["卡密-乙-0002", "卡密-甲-0001"]


@pytest.mark.pg
def test_import_keys_command_imports_a_hundred_thousand_lines(tmp_path, shop):
    product = make_product(shop)
    path = tmp_path / "keys.txt"
    path.write_text("".join(f"BULK-{i:06d}-{i * 7919 % 1000003:07d}-KEY\n" for i in range(100_000)))
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    call_command("import_keys", str(path), "--product", str(product.pk), stdout=out, stderr=err)
    elapsed = time.monotonic() - started
    print(f"import-keys: 100000 keys in {elapsed:.1f}s")
    assert "imported 100000 of 100000" in out.getvalue()
    assert CardKey.objects.filter(product=product).count() == 100_000
    assert elapsed < 180  # about 35 s on an idle 2-core machine; a guard against row-at-a-time regressions


def test_key_differing_only_by_invisible_characters_is_a_duplicate(shop):
    """A zero-width space or BOM pasted with a key must not make it a "new" key that sells twice."""
    first = make_product(make_shop())
    paste(first, "INVISIBLE-KEY-0001\n")
    report = keys_import(
        product=make_product(shop),
        lines=[(1, "INVISIBLE-KEY-0001\u200b"), (2, "\ufeffINVISIBLE-KEY-0001"), (3, "\u200b")],
        source="paste",
    )
    assert report.imported == 0
    assert report.held == [1]  # the same key as the other merchant's
    assert report.duplicate_in_file == [2]  # the same key as line 1 once the BOM is dropped
    assert report.invalid == [3]


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_two_merchants_importing_the_same_keys_at_once_get_each_key_once():
    """Same 1000 keys, one merchant in file order and the other in reverse order, at the same time:
    every key is stored once and the loser's lines go to the risk quarantine.

    To make "at the same time" certain, the test holds a SHARE lock on the key table until both
    imports are waiting to insert, then lets them go together."""
    from django.db import transaction

    products = [make_product(make_shop()), make_product(make_shop())]
    keys = [f"RACE-{i:05d}-KEY" for i in range(1000)]
    inputs = [list(enumerate(keys, start=1)), list(enumerate(reversed(keys), start=1))]

    def run(i):
        try:
            return keys_import(product=products[i], lines=inputs[i], source="paste")
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE inventory_cardkey IN SHARE MODE")
            futures = [pool.submit(run, i) for i in (0, 1)]
            for _ in range(200):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0] >= 2:
                    break
                time.sleep(0.05)
        reports = [f.result() for f in futures]

    assert sum(r.imported for r in reports) == 1000
    assert sum(len(r.held) for r in reports) == 1000 and sum(len(r.duplicate_existing) for r in reports) == 0
    assert CardKey.objects.count() == 1000
    stored = sorted(crypto.decrypt(s) for s in CardKey.objects.values_list("secret", flat=True))
    assert stored == keys
