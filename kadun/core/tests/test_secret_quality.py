"""Secrets that are set but unusable refuse to start, naming the variable and never its value:
a card-key list with no key or a key that is not a Fernet key, and secrets too short to be
secret. (Set-but-empty-after-splitting ``KADUN_CARD_KEYS=','`` used to start, pass ``check
--deploy`` and then fail every import and reveal.)

Each test starts a fresh interpreter, as test_deploy_settings does."""
from __future__ import annotations

import base64
import os

import pytest

from kadun.core.tests.test_deploy_settings import SECRET_VALUES, clean_env, kadun, production_env, start

FERNET = base64.urlsafe_b64encode(os.urandom(32)).decode()


def _refused(result, variable: str, *values: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr
    for value in values:
        assert value not in output


@pytest.mark.parametrize("card_keys", [",", " , ,", "not-a-fernet-key-but-long-enough-to-look-like-one", f"{FERNET},broken"])
def test_card_keys_that_are_not_fernet_keys_refuse_to_start(tmp_path, card_keys):
    result = start(production_env(tmp_path, KADUN_CARD_KEYS=card_keys))
    _refused(result, "KADUN_CARD_KEYS", *[k for k in card_keys.split(",") if len(k.strip()) > 3])


def test_check_deploy_does_not_pass_with_an_empty_card_key_list(tmp_path):
    result = kadun(production_env(tmp_path, KADUN_CARD_KEYS=","), "check", "--deploy", "--fail-level", "WARNING")
    _refused(result, "KADUN_CARD_KEYS")


@pytest.mark.parametrize("name,value", [
    ("KADUN_KEY_HASH_SECRET", "x"),
    ("KADUN_KEY_HASH_SECRET", "short-hash-secret-1"),
    ("KADUN_SANDBOX_SECRET", "sandbox-pw-22"),
    ("SECRET_KEY", "secret-key-of-only-thirty-chars"),
])
def test_a_secret_too_short_refuses_to_start(tmp_path, name, value):
    result = start(production_env(tmp_path, **{name: value}))
    _refused(result, name, *([value] if len(value) > 3 else []))
    assert "characters" in result.stderr  # says what is wrong: the length, not the value


def test_a_secret_key_of_one_repeated_character_refuses_to_start(tmp_path):
    result = start(production_env(tmp_path, SECRET_KEY="a" * 64))
    _refused(result, "SECRET_KEY", "a" * 64)


def test_an_unusable_secret_in_the_embedded_default_refuses_to_start_too(tmp_path):
    """Without DATABASE_URL the other secrets are generated; one set in the environment must
    still be usable."""
    result = start(clean_env(tmp_path, KADUN_CARD_KEYS=","))
    _refused(result, "KADUN_CARD_KEYS")


def test_several_good_card_keys_start(tmp_path):
    second = base64.urlsafe_b64encode(os.urandom(32)).decode()
    result = start(production_env(tmp_path, KADUN_CARD_KEYS=f"{SECRET_VALUES['KADUN_CARD_KEYS']}, {second}"))
    assert result.returncode == 0, result.stderr
