"""The complaint dossier (投诉材料): its text (order number, the merchant, every frozen clause in
Chinese, the decision, the evidence hashes, how to verify), pages that render, and who may have
it — staff always; the buyer once a case is decided, the platform missed an SLA target or the
merchant missed a deadline; never the merchant."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from kadun.cases.models import Case, SlaClock
from kadun.cases.tests.helpers import delivered_order, later, staff
from kadun.cases.tests.pages import opened
from kadun.evidence import dossier, selectors_downloads
from kadun.evidence.errors import DossierBuyerOnly, DossierNotYet
from kadun.evidence.tests.conftest import evidence_order
from kadun.orders.selectors import Viewer

pytestmark = pytest.mark.django_db


def _decide(case, *, fault="merchant"):
    from kadun.cases import review

    later(hours=48, seconds=1)  # the merchant stays silent: the case reaches the platform
    review.case_decide(case=Case.objects.get(pk=case.pk), arbitrator=staff("arbitrator"), remedy="full_refund", fault=fault,
                       reasons="卡密在买家首次查看前已被使用，商家未能说明", clauses=[2], evidence=[1])


def _text(pdf: bytes) -> str:
    """The PDF's text by poppler's pdftotext (pypdf misreads the two-byte codes of a CFF CID font)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils, installed by make browser-deps) not installed")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout.decode()


@pytest.fixture
def decided(kit):
    order, case = evidence_order(kit)
    _decide(case)
    order.refresh_from_db()
    return order, case


def test_the_dossier_names_the_order_the_merchant_the_rules_and_the_decision(kit, decided):
    order, case = decided
    name, pdf = dossier.dossier_pdf(order=order, role="buyer", grounds={"decided"})
    assert name == f"kadun-dossier-{order.order_no}.pdf" and pdf.startswith(b"%PDF")
    text = "".join(_text(pdf).split())  # extracted text breaks lines where the PDF wraps them
    assert order.order_no in text and order.shop.name in text
    for clause in order.policy_snapshot["clauses"]:
        assert f"第{clause['no']}条{''.join(clause['text'].split())}" in text
    assert "卡密在买家首次查看前已被使用，商家未能说明" in text and "商家责任" in text and "¥15.00" in text
    assert kit.head["root_hash"] in text and "/transparency/keys.json" in text
    assert "卡盾演示平台" in text  # the platform's identity from settings
    first = case.__class__.objects.get(pk=case.pk)
    assert first.case_no in text


def test_the_dossier_pages_render_and_are_not_blank(decided, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    from PIL import Image, ImageStat

    order, _case = decided
    _name, pdf = dossier.dossier_pdf(order=order, role="buyer", grounds={"decided"})
    (tmp_path / "d.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(tmp_path / "d.pdf"), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    for page in pages:
        stat = ImageStat.Stat(Image.open(page).convert("L"))
        assert stat.extrema[0][0] < 100 and stat.stddev[0] > 5, page.name  # dark text on the white page


# --- who may have it --------------------------------------------------------------------------


def _viewer(user):
    return Viewer(user=user)


def test_the_buyer_may_not_have_it_before_any_ground():
    order = delivered_order()
    opened(order)
    with pytest.raises(DossierNotYet):
        selectors_downloads.dossier_access(order_no=order.order_no, viewer=_viewer(order.buyer))


def test_the_buyer_may_have_it_once_a_case_is_decided(kit):
    order, case = evidence_order(kit)
    _decide(case, fault="buyer")
    assert selectors_downloads.dossier_access(order_no=order.order_no, viewer=_viewer(order.buyer))[1] == "buyer"
    assert "decided" in selectors_downloads.dossier_grounds(order)


def test_the_buyer_may_have_it_when_the_platform_breached_an_sla():
    order = delivered_order()
    case = opened(order, kind="complaint", remedy="")  # a complaint goes to the platform at once: its clocks run
    assert SlaClock.objects.filter(case=case).exists()
    later(hours=25)
    assert SlaClock.objects.filter(case=case, breached_at__isnull=False).exists()
    assert selectors_downloads.dossier_grounds(order) == {"sla_breach"}
    assert selectors_downloads.dossier_access(order_no=order.order_no, viewer=_viewer(order.buyer))[1] == "buyer"


def test_the_buyer_may_have_it_when_the_merchant_let_a_case_deadline_pass():
    order = delivered_order()
    opened(order)
    later(hours=48, seconds=1)  # silent merchant: the case escalates by itself (merchant_silent)
    assert "merchant_default" in selectors_downloads.dossier_grounds(order)


def test_the_buyer_may_have_it_when_the_merchant_has_a_breach_on_the_order():
    from kadun.merchants.services import breach_record

    order = delivered_order()
    breach_record(shop_id=order.shop_id, kind="refund_unanswered", order_id=order.pk, note="退款申请逾期未处理")
    assert selectors_downloads.dossier_grounds(order) == {"merchant_default"}


def test_staff_may_always_have_it_and_the_merchant_never():
    order = delivered_order()
    assert selectors_downloads.dossier_access(order_no=order.order_no, viewer=_viewer(staff("support")))[1] == "staff"
    opened(order)
    later(hours=48, seconds=1)
    with pytest.raises(DossierBuyerOnly):
        selectors_downloads.dossier_access(order_no=order.order_no, viewer=_viewer(order.shop.owner))



def test_the_dossier_names_the_merchants_verified_legal_identity(kit, decided):
    """The platform discloses who the merchant is (资质审核's verified identity): a company's
    legal name and licence number in full."""
    from kadun.merchants import onboarding
    from kadun.merchants.tests.onboarding_helpers import COMPANY_NO, risk_user, submit

    order, _case = decided
    application = submit(order.shop, entity_type="company", legal_name="福州星辰网络科技有限公司", number=COMPANY_NO)
    onboarding.application_approve(application_id=application.pk, actor=risk_user())
    order.shop.refresh_from_db()
    _name, pdf = dossier.dossier_pdf(order=order, role="buyer", grounds={"decided"})
    text = "".join(_text(pdf).split())
    assert "福州星辰网络科技有限公司" in text and COMPANY_NO in text
