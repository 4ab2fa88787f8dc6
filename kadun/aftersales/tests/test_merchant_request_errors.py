"""The merchant's refund request page, through HTTP: a refused answer is shown inside the form
that sent it, and every form posts back to its own section so the browser returns there."""
import pytest
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.aftersales.services import refund_request_create
from kadun.aftersales.states import RequestStatus
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.merchants.tests.html import section, section_tags

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(client):
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)
    return shop


def _awaiting(shop):
    product = make_product(shop, keys=3, price=1000)
    order, _, _ = buy(product)
    order = pay(order)
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="guest")
    request = refund_request_create(order=order, reason="not_as_described", statement="面值不对", key_ids=[key.pk])
    assert request.status == RequestStatus.AWAITING_MERCHANT
    return request


def _url(request):
    return reverse("aftersales:merchant_request", args=[request.request_no])


def test_every_answer_form_posts_back_to_its_own_section(client, merchant):
    request = _awaiting(merchant)
    page = client.get(_url(request)).content.decode()
    forms = {t["id"]: t["action"] for t in section_tags(page, "actions") if t["tag"] == "form"}
    assert forms and all(action == f"{_url(request)}#{form_id}" for form_id, action in forms.items())
    assert {"act-approve", "act-partial", "act-reject"} <= set(forms)


def test_a_bad_partial_amount_is_shown_in_the_partial_form(client, merchant):
    request = _awaiting(merchant)

    response = client.post(_url(request), {"action": "partial", "amount": "10.00"})

    body = response.content.decode()
    assert response.status_code == 400
    assert "部分退款金额需大于0且小于申请金额" in section(body, "act-partial")
    assert "部分退款金额需大于0且小于申请金额" not in section(body, "act-reject")
    assert 'value="10.00"' in body  # what the merchant typed is kept


def test_a_too_short_rejection_is_shown_in_the_reject_form(client, merchant):
    request = _awaiting(merchant)

    response = client.post(_url(request), {"action": "reject", "note": "不"})

    body = response.content.decode()
    assert response.status_code == 400
    error = section(body, "act-reject")
    assert "理由" in error and "5" in error
    assert 'id="form-errors"' not in body
