"""Card keys at rest: rotate-keys re-encrypts so the new key alone decrypts."""
import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from conftest import buy, make_product, pay
from kadun.inventory import crypto
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def card_keys(settings):
    """Point KADUN_CARD_KEYS at new values, clearing the cached MultiFernet each time."""

    def use(*keys):
        settings.KADUN_CARD_KEYS = list(keys)
        crypto._fernet.cache_clear()

    yield use
    crypto._fernet.cache_clear()


def raw_secrets():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, secret FROM inventory_cardkey ORDER BY id")
        return dict(cursor.fetchall())


def test_encrypt_decrypt_round_trip_and_tokens_differ_each_time():
    a, b = crypto.encrypt("KEY-ABC-123"), crypto.encrypt("KEY-ABC-123")
    assert a != b
    assert crypto.decrypt(a) == crypto.decrypt(b) == "KEY-ABC-123"


def test_rotate_keys_re_encrypts_so_the_new_key_alone_decrypts(card_keys, shop):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    card_keys(old)
    product = make_product(shop, keys=3)
    plain = sorted(crypto.decrypt(s) for s in raw_secrets().values())
    before = raw_secrets()

    card_keys(new, old)
    out = io.StringIO()
    call_command("rotate_keys", stdout=out, stderr=io.StringIO())
    assert "re-encrypted 3 card key(s)" in out.getvalue()

    after = raw_secrets()
    assert after.keys() == before.keys()
    assert all(after[k] != before[k] for k in after)
    card_keys(new)
    assert sorted(crypto.decrypt(s) for s in after.values()) == plain
    card_keys(old)
    for token in after.values():
        with pytest.raises(InvalidToken):
            crypto.decrypt(token)
    assert CardKey.objects.filter(product=product).count() == 3


def test_buyer_reveals_the_right_key_after_rotation(card_keys, shop):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    card_keys(old)
    product = make_product(shop, keys=1)
    plain = crypto.decrypt(CardKey.objects.get(product=product).secret)
    order, _, _ = buy(product)
    pay(order)
    card_keys(new, old)
    call_command("rotate_keys", stdout=io.StringIO(), stderr=io.StringIO())
    card_keys(new)
    key = CardKey.objects.get(order=order)
    _, secret = key_reveal(order=order, key_id=key.pk, actor="guest")
    assert secret == plain


def test_keys_encrypted_with_a_dropped_key_cannot_be_read(card_keys, shop):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    card_keys(old)
    make_product(shop, keys=1)
    card_keys(new)  # old key dropped before rotating: data unreadable, not silently wrong
    with pytest.raises(InvalidToken):
        crypto.decrypt(CardKey.objects.get().secret)
