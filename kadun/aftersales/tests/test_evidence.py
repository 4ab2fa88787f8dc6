"""Evidence images: stored only when they go to the merchant, capped per order, written to
storage after commit (crash-safe through the outbox), request creation rate-limited; missing
required evidence is a form error; the buyer sees their own evidence."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import buy, make_product, make_user, pay
from kadun.aftersales import evidence, services
from kadun.aftersales.errors import EvidenceQuotaExceeded, RequestLimitReached
from kadun.aftersales.models import BuyerRefundStat, RefundEvidence, RefundRequest
from kadun.aftersales.states import RequestStatus
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.notifications.models import OutboxMessage
from kadun.notifications.services import outbox_deliver_all

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def png(tag: str = "a", size: int = 0) -> SimpleUploadedFile:
    """A PNG whose bytes differ by ``tag`` (so two are two pieces of evidence)."""
    data = PNG + tag.encode() + b"\x00" * size
    return SimpleUploadedFile(f"{tag}.png", data, content_type="image/png")


def _order(*, keys: int = 3, quantity: int = 1, buyer=None, price: int = 1):
    product = make_product(keys=keys, price=price)
    order, token, _ = buy(product, quantity=quantity, buyer=buyer)
    return pay(order), token


def _revealed(order) -> CardKey:
    key = CardKey.objects.filter(order=order).order_by("id").first()
    key_reveal(order=order, key_id=key.pk, actor="guest")
    return key


def _staged() -> list[str]:
    try:
        return default_storage.listdir(evidence.STAGING)[1]
    except FileNotFoundError:
        return []


@pytest.fixture(autouse=True)
def _empty_staging():
    for name in _staged():
        default_storage.delete(f"{evidence.STAGING}/{name}")
    yield


# --- only what goes to the merchant is stored -----------------------------------------------


def test_images_of_a_request_refused_as_not_eligible_are_not_stored():
    order, _ = _order()
    key = _revealed(order)

    request = services.refund_request_create(order=order, reason="unrevealed", key_ids=[key.pk], images=[png("a"), png("b")])

    assert request.status == RequestStatus.NOT_ELIGIBLE
    assert RefundEvidence.objects.count() == 0 and _staged() == []


def test_images_of_a_request_approved_at_once_are_not_stored():
    order, _ = _order()

    request = services.refund_request_create(order=order, reason="unrevealed", images=[png("a")])

    assert request.status == RequestStatus.APPROVED
    assert RefundEvidence.objects.count() == 0 and _staged() == []


def test_images_of_a_request_sent_to_the_merchant_are_kept(django_capture_on_commit_callbacks):
    order, _ = _order()
    key = _revealed(order)

    with django_capture_on_commit_callbacks(execute=True):
        request = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("a")])

    [shot] = request.evidence.all()
    assert request.status == RequestStatus.AWAITING_MERCHANT and shot.party == "buyer"
    with default_storage.open(shot.file.name) as stored:
        assert stored.read() == PNG + b"a"
    assert _staged() == []


# --- written after commit -------------------------------------------------------------------


def test_the_file_reaches_storage_only_after_commit(django_capture_on_commit_callbacks):
    order, _ = _order()
    key = _revealed(order)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("a")])
    shot = request.evidence.get()
    before_commit = default_storage.exists(shot.file.name)
    for callback in callbacks:
        callback()

    assert before_commit is False
    assert default_storage.exists(shot.file.name) and _staged() == []


def test_a_crash_after_commit_is_repaired_by_the_outbox(django_capture_on_commit_callbacks):
    """The process dies after commit, before its on-commit hook: the outbox worker publishes."""
    order, _ = _order()
    key = _revealed(order)
    with django_capture_on_commit_callbacks(execute=False):  # the hooks never run
        request = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("a")])
    shot = request.evidence.get()
    assert OutboxMessage.objects.filter(topic=evidence.TOPIC, payload={"evidence_id": shot.pk}).exists()

    outbox_deliver_all()

    with default_storage.open(shot.file.name) as stored:
        assert stored.read() == PNG + b"a"
    assert _staged() == []


def test_a_refused_request_leaves_no_staged_file(settings):
    settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER = len(PNG) + 10
    order, _ = _order()
    key = _revealed(order)

    with pytest.raises(EvidenceQuotaExceeded):
        services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("a"), png("b")])

    assert not RefundRequest.objects.filter(reason="invalid_key").exists()
    assert RefundEvidence.objects.count() == 0 and _staged() == []


def test_the_sweep_deletes_orphans_a_crash_left_in_staging():
    default_storage.save(f"{evidence.STAGING}/RR-orphan-buyer-0123456789abcdef", __import__("io").BytesIO(b"x"))

    assert evidence.staging_sweep(older_than_seconds=-60) == 1
    assert _staged() == []


# --- caps -----------------------------------------------------------------------------------


def test_evidence_bytes_per_order_are_capped_across_requests(settings):
    settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER = 3 * (len(PNG) + 1000)
    order, _ = _order()
    key = _revealed(order)
    first = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("a", 1000), png("b", 1000)])
    services.refund_request_withdraw(request=first)
    requests_before = RefundRequest.objects.count()

    with pytest.raises(EvidenceQuotaExceeded) as refused:
        services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("c", 1000), png("d", 1000)])

    assert refused.value.code == "evidence_quota" and refused.value.status == 413
    assert RefundRequest.objects.count() == requests_before
    assert RefundEvidence.objects.count() == 2


def test_requests_per_order_are_capped(settings):
    settings.KADUN_REFUND_REQUESTS_MAX_PER_ORDER = 2
    order, _ = _order()
    key = _revealed(order)
    for tag in ("a", "b"):
        request = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png(tag)])
        services.refund_request_withdraw(request=request)

    with pytest.raises(RequestLimitReached) as refused:
        services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("c")])

    assert refused.value.code == "refund_request_limit" and "2 次" in refused.value.message
    assert RefundRequest.objects.filter(order=order).count() == 2 and RefundEvidence.objects.count() == 2


# --- rate limits through HTTP ---------------------------------------------------------------


def _ask(token, order, key_id, tag):
    return Client(headers={"X-Order-Token": token}).post(
        f"/api/orders/{order.order_no}/refund-requests", {"reason": "invalid_key", "key_ids": str(key_id), "images": [png(tag)]}
    )


def _withdraw(token, request_no):
    return Client(headers={"X-Order-Token": token}).post(f"/api/refund-requests/{request_no}/withdraw")


def test_request_creation_is_rate_limited_per_order(settings):
    settings.KADUN_REFUND_REQUESTS_PER_ORDER_PER_HOUR = 2
    order, token = _order()
    key = _revealed(order)
    answers = []
    for tag in ("a", "b", "c"):
        answers.append(_ask(token, order, key.pk, tag))
        if answers[-1].status_code == 201:
            _withdraw(token, answers[-1].json()["request_no"])

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "rate_limited" and "分钟后再试" in answers[2].json()["message"]
    assert RefundRequest.objects.filter(order=order).count() == 2


def test_request_creation_is_rate_limited_per_buyer_across_orders(settings):
    """Guests with the same contact are one buyer; each order here gets one request."""
    from kadun.core.errors import RateLimited

    settings.KADUN_REFUND_REQUESTS_PER_BUYER_PER_HOUR = 2
    product = make_product(keys=5, price=1)
    orders = [pay(buy(product)[0]) for _ in range(3)]
    for order in orders[:2]:
        services.refund_request_create(order=order, reason="unrevealed")

    with pytest.raises(RateLimited):
        services.refund_request_create(order=orders[2], reason="unrevealed")

    assert not RefundRequest.objects.filter(order=orders[2]).exists()


# --- missing required evidence is a form error ----------------------------------------------


def test_missing_required_evidence_is_a_400_through_the_api_and_records_nothing():
    order, token = _order()
    key = _revealed(order)
    stats_before = list(BuyerRefundStat.objects.values_list("requests", "not_eligible"))

    response = Client(headers={"X-Order-Token": token}).post(
        f"/api/orders/{order.order_no}/refund-requests", {"reason": "invalid_key", "key_ids": [key.pk]}, content_type="application/json"
    )

    assert response.status_code == 400 and response.json()["code"] == "evidence_required"
    assert "证据" in response.json()["message"]
    assert not RefundRequest.objects.filter(order=order).exists()
    assert list(BuyerRefundStat.objects.values_list("requests", "not_eligible")) == stats_before


def test_missing_required_evidence_is_a_form_error_on_the_page():
    order, token = _order()
    key = _revealed(order)
    page = Client()
    page.get(reverse("web:order_open", args=[token]))

    response = page.post(
        reverse("web:refund_request", args=[order.order_no]),
        {"reason": "invalid_key", "key_ids": [key.pk], "statement": "充值提示卡密已被使用"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="refund-error"' in body and 'data-code="evidence_required"' in body
    assert "充值提示卡密已被使用" in body  # what the buyer wrote is kept
    assert not RefundRequest.objects.filter(order=order).exists()


# --- the buyer sees their own evidence ------------------------------------------------------


def test_the_buyer_sees_their_own_evidence_on_the_order_page():
    order, token = _order()
    key = _revealed(order)
    page = Client()
    page.get(reverse("web:order_open", args=[token]))
    created = page.post(
        reverse("web:refund_request", args=[order.order_no]),
        {"reason": "invalid_key", "key_ids": [key.pk], "images": [png("a")]},
    )
    request = RefundRequest.objects.get(order=order, reason="invalid_key")
    shot = request.evidence.get()
    url = reverse("aftersales:evidence_file", args=[request.request_no, shot.pk])

    body = page.get(reverse("web:order", args=[order.order_no])).content.decode()
    image = page.get(url)
    stranger = Client().get(url)

    assert created.status_code == 302
    assert f'<img src="{url}"' in body and "我提交的证据" in body
    assert image.status_code == 200 and b"".join(image.streaming_content) == PNG + b"a"
    assert stranger.status_code == 404


def test_a_logged_in_buyer_sees_their_evidence_too(client):
    buyer = make_user()
    order, _ = _order(buyer=buyer)
    key = _revealed(order)
    request = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[png("a")])
    client.force_login(buyer)

    body = client.get(reverse("web:order", args=[order.order_no])).content.decode()

    assert reverse("aftersales:evidence_file", args=[request.request_no, request.evidence.get().pk]) in body


# --- each party has its own budget ------------------------------------------------------------

IMAGE = len(PNG) + 1 + 1000  # bytes of png(tag, 1000)


def _buyer_asks(token, order, key_id, *tags):
    return Client(headers={"X-Order-Token": token}).post(
        f"/api/orders/{order.order_no}/refund-requests",
        {"reason": "invalid_key", "key_ids": str(key_id), "images": [png(tag, 1000) for tag in tags]},
    )


def _merchant_rejects(order, request_no, *tags):
    client = Client()
    client.force_login(order.shop.owner)
    return client.post(
        reverse("aftersales:merchant_request", args=[request_no]),
        {"action": "reject", "note": "卡密可用，见充值记录截图", "images": [png(tag, 1000) for tag in tags]},
    )


def _party_bytes(order, party):
    return sum(e.size for e in RefundEvidence.objects.filter(request__order=order, party=party))


def _two_revealed(order) -> list[CardKey]:
    keys = list(CardKey.objects.filter(order=order).order_by("id"))
    for key in keys:
        key_reveal(order=order, key_id=key.pk, actor="guest")
    return keys


def test_a_merchants_evidence_does_not_use_up_the_buyers_budget(settings):
    settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER = 3 * IMAGE
    order, token = _order(quantity=2)
    first_key, second_key = _two_revealed(order)
    first = _buyer_asks(token, order, first_key.pk, "a")
    rejected = _merchant_rejects(order, first.json()["request_no"], "m", "n")  # fillers: the order's budget is reached

    # The other key: a request on the rejected one is the case (申请平台介入), not a new request.
    again = _buyer_asks(token, order, second_key.pk, "b", "c")

    assert first.status_code == 201 and rejected.status_code == 302
    assert again.status_code == 201, again.json()
    assert again.json()["status"] == RequestStatus.AWAITING_MERCHANT
    assert (_party_bytes(order, "buyer"), _party_bytes(order, "merchant")) == (3 * IMAGE, 2 * IMAGE)


def test_a_buyers_evidence_does_not_use_up_the_merchants_budget(settings):
    settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER = 3 * IMAGE
    order, token = _order()
    key = _revealed(order)
    first = _buyer_asks(token, order, key.pk, "a", "b", "c")  # the buyer's whole budget

    rejected = _merchant_rejects(order, first.json()["request_no"], "m")

    assert first.status_code == 201 and rejected.status_code == 302
    assert RefundRequest.objects.get(request_no=first.json()["request_no"]).status == RequestStatus.REJECTED
    assert (_party_bytes(order, "buyer"), _party_bytes(order, "merchant")) == (3 * IMAGE, IMAGE)


def test_the_merchants_own_budget_is_still_capped(settings):
    settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER = 3 * IMAGE
    order, token = _order(quantity=2)
    first_key, second_key = _two_revealed(order)
    first = _buyer_asks(token, order, first_key.pk, "a")
    _merchant_rejects(order, first.json()["request_no"], "m", "n", "o")
    second = _buyer_asks(token, order, second_key.pk, "b")

    refused = _merchant_rejects(order, second.json()["request_no"], "p")

    assert refused.status_code == 400 and "证据图片总量已达上限" in refused.content.decode()
    assert RefundRequest.objects.get(request_no=second.json()["request_no"]).status == RequestStatus.AWAITING_MERCHANT
    assert _party_bytes(order, "merchant") == 3 * IMAGE
