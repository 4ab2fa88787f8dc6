"""Real threads against PostgreSQL: two merchant answers to one request at once — one of them
takes effect, never both (a replacement and a refund of the same key), and an answer the rules
refuse never slips in beside an allowed one."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import all_at_once, buy, make_product, make_shop, pay
from kadun.aftersales import services
from kadun.aftersales.models import RefundRequest
from kadun.aftersales.states import RequestStatus
from kadun.backoffice.selectors import platform_check
from kadun.core.errors import DomainError
from kadun.deadlines.models import Deadline
from kadun.inventory.models import CardKey
from kadun.inventory.services import key_reveal
from kadun.payments.models import Refund

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TRIALS = 10


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]




def _awaiting(product) -> RefundRequest:
    order = pay(buy(product)[0])
    key = CardKey.objects.get(order=order, status="sold")
    key_reveal(order=order, key_id=key.pk, actor="guest")
    request = services.refund_request_create(order=order, reason="invalid_key", key_ids=[key.pk], images=[SimpleUploadedFile("s.png", PNG)])
    assert request.status == RequestStatus.AWAITING_MERCHANT
    return request


def _answer(request, shop):
    def answer(args):
        action, extra = args
        try:
            return services.refund_request_respond(request=request, shop=shop, action=action, **extra).status
        except DomainError as exc:
            return exc.code
    return answer


def test_replace_and_approve_at_once_is_one_or_the_other():
    shop = make_shop()
    product = make_product(shop, keys=3 * TRIALS, price=1000, refund_rules={"defect_remedy": "refund_or_replace"})
    for _ in range(TRIALS):
        request = _awaiting(product)

        answers = all_at_once(_answer(request, shop), [("replace", {}), ("approve", {})])

        request.refresh_from_db()
        refunded = Refund.objects.filter(order=request.order).count()
        replaced = CardKey.objects.filter(order=request.order, withdrawn_reason="replaced").count()
        assert sorted(answers, key=str) in (
            sorted([RequestStatus.REPLACED, "refund_request_closed"], key=str),
            sorted([RequestStatus.APPROVED, "refund_request_closed"], key=str),
        ), answers
        assert (refunded, replaced) in ((0, 1), (1, 0)), (answers, refunded, replaced)
    assert platform_check().ok


def test_under_refund_only_a_promise_racing_an_approval_never_lands():
    shop = make_shop()
    product = make_product(shop, keys=2 * TRIALS, price=1000, refund_rules={"defect_remedy": "refund"})
    for _ in range(TRIALS):
        request = _awaiting(product)

        answers = all_at_once(_answer(request, shop), [("promise", {"hours": 72}), ("approve", {})])

        request.refresh_from_db()
        assert RequestStatus.APPROVED in answers and request.status == RequestStatus.APPROVED
        assert [a for a in answers if a != RequestStatus.APPROVED][0] in ("action_not_allowed", "refund_request_closed")
        assert not Deadline.objects.filter(kind=services.KIND_REPLACEMENT_DUE, subject_id=request.pk).exists()
    assert platform_check().ok
