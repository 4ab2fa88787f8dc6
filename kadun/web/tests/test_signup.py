"""Signup errors in the page's own language, next to the field they are about: a Chinese page
gets no English validator messages, an English page no Chinese ones."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import make_user

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _errors(client: Client, **data) -> dict[str, str]:
    """The error texts of the signup form, by field ('' for the form's own)."""
    form = {"username": "newbuyer", "email": "", "password": "Kadun-pass-77", "password2": "Kadun-pass-77", **data}
    response = client.post("/signup/", form)
    assert response.status_code == 400
    body = response.content.decode()
    found = {}
    for m in re.finditer(r'<ul class="errorlist( nonfield)?"(?: id="id_(\w+)_error")?>(.*?)</ul>', body, re.S):
        found[m.group(2) or ""] = re.sub(r"<[^>]+>", " ", m.group(3)).strip()
    return found


def _english() -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_short_password_in_chinese_is_all_chinese_and_under_the_password():
    errors = _errors(Client(), password="k1", password2="k1")
    assert set(errors) == {"password"}
    assert "至少" in errors["password"] and "8" in errors["password"]
    assert not LATIN_WORD.search(errors["password"]), errors


def test_common_password_in_chinese_is_chinese():
    errors = _errors(Client(), password="password123", password2="password123")
    assert "太常见" in errors["password"] and not LATIN_WORD.search(errors["password"])


def test_short_password_in_english_is_all_english():
    errors = _errors(_english(), password="k1", password2="k1")
    assert set(errors) == {"password"}
    assert "at least 8" in errors["password"] and not HAN.search(errors["password"]), errors


def test_taken_username_in_english_is_english_and_under_the_username():
    make_user("takenname")
    errors = _errors(_english(), username="takenname")
    assert set(errors) == {"username"}
    assert "taken" in errors["username"] and not HAN.search(errors["username"]), errors


def test_taken_username_in_chinese_is_chinese():
    make_user("takenname")
    assert _errors(Client(), username="TakenName") == {"username": "该用户名已被注册。"}


def test_mismatched_passwords_in_english_is_english():
    errors = _errors(_english(), password2="Kadun-pass-78")
    assert errors and not any(HAN.search(text) for text in errors.values()), errors


def test_password_like_the_username_in_english_is_english():
    errors = _errors(_english(), username="zhangsan2026", password="zhangsan2026", password2="zhangsan2026")
    assert "password" in errors and not HAN.search(errors["password"]), errors
