"""Security tests: who may see and do what (the permission matrix) and API fuzzing.

Both build one shared world once per module, inside a transaction that is rolled back when the
module ends; each test then runs in a savepoint of its own (pytest-django's ``db``), so a test
that succeeds in changing something never leaks into the next one.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
STAFF_ROLES = ("support", "arbitrator", "risk", "admin")
GUEST_PASSWORD = "chaxun123"


@dataclass
class World:
    shop_a: object = None
    shop_b: object = None
    auto: object = None  # shop A, auto delivery, format 验货 checker
    manual: object = None  # shop A, manual service
    product_b: object = None
    buyer: object = None
    other_buyer: object = None
    merchant: object = None  # owner of shop A
    other_merchant: object = None  # owner of shop B
    staff: dict = field(default_factory=dict)  # role -> user
    auto_order: object = None  # the buyer's, paid, one unrevealed key
    auto_key: int = 0
    manual_order: object = None  # the buyer's, paid (waiting for the merchant)
    service_order: object = None  # the buyer's manual order, accepted (in service, to deliver)
    delivered_order: object = None  # the buyer's manual order, delivered with an image
    refund_order: object = None  # the buyer's auto order with an open refund request
    refund_key: int = 0
    refund: object = None  # awaiting_merchant, with one evidence image
    penalty: object = None  # a confirmed warning of shop A (appealable)
    proposal: object = None  # a proposed penalty of shop A
    evidence_id: int = 0
    guest_order: object = None  # a guest's, paid, one unrevealed key
    guest_key: int = 0
    guest_token: str = ""
    api_keys: dict = field(default_factory=dict, repr=False)  # username -> bearer secret
    api_key_ids: dict = field(default_factory=dict)  # username -> ApiKey id
    secrets: list = field(default_factory=list, repr=False)  # plaintext of every card key in the world
    cases: object = None  # tests.security.cases_world.CaseWorld, when asked for
    application: object = None  # 资质审核: a third shop's pending application (with its licence picture)
    application_file: int = 0
    withdrawal: object = None  # 提现: shop A's withdrawal to its (verified) Alipay account, held for review

    def bearer(self, user) -> str:
        return self.api_keys[user.username]


def build_world(*, cases: bool = False) -> World:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import buy, make_product, make_shop, make_user, pay
    from kadun.accounts.services import api_key_create
    from kadun.aftersales.services import refund_request_create
    from kadun.catalog.services import checker_set
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal
    from kadun.orders.services import order_accept, order_deliver
    from kadun.orders.states import OrderStatus

    w = World()
    w.merchant = make_user("matrix_merchant_a")
    w.other_merchant = make_user("matrix_merchant_b")
    w.shop_a = make_shop(w.merchant, name="甲店铺矩阵")
    w.shop_b = make_shop(w.other_merchant, name="乙店铺矩阵")
    w.auto = make_product(w.shop_a, keys=8, price=1000, title="矩阵自动发货商品")
    checker_set(shop=w.shop_a, product_id=w.auto.pk, config={"kind": "format", "pattern": r"KEY-\d+-\d{6}-SECRET"})
    w.manual = make_product(w.shop_a, delivery="manual", price=3000, title="矩阵代充服务")
    w.product_b = make_product(w.shop_b, keys=2, price=500, title="乙店商品")
    w.buyer = make_user("matrix_buyer", contact="buyer-contact@example.com")
    w.other_buyer = make_user("matrix_other_buyer")
    w.staff = {role: make_user(f"matrix_{role}", staff_role=role) for role in STAFF_ROLES}
    from kadun.merchants.tests.onboarding_helpers import submit

    w.application = submit(make_shop(make_user("matrix_applicant"), name="丙店铺矩阵", approved=False))
    w.application_file = w.application.files.get().pk

    order, _t, _u = buy(w.auto, buyer=w.buyer)
    w.auto_order = pay(order)
    assert w.auto_order.status == OrderStatus.DELIVERED
    w.auto_key = CardKey.objects.get(order=w.auto_order).pk

    order, _t, _u = buy(w.manual, buyer=w.buyer, buyer_inputs={"account": "player-matrix"})
    w.manual_order = pay(order)
    assert w.manual_order.status == OrderStatus.PAID

    order, _t, _u = buy(w.manual, buyer=w.buyer, buyer_inputs={"account": "player-matrix-3"})
    order = pay(order)
    order_accept(order=order, shop=w.shop_a)
    w.service_order = order

    order, _t, _u = buy(w.manual, buyer=w.buyer, buyer_inputs={"account": "player-matrix-2"})
    order = pay(order)
    order_accept(order=order, shop=w.shop_a)
    order_deliver(order=order, shop=w.shop_a, note="已代充完成", image=SimpleUploadedFile("done.png", PNG, content_type="image/png"))
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivery_image
    w.delivered_order = order

    order, _t, _u = buy(w.auto, buyer=w.buyer)
    w.refund_order = pay(order)
    w.refund_key = CardKey.objects.get(order=w.refund_order).pk
    key_reveal(order=w.refund_order, key_id=w.refund_key, actor="buyer", user=w.buyer, ip="127.0.0.1")
    w.refund = refund_request_create(
        order=w.refund_order, reason="invalid_key", statement="提示卡密已被使用", key_ids=[w.refund_key],
        images=[SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
    )
    assert w.refund.status == "awaiting_merchant", w.refund.explanation
    w.evidence_id = w.refund.evidence.get().pk
    w.refund_order.refresh_from_db()

    order, token, _u = buy(w.auto, contact="guest-matrix@example.com", query_password=GUEST_PASSWORD)
    w.guest_order = pay(order)
    w.guest_token = token
    w.guest_key = CardKey.objects.get(order=w.guest_order).pk
    if cases:  # before the channels below: the cases' notifications are then in-site and outbox rows only, never sent out
        from tests.security.cases_world import build_cases

        w.cases = build_cases(w)

    w.withdrawal = _withdrawal(w)

    from kadun.merchants import penalties

    w.penalty = penalties.penalty_propose(shop_id=w.shop_a.pk, kind="invalid_keys", evidence={"orders": [w.auto_order.pk]})
    w.penalty = penalties.penalty_confirm(penalty_id=w.penalty.pk, staff=w.staff["risk"], reason="矩阵：转卖卡密")
    w.proposal = penalties.penalty_propose(shop_id=w.shop_a.pk, kind="refund_refusal", evidence={"orders": [w.refund_order.pk]})
    for user in (w.buyer, w.other_buyer, w.merchant, w.other_merchant, *w.staff.values()):
        key, secret = api_key_create(user=user, name="matrix")
        w.api_keys[user.username] = secret
        w.api_key_ids[user.username] = key.pk
    w.secrets = _secrets()
    from kadun.notifications.services import channel_create

    w.channel_ids = [
        channel_create(user=user, kind="bark", label="matrix", data={"device_key": f"MatrixDevice{user.pk}Key"})[0].pk for user in (w.buyer, w.merchant)
    ]
    w.reconcile_run = _reconcile_run(w)
    return w


def _withdrawal(w: World):
    """Shop A asks for a withdrawal of ¥200.00 from ¥500.00 available (a test credit) to its Alipay
    account in its verified name (the name check stubbed, as the funds tests do): held for review
    (shop A is new, and has open cases), so nothing is paid out."""
    from unittest import mock

    from kadun.ledger import accounts as codes
    from kadun.merchants import payout_accounts, withdrawals
    from kadun.merchants.tests.funds_helpers import NAME, alipay_account, credit
    from kadun.risk.selectors_freeze import shop_frozen

    credit(codes.merchant_available(w.shop_a.pk), 50_000)
    with mock.patch.object(payout_accounts, "verified_name", lambda shop_id: NAME):
        account = alipay_account(w.shop_a)
        withdrawal, created = withdrawals.withdrawal_request(shop_id=w.shop_a.pk, account_id=account.pk, amount=20_000, key="matrix", user=w.merchant)
    assert created and withdrawal.status == "review" and not shop_frozen(w.shop_a.pk), (withdrawal.status, withdrawal.review_reasons)
    return withdrawal


def _reconcile_run(w):
    """A stored 对账 run with one difference about the buyer's order (its number is the marker)."""
    import datetime as dt

    from kadun.core import clock
    from kadun.payments.models import Payment, ReconciliationRun

    now = clock.now()
    w.reconcile_trade_no = Payment.objects.filter(order=w.auto_order).values_list("out_trade_no", flat=True).first()
    run = ReconciliationRun.objects.create(provider="alipay", bill_date=dt.date(2026, 11, 30), source="file", file_sha256="0" * 64,
                                           lines_read=1, matched=0, difference_count=1, started_at=now, finished_at=now)
    run.differences.create(kind="ours_only", out_trade_no=w.reconcile_trade_no, our_amount=w.auto_order.amount)
    return run


def _secrets() -> list[str]:
    from kadun.inventory.crypto import decrypt
    from kadun.inventory.models import CardKey

    return [decrypt(s) for s in CardKey.objects.values_list("secret", flat=True)]


@contextlib.contextmanager
def shared_world(django_db_blocker, *, cases: bool = False):
    """Build the world once, outside the per-test transactions, and roll it all back at the end.
    ``cases``: with the after-sales cases of ``tests.security.cases_world``."""
    from django.db import transaction
    from django.test import Client, override_settings

    from kadun.payments.providers import sandbox

    def post(url, params):
        path = url.split("://", 1)[-1]
        return Client().post(path[path.index("/"):], params).content.decode()

    # For the module's lifetime: a fast password hasher (as conftest gives each test), and WhiteNoise
    # looking static files up on request instead of indexing all of them each time a test client
    # or WSGI handler loads the middleware (~0.1 s per client, most of the matrix's time otherwise).
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], WHITENOISE_AUTOREFRESH=True)
    with django_db_blocker.unblock(), fast:
        old_transport, sandbox.transport = sandbox.transport, post
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world(cases=cases)
            sandbox.transport = old_transport
            yield world
        finally:
            sandbox.transport = old_transport
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
