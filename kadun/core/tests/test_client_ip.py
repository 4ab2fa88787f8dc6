"""``client_ip``: X-Forwarded-For is believed only from trusted proxies, read from the right."""
from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from conftest import make_user
from kadun.core.client_ip import client_ip

rf = RequestFactory()


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(rf.get("/", **meta))


def test_without_proxies_configured_the_header_is_ignored(settings):
    settings.KADUN_TRUSTED_PROXIES, settings.KADUN_PROXY_COUNT = [], 0
    assert _ip("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_trusted_proxy_gives_the_right_most_untrusted_address(settings):
    settings.KADUN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # the client wrote "1.1.1.1" itself; nginx appended the address it saw
    assert _ip("10.0.0.2", "1.1.1.1, 198.51.100.7") == "198.51.100.7"
    # two proxies of ours in a row are both skipped
    assert _ip("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.0.0.9") == "198.51.100.7"


def test_an_untrusted_peer_cannot_claim_an_address(settings):
    settings.KADUN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert _ip("198.51.100.7", "10.0.0.5, 203.0.113.1") == "198.51.100.7"


def test_proxy_count_alone_counts_hops_from_the_right(settings):
    settings.KADUN_TRUSTED_PROXIES, settings.KADUN_PROXY_COUNT = [], 2
    assert _ip("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.0.0.9") == "198.51.100.7"
    assert _ip("10.0.0.2") == "10.0.0.2"  # no header: a direct visitor


def test_proxy_count_caps_the_trusted_hops(settings):
    settings.KADUN_TRUSTED_PROXIES, settings.KADUN_PROXY_COUNT = ["10.0.0.0/8"], 1
    assert _ip("10.0.0.2", "198.51.100.7, 10.0.0.9") == "10.0.0.9"


def test_ports_brackets_and_mapped_addresses_are_understood(settings):
    settings.KADUN_TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    assert _ip("::ffff:127.0.0.1", "198.51.100.7:4431") == "198.51.100.7"
    assert _ip("::1", "[2001:db8::5]:443") == "2001:db8::5"


def test_garbage_in_the_header_is_never_returned(settings):
    settings.KADUN_TRUSTED_PROXIES = ["127.0.0.1"]
    assert _ip("127.0.0.1", "<script>, unknown") == "127.0.0.1"
    assert _ip("127.0.0.1", "'; DROP TABLE x; --, 198.51.100.7") == "198.51.100.7"


@pytest.mark.django_db
def test_login_lockout_behind_the_proxy_is_per_client(settings):
    """axes sees the client behind the proxy: one client's failures don't lock out another."""
    settings.KADUN_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.AXES_FAILURE_LIMIT = 3
    make_user("victim", password="right-password-1")
    for i in range(4):
        Client().post("/login/", {"username": "victim", "password": f"wrong-{i}"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    locked = Client().post("/login/", {"username": "victim", "password": "right-password-1"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert locked.status_code == 429
    owner = Client()
    response = owner.post("/login/", {"username": "victim", "password": "right-password-1"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert response.status_code == 302
    assert owner.get("/orders/mine/").status_code == 200


def test_a_misconfigured_proxy_list_stops_the_start():
    from django.core.exceptions import ImproperlyConfigured

    from kadun.settings.network import trusted_proxies

    assert trusted_proxies(" 127.0.0.1, 10.0.0.0/8 ,") == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ImproperlyConfigured, match="nginx"):
        trusted_proxies("127.0.0.1,nginx")
