"""资质审核 through HTTP: the merchant's form and status page, the staff console, the API, the
shop's public page and the rules page."""
import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_shop, make_user
from kadun.merchants import onboarding, rules
from kadun.merchants.models_onboarding import IdentityView, ShopApplication
from kadun.merchants.tests.onboarding_helpers import COMPANY_NO, PERSON_ID, png, risk_user, submit

pytestmark = pytest.mark.django_db


def _merchant_client():
    user = make_user()
    shop = make_shop(user, approved=False)
    client = Client()
    client.force_login(user)
    return client, shop


def _form(**overrides):
    data = {
        "entity_type": "person", "legal_name": "赵六", "number": PERSON_ID, "contact": "13900000000", "categories": ["topup"],
        "licence": png(), "accept_rules": "on", "rules_sha256": rules.rules_current().sha256,
    }
    data.update(overrides)
    return data


def test_the_merchant_applies_on_the_page_and_sees_it_pending():
    client, shop = _merchant_client()
    assert 'data-state="none"' in client.get(reverse("merchants:onboarding")).content.decode()
    response = client.post(reverse("merchants:onboarding"), _form())
    assert response.status_code == 302
    page = client.get(reverse("merchants:onboarding")).content.decode()
    assert 'data-state="pending"' in page and "1101**********002X" in page and PERSON_ID not in page
    assert 'id="application-form"' not in page  # one pending application at a time
    assert "审核中" in client.get(reverse("merchants:dashboard")).content.decode()


def test_a_bad_id_number_on_the_page_shows_the_message():
    client, _shop = _merchant_client()
    response = client.post(reverse("merchants:onboarding"), _form(number="110105194912310021"))
    assert response.status_code == 400 and "身份证号格式不正确" in response.content.decode()
    assert not ShopApplication.objects.exists()


def test_the_rejection_reason_reaches_the_merchant():
    client, shop = _merchant_client()
    application = submit(shop)
    onboarding.application_reject(application_id=application.pk, actor=risk_user(), reason="营业执照已过期")
    page = client.get(reverse("merchants:onboarding")).content.decode()
    assert 'data-state="rejected"' in page and "营业执照已过期" in page and 'id="application-form"' in page


@pytest.mark.parametrize("role,status", [("support", 403), ("arbitrator", 403), ("risk", 200), ("admin", 200)])
def test_the_staff_detail_shows_the_identity_in_clear_to_risk_staff_only_and_records_it(role, status):
    application = submit(make_shop(approved=False), entity_type="person", legal_name="钱七", number=PERSON_ID)
    staff = make_user(staff_role=role)
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("onboarding:staff_detail", args=[application.pk]))
    assert response.status_code == status
    body = response.content.decode()
    assert (PERSON_ID in body) == (status == 200)
    assert IdentityView.objects.filter(viewer=staff).count() == (1 if status == 200 else 0)


@pytest.mark.parametrize("who", ["anonymous", "buyer", "merchant"])
def test_the_staff_console_is_a_404_for_non_staff(who):
    application = submit(make_shop(approved=False))
    client = Client()
    if who != "anonymous":
        user = make_user()
        if who == "merchant":
            make_shop(user)
        client.force_login(user)
    assert client.get(reverse("onboarding:staff_queue")).status_code == 404
    assert client.post(reverse("onboarding:staff_approve", args=[application.pk])).status_code == 404
    assert ShopApplication.objects.get(pk=application.pk).status == "pending"


def test_risk_staff_approve_on_the_page_and_the_shop_page_shows_the_identity():
    shop = make_shop(approved=False)
    application = submit(shop, legal_name="福州星辰网络科技有限公司", number=COMPANY_NO)
    client = Client()
    client.force_login(risk_user())
    assert str(application.pk) in client.get(reverse("onboarding:staff_queue")).content.decode()
    assert client.post(reverse("onboarding:staff_approve", args=[application.pk])).status_code == 302
    page = Client().get(reverse("onboarding:shop", args=[shop.pk])).content.decode()
    assert "福州星辰网络科技有限公司" in page and "9135**********0Y43" in page and COMPANY_NO not in page
    assert 'data-badge="verified"' in page and all(f'id="{s}"' in page for s in ("shop-record", "shop-deposit", "shop-complaints"))


def test_a_person_shows_only_a_masked_name_on_the_shop_page():
    shop = make_shop(approved=False)
    application = submit(shop, entity_type="person", legal_name="孙八宝", number=PERSON_ID)
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    page = Client().get(reverse("onboarding:shop", args=[shop.pk])).content.decode()
    assert "孙**" in page and "孙八宝" not in page and "1101" not in page


def test_an_unapproved_shop_has_no_public_page():
    shop = make_shop(approved=False)
    assert Client().get(reverse("onboarding:shop", args=[shop.pk])).status_code == 404
    assert Client().get(f"/api/shops/{shop.pk}").status_code == 404


def test_the_rules_page_shows_the_numbers_from_settings(settings):
    settings.KADUN_BADGE_GOLD = {**settings.KADUN_BADGE_GOLD, "orders_min": 321}
    page = Client().get(reverse("onboarding:rules")).content.decode()
    assert "321" in page and "软件授权书" in page and all(f'id="{s}"' in page for s in ("rules-deposit", "rules-runaway"))  # every rule part on the one page


# --- API -----------------------------------------------------------------------------------


def test_the_api_flow_submit_review_approve():
    user = make_user()
    shop = make_shop(user, approved=False)
    merchant = Client()
    merchant.force_login(user)
    response = merchant.post("/api/merchant/onboarding", _form(entity_type="company", legal_name="某某网络有限公司", number=COMPANY_NO))
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "pending"
    application_id = response.json()["application_id"]

    staff = Client()
    staff.force_login(risk_user())
    assert [a["id"] for a in staff.get("/api/staff/onboarding/applications").json()] == [application_id]
    detail = staff.get(f"/api/staff/onboarding/applications/{application_id}").json()
    assert detail["number"] == COMPANY_NO and detail["number_masked"] == "9135**********0Y43"
    approved = staff.post(f"/api/staff/onboarding/applications/{application_id}/approve", {}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert merchant.get("/api/merchant/onboarding").json()["state"] == "approved"
    public = Client().get(f"/api/shops/{shop.pk}").json()
    assert public["identity"]["number"] == "9135**********0Y43" and [b["kind"] for b in public["badges"]] == ["verified"]


def test_the_api_refuses_a_bad_licence_number_with_its_code():
    user = make_user()
    make_shop(user, approved=False)
    client = Client()
    client.force_login(user)
    response = client.post("/api/merchant/onboarding", _form(entity_type="company", number="91350100M000100Y44"))
    assert response.status_code == 400 and response.json()["code"] == "invalid_licence_number"


@pytest.mark.parametrize("role", ["", "support", "arbitrator"])
def test_the_staff_api_is_refused_to_everyone_but_risk(role):
    application = submit(make_shop(approved=False))
    client = Client()
    client.force_login(make_user(staff_role=role))
    assert client.get("/api/staff/onboarding/applications").status_code == 403
    response = client.post(f"/api/staff/onboarding/applications/{application.pk}/approve", {}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "not_risk_staff"
    assert ShopApplication.objects.get(pk=application.pk).status == "pending"


def test_the_staff_api_takes_no_api_key():
    from kadun.accounts.services import api_key_create

    staff = risk_user()
    _key, secret = api_key_create(user=staff, name="k")
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/staff/onboarding/applications")
    assert response.status_code == 403 and response.json()["code"] == "session_required"
