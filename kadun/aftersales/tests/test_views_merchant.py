"""商家后台 · 退款售后 through HTTP: the merchant answers refund requests (full, partial, replace,
promise then 补发, reject), edits the refund rules (new versions never touch orders already
placed, the platform baseline holds) and the 验货 checker — and never sees or touches another
shop's requests or products."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import buy, make_product, make_shop, make_user, pay
from kadun.aftersales.models import RefundEvent, RefundRequest
from kadun.aftersales.services import refund_request_create
from kadun.aftersales.states import RequestStatus
from kadun.catalog.models import Product, RefundPolicy
from kadun.core import clock
from kadun.inventory.models import CardKey
from kadun.inventory import crypto
from kadun.inventory.services import key_reveal, key_verify
from kadun.ledger import accounts as codes
from kadun.ledger.selectors import balance_of
from kadun.orders.models import Order
from kadun.orders.states import OrderStatus
from kadun.payments.models import Refund

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET = "hunter2-very-secret-signing-key"


@pytest.fixture
def merchant(client):
    """A logged-in merchant's shop."""
    user = make_user()
    shop = make_shop(user)
    client.force_login(user)
    return shop


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def _awaiting(shop, *, keys: int = 3, price: int = 1000, verify: bool = False, **product):
    """A delivered auto order of ``shop`` whose key the buyer revealed, then asked a refund for
    as 与描述不符: the engine sends it to the merchant."""
    product = make_product(shop, keys=keys, price=price, **product)
    order, _, _ = buy(product)
    order = pay(order)
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="guest")
    if verify:
        key_verify(order=order, key_id=key.pk)
    request = refund_request_create(order=order, reason="not_as_described", statement="和描述的面值不一样", key_ids=[key.pk])
    assert request.status == RequestStatus.AWAITING_MERCHANT
    return request, order, key


def _url(request):
    return reverse("aftersales:merchant_request", args=[request.request_no])


def _reload(obj):
    obj.refresh_from_db()
    return obj


# --- answering a request ------------------------------------------------------------------


def test_approve_in_full_refunds_the_buyer_and_empties_escrow(client, merchant):
    request, order, key = _awaiting(merchant)
    assert balance_of(codes.escrow(order.pk)) == 1000

    response = client.post(_url(request), {"action": "approve"})

    assert response.status_code == 302
    assert _reload(request).status == RequestStatus.APPROVED
    assert request.amount_refunded == 1000
    assert _reload(order).status == OrderStatus.REFUNDED and order.refunded_amount == 1000
    assert balance_of(codes.escrow(order.pk)) == 0
    assert [r.amount for r in Refund.objects.filter(order=order)] == [1000]
    assert _reload(key).status == "withdrawn"


def test_answering_a_closed_request_again_is_refused_and_pays_nothing_more(client, merchant):
    request, order, _ = _awaiting(merchant)
    client.post(_url(request), {"action": "approve"})

    response = client.post(_url(request), {"action": "approve"})

    assert response.status_code == 400
    assert "该退款申请已处理完毕，不能再操作" in response.content.decode()
    assert [r.amount for r in Refund.objects.filter(order=order)] == [1000]
    assert 'name="action" value="approve"' not in response.content.decode()  # no buttons left


def test_partial_refund_in_yuan_pays_that_part_and_order_stays_delivered(client, merchant):
    request, order, key = _awaiting(merchant)

    client.post(_url(request), {"action": "partial", "amount": "3.00", "note": "面值差价"})

    assert _reload(request).status == RequestStatus.PARTIALLY_APPROVED
    assert request.amount_refunded == 300 and request.merchant_note == "面值差价"
    assert _reload(order).refunded_amount == 300 and order.status == OrderStatus.DELIVERED
    assert [r.amount for r in Refund.objects.filter(order=order)] == [300]
    assert balance_of(codes.escrow(order.pk)) == 700
    assert _reload(key).status == "sold"  # a partial refund leaves the key with the buyer


def test_partial_refund_with_a_bad_amount_is_refused_and_nothing_changes(client, merchant):
    request, order, _ = _awaiting(merchant)

    response = client.post(_url(request), {"action": "partial", "amount": "10.00"})

    assert response.status_code == 400
    assert "部分退款金额需大于0且小于申请金额" in response.content.decode()
    assert _reload(request).status == RequestStatus.AWAITING_MERCHANT
    assert _reload(order).refunded_amount == 0 and not Refund.objects.filter(order=order).exists()


def test_replace_now_gives_a_new_key_and_withdraws_the_old_one(client, merchant):
    request, order, old = _awaiting(merchant)

    client.post(_url(request), {"action": "replace"})

    assert _reload(request).status == RequestStatus.REPLACED
    assert _reload(old).status == "withdrawn"
    active = list(CardKey.objects.filter(order=order, status="sold"))
    assert len(active) == 1 and active[0].pk != old.pk and active[0].first_revealed_at is None
    assert _reload(order).refunded_amount == 0 and order.status == OrderStatus.DELIVERED


def test_promise_two_hours_then_fulfil_replaces_the_key(client, merchant):
    request, order, old = _awaiting(merchant)

    client.post(_url(request), {"action": "promise", "hours": "2"})
    assert _reload(request).status == RequestStatus.AWAITING_REPLACEMENT
    assert dt.timedelta(hours=1, minutes=59) < request.replace_by - clock.now() <= dt.timedelta(hours=2)
    page = client.get(_url(request)).content.decode()
    assert "补发期限" in page and "还剩 1小时59分" in page

    client.post(_url(request), {"action": "fulfil"})

    assert _reload(request).status == RequestStatus.REPLACED
    assert _reload(old).status == "withdrawn"
    assert CardKey.objects.filter(order=order, status="sold").exclude(pk=old.pk).count() == 1
    assert not Refund.objects.filter(order=order).exists()


def test_promise_longer_than_the_frozen_rules_allow_is_refused(client, merchant):
    request, _, _ = _awaiting(merchant)  # default rules: replacement within 24 hours

    response = client.post(_url(request), {"action": "promise", "hours": "48"})

    assert response.status_code == 400
    assert "补发时限需在1到24小时之间" in response.content.decode()
    assert _reload(request).status == RequestStatus.AWAITING_MERCHANT and request.replace_by is None


def test_reject_without_a_reason_is_refused_and_the_request_is_unchanged(client, merchant):
    request, order, key = _awaiting(merchant)
    events = RefundEvent.objects.filter(request=request).count()

    response = client.post(_url(request), {"action": "reject", "note": "不行"})

    assert response.status_code == 400
    assert "拒绝退款需填写理由（至少5个字）" in response.content.decode()
    assert _reload(request).status == RequestStatus.AWAITING_MERCHANT and request.merchant_note == ""
    assert RefundEvent.objects.filter(request=request).count() == events
    assert _reload(order).refund_hold is True


def test_reject_with_a_reason_and_image_closes_the_request_without_refund(client, merchant, media):
    request, order, key = _awaiting(merchant)
    image = SimpleUploadedFile("chat.png", PNG, content_type="image/png")

    client.post(_url(request), {"action": "reject", "note": "卡密面值与描述一致，见截图", "images": [image]})

    assert _reload(request).status == RequestStatus.REJECTED
    assert request.merchant_note == "卡密面值与描述一致，见截图"
    assert [e.party for e in request.evidence.all()] == ["merchant"]
    assert _reload(order).refunded_amount == 0 and order.refund_hold is False
    page = client.get(_url(request)).content.decode()
    assert reverse("aftersales:evidence_file", args=[request.request_no, request.evidence.get().pk]) in page


def test_detail_shows_facts_decision_verification_frozen_rules_and_never_the_key(client, merchant):
    request, order, key = _awaiting(merchant, verify=True, checker={"kind": "format", "pattern": r"^NOPE-\d+$"})
    secret = crypto.decrypt(CardKey.objects.get(pk=key.pk).secret)

    page = client.get(_url(request)).content.decode()

    assert "和描述的面值不一样" in page and "与描述不符" in page
    assert request.explanation in page
    assert "第3条" in page and order.policy_snapshot["clauses"][2]["text"] in page  # the cited clause
    assert order.policy_hash in page and "校验一致" in page
    assert "买家首次查看" in page and secret not in page
    assert 'id="verifications"' in page and "无效" in page and "格式校验" in page
    assert "还剩 23小时59分" in page


def test_another_merchant_gets_404_and_their_post_changes_nothing(client, merchant):
    other_shop = make_shop()
    request, order, _ = _awaiting(other_shop)
    product = make_product(other_shop)

    assert client.get(_url(request)).status_code == 404
    assert client.post(_url(request), {"action": "approve"}).status_code == 404
    assert client.post(_url(request), {"action": "reject", "note": "恶意拒绝别人的退款"}).status_code == 404
    assert client.get(reverse("aftersales:policy_edit", args=[product.pk])).status_code == 404
    assert client.post(reverse("aftersales:checker_edit", args=[product.pk]), {"kind": "format", "pattern": "x"}).status_code == 404

    assert _reload(request).status == RequestStatus.AWAITING_MERCHANT
    assert _reload(order).refunded_amount == 0
    assert request.request_no not in client.get(reverse("aftersales:merchant_queue") + "?all=1").content.decode()
    assert _reload(product).checker == {"kind": "none"}


# --- the queue ----------------------------------------------------------------------------


def test_queue_shows_open_requests_with_a_countdown_and_closed_ones_on_toggle(client, merchant):
    closed, _, _ = _awaiting(merchant)
    client.post(_url(closed), {"action": "approve"})
    request, _, _ = _awaiting(merchant)
    clock.advance(dt.timedelta(hours=18, minutes=47, seconds=30))  # 5h12m30s left

    page = client.get(reverse("aftersales:merchant_queue")).content.decode()

    assert request.request_no in page and closed.request_no not in page
    assert "还剩 5小时12分" in page
    shanghai = request.respond_by.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert shanghai.strftime("%Y-%m-%d %H:%M") in page
    assert 'id="nav-refunds"' in page and '<span class="badge warn">1</span>' in page

    page = client.get(reverse("aftersales:merchant_queue") + "?all=1").content.decode()
    assert request.request_no in page and closed.request_no in page and "已退款" in page

    dashboard = client.get(reverse("merchants:dashboard")).content.decode()
    assert 'id="wait-refunds" class="error">1<' in dashboard


# --- refund rules -------------------------------------------------------------------------


def _policy_post(**overrides):
    data = {
        "refund_window_hours": "72", "defect_remedy": "replace", "defect_evidence_required": "on",
        "merchant_response_hours": "12", "replacement_hours": "6",
    }
    data.update(overrides)
    return data


def test_policy_edit_makes_version_2_and_only_new_orders_get_it(client, merchant):
    product = make_product(merchant, keys=3)
    old, _, _ = buy(product)
    old_snapshot, old_hash = old.policy_snapshot, old.policy_hash

    response = client.post(reverse("aftersales:policy_edit", args=[product.pk]), _policy_post(no_reason_7days="on"))

    assert response.status_code == 302
    latest = RefundPolicy.objects.filter(product=product).order_by("-version").first()
    assert latest.version == 2
    assert latest.rules["refund_window_hours"] == 72 and latest.rules["no_reason_7days"] is True
    assert latest.rules["unrevealed_refund"] is True
    old_row = Order.objects.get(pk=old.pk)
    assert (old_row.policy_snapshot, old_row.policy_hash) == (old_snapshot, old_hash)
    assert old_row.policy_snapshot["policy_version"] == 1
    new, _, _ = buy(product)
    assert new.policy_snapshot["policy_version"] == 2 and new.policy_snapshot["rules"]["merchant_response_hours"] == 12
    assert new.policy_hash != old_hash

    page = client.get(reverse("aftersales:policy_edit", args=[product.pk])).content.decode()
    assert "3天内" in page  # the generated clause text of version 2
    assert "第 2 版" in page and "第 1 版" in page and "平台底线" in page


def test_refund_window_below_the_baseline_is_refused_and_no_version_made(client, merchant):
    product = make_product(merchant)

    response = client.post(reverse("aftersales:policy_edit", args=[product.pk]), _policy_post(refund_window_hours="1"))

    assert response.status_code == 400
    assert "「退款申请期限（小时）」需在 24 到 2160 之间（平台底线）" in response.content.decode()
    assert list(RefundPolicy.objects.filter(product=product).values_list("version", flat=True)) == [1]


def test_manual_product_milestones_are_saved_as_basis_points(client, merchant):
    product = make_product(merchant, delivery="manual")

    client.post(reverse("aftersales:policy_edit", args=[product.pk]), {
        "refund_window_hours": "48", "merchant_response_hours": "24", "replacement_hours": "24",
        "delivery_deadline_hours": "48", "milestones": "接单|100\n完成一半|50\n\n完成|0",
    })

    latest = RefundPolicy.objects.filter(product=product).order_by("-version").first()
    assert latest.version == 2
    assert latest.rules["milestones"] == [
        {"name": "接单", "refundable_bps": 10000}, {"name": "完成一半", "refundable_bps": 5000}, {"name": "完成", "refundable_bps": 0},
    ]
    assert latest.rules["delivery_deadline_hours"] == 48
    page = client.get(reverse("aftersales:policy_edit", args=[product.pk])).content.decode()
    assert "完成一半|50" in page and "完成「完成一半」后可退 50%" in page


# --- 验货 checker -------------------------------------------------------------------------


def test_checker_saves_a_format_and_never_shows_an_http_secret(client, merchant):
    product = make_product(merchant)
    url = reverse("aftersales:checker_edit", args=[product.pk])

    client.post(url, {"kind": "format", "pattern": r"^KEY-\d+-\d{6}-SECRET$"})
    assert _reload(product).checker == {"kind": "format", "pattern": r"^KEY-\d+-\d{6}-SECRET$"}

    refused = client.post(url, {"kind": "http", "url": "ftp://checker.example", "secret": SECRET})
    assert refused.status_code == 400 and "http:// 或 https://" in refused.content.decode()
    assert SECRET not in refused.content.decode()
    assert _reload(product).checker["kind"] == "format"

    client.post(url, {"kind": "http", "url": "https://checker.example/verify", "secret": SECRET})
    assert _reload(product).checker == {"kind": "http", "url": "https://checker.example/verify", "secret": SECRET}
    page = client.get(url).content.decode()
    assert SECRET not in page and "已设置" in page

    client.post(url, {"kind": "http", "url": "https://checker.example/v2", "secret": ""})  # blank keeps it
    assert Product.objects.get(pk=product.pk).checker == {"kind": "http", "url": "https://checker.example/v2", "secret": SECRET}


# --- the queue at length --------------------------------------------------------------------


def test_open_queue_pages_nearest_deadline_first_and_counts_them_all(client, merchant, monkeypatch):
    from kadun.aftersales import views_merchant

    monkeypatch.setattr(views_merchant, "OPEN_PER_PAGE", 2)
    requests = []
    for _ in range(3):
        requests.append(_awaiting(merchant)[0])
        clock.advance(dt.timedelta(minutes=5))  # later requests, later deadlines
    first = client.get(reverse("aftersales:merchant_queue"))
    second = client.get(reverse("aftersales:merchant_queue"), {"open_page": 2})
    assert first.context["open_page"].paginator.count == 3
    assert [row["request"].pk for row in first.context["open_rows"]] == [requests[0].pk, requests[1].pk]
    assert [row["request"].pk for row in second.context["open_rows"]] == [requests[2].pk]
    assert 'id="open-count">3<' in first.content.decode()
    assert 'href="?open_page=2"' in first.content.decode()


def test_closed_requests_page_by_keyset_and_belong_to_the_shop(client, merchant, monkeypatch):
    from kadun.aftersales import views_merchant
    from kadun.aftersales.services import refund_request_withdraw

    monkeypatch.setattr(views_merchant, "CLOSED_PER_PAGE", 2)
    closed = []
    for _ in range(3):
        request, order, _key = _awaiting(merchant)
        refund_request_withdraw(request=request)
        closed.append(request.pk)
    other_request, _, _ = _awaiting(make_shop())  # another shop's: never listed here
    refund_request_withdraw(request=other_request)
    first = client.get(reverse("aftersales:merchant_queue"), {"all": "1"})
    assert [row["request"].pk for row in first.context["closed_rows"]] == [closed[2], closed[1]]
    assert "all=1" in first.context["older_url"]
    second = client.get(reverse("aftersales:merchant_queue") + first.context["older_url"])
    assert [row["request"].pk for row in second.context["closed_rows"]] == [closed[0]]
    assert second.context["older_url"] is None and second.context["newer_url"]
    assert RefundRequest.objects.get(pk=other_request.pk).shop_id != merchant.pk


def test_queue_and_history_queries_do_not_grow_with_the_requests(client, merchant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kadun.aftersales.services import refund_request_withdraw

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def more(n):
        for _ in range(n):
            _awaiting(merchant)
            refund_request_withdraw(request=_awaiting(merchant)[0])

    queue, history = reverse("aftersales:merchant_queue"), reverse("aftersales:merchant_queue") + "?all=1"
    more(2)
    few = (queries(queue), queries(history))
    more(4)
    assert (queries(queue), queries(history)) == few
