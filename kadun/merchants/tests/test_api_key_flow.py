"""Creating an API key, through HTTP: POST → redirect → GET, the secret shown exactly once, on
a page that is never cached, and never in a URL; refreshing creates nothing."""
import pytest
from django.urls import reverse

from conftest import make_shop, make_user
from kadun.accounts.services import api_key_authenticate
from kadun.merchants.tests.html import section

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(client):
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)
    return shop


def test_creating_a_key_redirects_and_shows_the_secret_once(client, merchant):
    url = reverse("web:api_keys")

    created = client.post(url, {"name": "发卡脚本", "scopes": ["merchant"]})

    assert created.status_code == 302
    assert created["Location"].split("#")[0] == url  # nothing of the key in the URL
    shown = client.get(url)
    secret = section(shown.content.decode(), "new-api-key-secret")
    assert api_key_authenticate(secret) == merchant.owner
    assert shown["Cache-Control"] == "no-store, private"
    assert secret not in created["Location"]

    again = client.get(url)  # a refresh, the back button
    assert secret not in again.content.decode()
    assert 'id="new-api-key"' not in again.content.decode()
    assert merchant.owner.api_keys.count() == 1


def test_a_refused_name_creates_nothing_and_shows_the_error(client, merchant):
    response = client.post(reverse("web:api_keys"), {"name": ""})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not merchant.owner.api_keys.exists()

