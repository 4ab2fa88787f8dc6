"""资质审核: a merchant applies, risk staff decide; a shop sells nothing until approved; a change
of identity is reviewed while the shop keeps selling under its verified identity."""
import pytest
from django.db import connection
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user
from kadun.core.errors import DomainError
from kadun.merchants import onboarding
from kadun.merchants.models import Shop
from kadun.merchants.models_onboarding import ApplicationFile, IdentityView, ShopApplication
from kadun.merchants.onboarding_errors import ShopNotVerified
from kadun.merchants.tests.onboarding_helpers import COMPANY_NO, PERSON_ID, png, risk_user, submit

pytestmark = pytest.mark.django_db


def _unapproved_shop_with_product():
    owner = make_user()
    shop = make_shop(owner, approved=False)
    product = make_product(shop, keys=3, category="topup")  # topup needs no proof
    return shop, product


# --- submission ----------------------------------------------------------------------------


@pytest.mark.parametrize("entity_type,number,code", [
    ("person", "110105194912310021", "invalid_id_number"),  # wrong check digit
    ("person", "12345", "invalid_id_number"),
    ("company", "91350100M000100Y44", "invalid_licence_number"),
    ("company", "9135010OM000100Y43", "invalid_licence_number"),  # O is not in the code's alphabet
])
def test_a_bad_identity_number_is_refused_with_its_code_and_nothing_stored(entity_type, number, code):
    shop = make_shop(approved=False)
    with pytest.raises(DomainError) as exc:
        submit(shop, entity_type=entity_type, number=number)
    assert exc.value.code == code
    assert not ShopApplication.objects.exists()


def test_a_category_needing_a_proof_is_refused_without_it():
    from kadun.merchants import rules

    shop = make_shop(approved=False)
    with pytest.raises(DomainError) as exc:
        onboarding.application_submit(
            shop=shop, entity_type="company", legal_name="某某科技有限公司", number=COMPANY_NO, contact="13800000000",
            categories=["software"], licence=png(), proofs={}, rules_sha256=rules.rules_current().sha256, accept_rules=True,
        )
    assert exc.value.code == "proof_missing" and "软件授权书" in exc.value.message


def test_rules_read_in_an_older_version_are_refused():
    shop = make_shop(approved=False)
    from kadun.merchants import rules

    with pytest.raises(DomainError) as exc:
        onboarding.application_submit(
            shop=shop, entity_type="company", legal_name="某某科技有限公司", number=COMPANY_NO, contact="13800000000",
            categories=["topup"], licence=png(), rules_sha256="0" * 64, accept_rules=True,
        )
    assert exc.value.code == "rules_changed"
    assert rules.rules_current().version == 1


def test_the_accepted_rules_version_is_recorded_with_its_time():
    shop = make_shop(approved=False)
    application = submit(shop)
    assert application.rules_version.version == 1 and application.rules_accepted_at == application.submitted_at
    assert len(application.rules_version.sha256) == 64


def test_the_rules_get_a_new_version_when_a_number_changes(settings):
    from kadun.merchants import rules

    first = rules.rules_current()
    settings.KADUN_BADGE_GOLD = {**settings.KADUN_BADGE_GOLD, "credit_min": 900}
    second = rules.rules_current()
    assert (first.version, second.version) == (1, 2) and "900" in second.text and "900" not in first.text


def test_the_identity_number_is_encrypted_at_rest_and_masked_for_display():
    shop = make_shop(approved=False)
    application = submit(shop, entity_type="person", legal_name="张三丰", number=PERSON_ID)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM merchants_shopapplication WHERE id = %s", [application.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert PERSON_ID not in raw and "张三丰" not in raw
    assert application.number_masked == "1101**********002X" and application.display_name == "张**"


def test_one_pending_application_at_a_time():
    shop = make_shop(approved=False)
    submit(shop)
    with pytest.raises(DomainError) as exc:
        submit(shop)
    assert exc.value.code == "application_pending"


def test_licence_and_proofs_are_stored_after_commit(django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    shop = make_shop(approved=False)
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(shop, categories=["software"])
    files = list(ApplicationFile.objects.filter(application=application))
    assert sorted(f.kind for f in files) == ["licence", "software_licence"]
    assert all(default_storage.exists(f.file.name) for f in files)


# --- decisions -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["", "support", "arbitrator"])
def test_only_risk_staff_decide(role):
    shop = make_shop(approved=False)
    application = submit(shop)
    with pytest.raises(DomainError) as exc:
        onboarding.application_approve(application_id=application.pk, actor=make_user(staff_role=role))
    assert exc.value.status == 403
    assert ShopApplication.objects.get(pk=application.pk).status == "pending"


def test_approval_lets_the_shop_sell_and_shows_its_identity():
    shop, product = _unapproved_shop_with_product()
    application = submit(shop)
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    shop.refresh_from_db()
    assert shop.selling_blocks == 0 and shop.identity_id == application.pk and shop.verified_at
    order, _token, _url = buy(product)
    assert order.pk


def test_rejection_needs_a_reason_and_keeps_the_shop_closed():
    shop = make_shop(approved=False)
    application = submit(shop)
    with pytest.raises(DomainError):
        onboarding.application_reject(application_id=application.pk, actor=risk_user(), reason="")
    onboarding.application_reject(application_id=application.pk, actor=risk_user("risk2"), reason="证照模糊")
    shop.refresh_from_db()
    assert shop.selling_blocks & 1 and ShopApplication.objects.get(pk=application.pk).reason == "证照模糊"


def test_a_decided_application_cannot_be_decided_again():
    application = submit(make_shop(approved=False))
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    with pytest.raises(DomainError) as exc:
        onboarding.application_reject(application_id=application.pk, actor=risk_user("risk2"), reason="改主意")
    assert exc.value.code == "application_decided"


def test_revealing_an_identity_is_recorded():
    application = submit(make_shop(approved=False), entity_type="person", legal_name="李四", number=PERSON_ID)
    staff = risk_user()
    identity = onboarding.identity_reveal(application_id=application.pk, viewer=staff)
    assert identity == {"legal_name": "李四", "number": PERSON_ID}
    assert list(IdentityView.objects.values_list("viewer_id", flat=True)) == [staff.pk]


# --- identity change -----------------------------------------------------------------------


def test_an_identity_change_is_reviewed_while_the_shop_keeps_selling_under_the_old_identity():
    shop, product = _unapproved_shop_with_product()
    first = submit(shop)
    onboarding.application_approve(application_id=first.pk, actor=risk_user())
    shop.refresh_from_db()

    change = submit(shop, entity_type="person", legal_name="王五", number=PERSON_ID)
    shop.refresh_from_db()
    assert change.kind == "change" and shop.identity_id == first.pk and shop.selling_blocks == 0
    assert buy(product)[0].pk  # still selling

    onboarding.application_approve(application_id=change.pk, actor=risk_user("risk2"))
    shop.refresh_from_db()
    assert shop.identity_id == change.pk
    assert ShopApplication.objects.get(pk=first.pk).status == "superseded"


def test_a_rejected_identity_change_keeps_the_verified_identity():
    shop = make_shop(approved=False)
    first = submit(shop)
    onboarding.application_approve(application_id=first.pk, actor=risk_user())
    change = submit(Shop.objects.get(pk=shop.pk), legal_name="另一家公司有限公司")
    onboarding.application_reject(application_id=change.pk, actor=risk_user("risk2"), reason="无法核实")
    shop.refresh_from_db()
    assert shop.identity_id == first.pk and shop.selling_blocks == 0


# --- an unapproved shop sells nothing ------------------------------------------------------


def test_the_gate_refuses_an_unapproved_shop():
    from kadun.merchants.gate import selling_refusal

    shop = make_shop(approved=False)
    assert isinstance(selling_refusal(shop.pk), ShopNotVerified)
    assert selling_refusal(make_shop().pk) is None


def test_an_unapproved_shops_products_are_not_on_the_storefront(client):
    _shop, product = _unapproved_shop_with_product()
    approved = make_product(make_shop(), keys=1, title="已审核店铺商品")
    body = client.get(reverse("web:home")).content.decode()
    assert approved.title in body and product.title not in body
    listed = [p["id"] for p in client.get("/api/products").json()["items"]]
    assert approved.pk in listed and product.pk not in listed


def test_checkout_of_an_unapproved_shop_is_refused_with_the_chinese_message(client):
    _shop, product = _unapproved_shop_with_product()
    page = client.get(reverse("web:product", args=[product.pk]))
    assert ShopNotVerified.message in page.content.decode() and 'id="checkout"' not in page.content.decode()

    response = client.post(reverse("web:checkout", args=[product.pk]), {
        "quantity": "1", "contact": "guest@example.com", "query_password": "chaxun123", "no_reason_waived": "on", "pay_with": "sandbox",
    })
    assert response.status_code == 400 and ShopNotVerified.message in response.content.decode()

    api = client.post("/api/orders", {"product_id": product.pk, "quantity": 1, "contact": "guest@example.com",
                                      "query_password": "chaxun123", "confirm_no_reason_exclusion": True}, content_type="application/json")
    assert api.status_code == 403 and api.json() == {"code": "shop_not_verified", "message": ShopNotVerified.message}
    from kadun.orders.models import Order

    assert not Order.objects.exists()


def test_a_category_with_proofs_is_refused_until_they_are_approved():
    from kadun.catalog.services import product_create

    shop = make_shop(approved=False)
    with pytest.raises(DomainError) as exc:
        product_create(shop=shop, data={"title": "Office 激活码", "price": 1000, "delivery": "auto", "category": "software"})
    assert exc.value.code == "category_not_approved"
    application = submit(shop, categories=["software"])
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    shop.refresh_from_db()
    assert product_create(shop=shop, data={"title": "Office 激活码", "price": 1000, "delivery": "auto", "category": "software"}).pk


def test_a_payout_account_must_be_in_the_verified_legal_name():
    """提现 reads the approved identity: before approval no account can be added; after it, only
    one whose holder is the verified legal name."""
    from kadun.merchants.payout_accounts import payout_account_add
    from kadun.merchants.selectors_identity import verified_name

    shop, _product = _unapproved_shop_with_product()
    application = submit(shop, legal_name="福州星辰网络科技有限公司")
    assert verified_name(shop.pk) is None
    with pytest.raises(DomainError):
        payout_account_add(shop_id=shop.pk, kind="alipay", number="13800138000", holder_name="福州星辰网络科技有限公司")
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    assert verified_name(shop.pk) == "福州星辰网络科技有限公司"
    with pytest.raises(DomainError):
        payout_account_add(shop_id=shop.pk, kind="alipay", number="13800138000", holder_name="李四")
    account = payout_account_add(shop_id=shop.pk, kind="alipay", number="13800138000", holder_name="福州星辰网络科技有限公司")
    assert account.pk
