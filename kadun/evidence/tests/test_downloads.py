"""Who downloads what, over HTTP: the bundle of an order or case for its buyer (also a guest
with the access link or token), its merchant and staff — 404 for anyone else; the dossier for
staff, and for the buyer only once a case is decided (403 before, with the reason), never for the
merchant. The order and case pages link them."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.cases.tests.helpers import staff
from kadun.cases.tests.pages import client_of, text
from kadun.evidence.offline.verify import verify_bundle
from kadun.evidence.tests.bundle_kit import record, unzip
from kadun.evidence.tests.conftest import evidence_order, internal, subject_entries
from kadun.evidence.tests.test_dossier import _decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(kit):
    order, case = evidence_order(kit)
    return order, case


def _zip_ok(response, *, entries: list):
    """A verified bundle holding exactly ``entries`` (the log's rows: conftest.subject_entries)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip" and "attachment;" in response["Content-Disposition"]
    assert {"private", "no-store"} <= {p.strip() for p in response["Cache-Control"].split(",")}
    data = b"".join(response.streaming_content)
    report = verify_bundle(data)
    assert report.ok and report.entries == len(entries), report.problems
    assert json.loads(unzip(data)["manifest.json"])["entries"] == [e.pk for e in entries]
    return data


def test_the_buyer_merchant_and_staff_download_the_order_bundle(scene):
    order, _case = scene
    url = f"/orders/{order.order_no}/evidence.zip"
    theirs, everything = subject_entries(order), subject_entries(order, role="staff")
    notes = [e for e in everything if e.kind == "case.message" and internal(e)]
    assert len(notes) == 2 and not set(notes) & set(theirs)  # the staff note (as logged, and as the kit recorded it)
    _zip_ok(client_of(order.buyer).get(url), entries=theirs)
    _zip_ok(client_of(order.shop.owner).get(url), entries=theirs)
    _zip_ok(client_of(staff("support")).get(url), entries=everything)  # with the internal note


def test_another_buyer_another_merchant_and_anonymous_get_404(scene):
    order, case = scene
    for client in (client_of(make_user()), client_of(make_shop().owner), Client()):
        assert client.get(f"/orders/{order.order_no}/evidence.zip").status_code == 404
        assert client.get(f"/cases/{case.case_no}/evidence.zip").status_code == 404
        assert client.get(f"/api/orders/{order.order_no}/evidence-bundle").status_code == 404
    assert client_of(make_user()).get("/orders/000000000000000000/evidence.zip").status_code == 404


def test_the_case_bundle_is_named_after_the_case(scene):
    order, case = scene
    response = client_of(order.shop.owner).get(f"/cases/{case.case_no}/evidence.zip")
    data = _zip_ok(response, entries=subject_entries(order, case, role="merchant"))
    assert f"kadun-evidence-case-{case.case_no}.zip" in response["Content-Disposition"]
    assert b'"type": "case"' in unzip(data)["manifest.json"]


def test_a_guest_downloads_with_the_access_link_or_the_token(kit):
    order, token, _ = buy(make_product(make_shop(), keys=2))
    order = pay(order)
    paid = record("order", order.pk, "order.paid", {"amount": order.amount})
    kit.settle()
    entries = subject_entries(order)
    assert paid in entries and {"order.placed", "payment.notified"} <= {e.kind for e in entries}  # checkout's and payment's own too
    guest = Client()
    assert guest.get(f"/o/{token}/").status_code == 302
    _zip_ok(guest.get(f"/orders/{order.order_no}/evidence.zip"), entries=entries)
    _zip_ok(Client().get(f"/api/orders/{order.order_no}/evidence-bundle", HTTP_X_ORDER_TOKEN=token), entries=entries)
    assert Client().get(f"/api/orders/{order.order_no}/evidence-bundle", HTTP_X_ORDER_TOKEN="wrong").status_code == 404
    assert Client().get(f"/orders/{order.order_no}/evidence.zip").status_code == 404


def test_the_api_gives_the_same_bundle_and_a_consistency_proof_with_since(kit, scene):
    order, case = scene
    old = kit.head["tree_size"]
    decided = record("case", case.pk, "case.decided", {"remedy": "full_refund"})
    kit.settle()
    response = client_of(order.buyer).get(f"/api/orders/{order.order_no}/evidence-bundle?since={old}")
    entries = subject_entries(order)
    assert entries[-1] == decided
    files = unzip(_zip_ok(response, entries=entries))
    assert b'"first": %d' % old in files["consistency.json"]
    bad = client_of(order.buyer).get(f"/api/orders/{order.order_no}/evidence-bundle?since=0")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_since")


def test_the_order_and_case_pages_link_the_bundle(scene):
    order, case = scene
    buyer = client_of(order.buyer)
    page = text(buyer.get(f"/orders/{order.order_no}/"))
    assert f'href="/orders/{order.order_no}/evidence.zip"' in page and 'id="dossier-later"' in page and 'id="dossier-link"' not in page
    assert f'href="/cases/{case.case_no}/evidence.zip"' in text(buyer.get(f"/cases/{case.case_no}/"))
    assert f'href="/cases/{case.case_no}/evidence.zip"' in text(client_of(order.shop.owner).get(f"/merchant/cases/{case.case_no}/"))
    staff_page = text(client_of(staff("support")).get(f"/staff/cases/{case.case_no}/"))
    assert f'href="/orders/{order.order_no}/dossier.pdf"' in staff_page


# --- the dossier --------------------------------------------------------------------------------


def test_the_buyer_is_refused_the_dossier_before_a_decision_and_given_it_after(scene):
    order, case = scene
    buyer = client_of(order.buyer)
    refused = buyer.get(f"/orders/{order.order_no}/dossier.pdf")
    assert refused.status_code == 403 and 'data-code="dossier_not_yet"' in text(refused) and "售后工单裁决后" in text(refused)
    api = buyer.get(f"/api/orders/{order.order_no}/dossier")
    assert (api.status_code, api.json()["code"]) == (403, "dossier_not_yet")
    _decide(case)
    response = buyer.get(f"/orders/{order.order_no}/dossier.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert f"kadun-dossier-{order.order_no}.pdf" in response["Content-Disposition"]
    assert 'id="dossier-link"' in text(buyer.get(f"/orders/{order.order_no}/"))
    assert buyer.get(f"/api/orders/{order.order_no}/dossier").status_code == 200


def test_the_merchant_never_gets_the_dossier_and_strangers_get_404(scene):
    order, case = scene
    _decide(case)
    merchant = client_of(order.shop.owner)
    refused = merchant.get(f"/orders/{order.order_no}/dossier.pdf")
    assert refused.status_code == 403 and 'data-code="dossier_buyer_only"' in text(refused)
    assert merchant.get(f"/api/orders/{order.order_no}/dossier").json()["code"] == "dossier_buyer_only"
    for client in (client_of(make_user()), client_of(make_shop().owner), Client()):
        assert client.get(f"/orders/{order.order_no}/dossier.pdf").status_code == 404
        assert client.get(f"/api/orders/{order.order_no}/dossier").status_code == 404


def test_staff_always_get_the_dossier(scene):
    order, _case = scene
    response = client_of(staff("support")).get(f"/orders/{order.order_no}/dossier.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_one_file_verifier_is_served(db):
    response = Client().get("/evidence/verify.py")
    assert response.status_code == 200 and b"def verify_bundle" in response.content
