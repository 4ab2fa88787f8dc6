"""E-mail from the environment (kadun/settings/email.py): one URL or Django's variables; the
console when neither is set."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from kadun.settings.email import CONSOLE, SMTP, email_settings


def test_nothing_set_prints_to_the_console_and_is_not_configured():
    values = email_settings({})
    assert values["EMAIL_BACKEND"] == CONSOLE and values["KADUN_EMAIL_CONFIGURED"] is False


def test_a_starttls_url_with_an_encoded_user_and_password():
    url = "smtp+tls://noreply%40ka.example.com:p%40ss%3Aword@smtp.example.com:587"
    values = email_settings({"KADUN_EMAIL_URL": url, "DEFAULT_FROM_EMAIL": "卡盾 <n@ka.example.com>"})
    assert values["EMAIL_BACKEND"] == SMTP and values["KADUN_EMAIL_CONFIGURED"] is True
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_HOST_USER"], values["EMAIL_HOST_PASSWORD"]) == (
        "smtp.example.com", 587, "noreply@ka.example.com", "p@ss:word"
    )
    assert (values["EMAIL_USE_TLS"], values["EMAIL_USE_SSL"], values["DEFAULT_FROM_EMAIL"]) == (True, False, "卡盾 <n@ka.example.com>")


def test_smtps_defaults_to_465_with_tls_from_the_start():
    values = email_settings({"KADUN_EMAIL_URL": "smtps://u:p@mail.example.com"})
    assert (values["EMAIL_PORT"], values["EMAIL_USE_SSL"], values["EMAIL_USE_TLS"]) == (465, True, False)


def test_djangos_own_variables():
    values = email_settings({"EMAIL_HOST": "smtp.example.com", "EMAIL_USE_TLS": "1", "EMAIL_HOST_USER": "u", "EMAIL_HOST_PASSWORD": "p"})
    assert (values["EMAIL_BACKEND"], values["EMAIL_PORT"], values["EMAIL_USE_TLS"]) == (SMTP, 587, True)


@pytest.mark.parametrize("url", ["http://smtp.example.com", "smtp://", "smtp://h:notaport"])
def test_a_bad_url_refuses_to_start_without_repeating_it(url):
    with pytest.raises(ImproperlyConfigured) as refused:
        email_settings({"KADUN_EMAIL_URL": url})
    assert url not in str(refused.value)


def test_tls_and_ssl_together_are_refused():
    with pytest.raises(ImproperlyConfigured):
        email_settings({"EMAIL_HOST": "h", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})
