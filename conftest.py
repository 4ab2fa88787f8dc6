"""Shared fixtures: a clock that tests move, and builders for shops, products and keys."""
from __future__ import annotations

import itertools
import os

import pytest

from kadun.core import clock

_seq = itertools.count(1)


SKIP_PG_REASON = "needs PostgreSQL (set DATABASE_URL)"
_skipped: list[tuple[str, str]] = []


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    on_pg = connection.vendor == "postgresql"
    skip_pg = pytest.mark.skip(reason=SKIP_PG_REASON)
    for item in items:
        if "pg" in item.keywords and not on_pg:
            item.add_marker(skip_pg)


def pytest_runtest_logreport(report):
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append((report.nodeid, reason))


def pytest_sessionfinish(session, exitstatus):
    """Under CI (``CI`` set), a skipped test fails the run: the browser tests must run (Chromium
    installed), and the PostgreSQL-only tests must run on PostgreSQL. The one expected skip is a
    PostgreSQL-only test during the SQLite run, which the PostgreSQL run then executes."""
    from django.db import connection

    if not os.environ.get("CI"):
        return
    on_pg = connection.vendor == "postgresql"
    unexpected = [(nodeid, reason) for nodeid, reason in _skipped if on_pg or reason.removeprefix("Skipped: ") != SKIP_PG_REASON]
    if unexpected:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"CI: {len(unexpected)} test(s) skipped that must run:"] + [f"  {nodeid}: {reason}" for nodeid, reason in unexpected]
        for line in lines:
            reporter.write_line(line, red=True) if reporter else print(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    flagged = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return flagged or bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate-limit counters live in the cache (a database table here). A test in a transaction
    rolls them back with everything else; a transactional test commits them, and the flush that
    ends it does not empty the cache table — so clear it around such tests, or one test's
    counters would throttle the next."""
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production hashes passwords with PBKDF2 (about a second per hash by design); tests use a
    fast hasher so the suite measures behaviour, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_indexed_once(settings):
    """WhiteNoise re-indexes every static file each time a test client builds its middleware
    unless it serves them on demand; tests don't need the index."""
    settings.WHITENOISE_AUTOREFRESH = True


# The money-moving suites: after each of their tests, `kadun evidence-check` must be clean — every
# fact they wrote has exactly one entry that still matches its row (the evidence log's
# counterpart of the ledger-check the money tests run). A finding fails the test.
EVIDENCE_CHECKED = ("kadun/aftersales/", "kadun/cases/", "kadun/orders/", "kadun/payments/", "kadun/inventory/",
                    "kadun/deadlines/", "kadun/evidence/", "kadun/merchants/", "kadun/risk/", "kadun/insurance/", "tests/invariants/",
                    "kadun/reputation/tests/test_reviews", "kadun/reputation/tests/test_keywords")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Runs the evidence check right after every database test of the money-moving suites — in
    the test's own transaction and settings (its storage), before any fixture is torn down —
    unless the test is marked ``evidence_tampered``. A finding fails the test."""
    result = yield
    path = str(item.path.relative_to(item.config.rootpath)) if getattr(item, "path", None) else ""
    uses_db = item.get_closest_marker("django_db") or {"db", "transactional_db", "django_db_setup", "live_server"} & set(getattr(item, "fixturenames", ()))
    if path.startswith(EVIDENCE_CHECKED) and uses_db and not item.get_closest_marker("evidence_tampered"):
        from kadun.evidence.check import evidence_check

        report = evidence_check()
        if not report.ok:
            pytest.fail("evidence-check after the test:\n" + "\n".join(f"  {finding}" for finding in report.findings), pytrace=False)
    return result


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _sandbox_transport(settings):
    """Sandbox notifications go through Django's test client unless a test sets otherwise."""
    from django.test import Client

    from kadun.payments.providers import sandbox

    def post(url, params):
        path = url.split("://", 1)[-1]
        path = path[path.index("/"):]
        return Client().post(path, params).content.decode()

    old = sandbox.transport
    sandbox.transport = post
    yield
    sandbox.transport = old


def make_user(username: str | None = None, *, password: str = "kadun-test-pw-1", **extra):
    from kadun.accounts.services import user_create

    return user_create(username=username or f"user{next(_seq)}", password=password, **extra)


def make_shop(owner=None, *, name: str | None = None, approved: bool = True):
    """A shop; approved (资质审核 passed for every category, no identity on file) unless told
    otherwise, as every test before onboarding existed assumed."""
    from kadun.merchants.onboarding import shop_preapprove
    from kadun.merchants.services import shop_create

    shop = shop_create(owner=owner or make_user(), name=name or f"店铺{next(_seq)}")
    if approved:
        shop_preapprove(shop_id=shop.pk)
        shop.refresh_from_db()
    return shop


def make_product(shop=None, *, keys: int = 0, price: int = 1000, delivery: str = "auto", **data):
    from kadun.catalog.services import product_create
    from kadun.inventory.services import keys_import

    shop = shop or make_shop()
    fields = {"title": f"测试商品{next(_seq)}", "price": price, "delivery": delivery, "category": "game_card", **data}
    if delivery == "manual" and "buyer_fields" not in data:
        fields["buyer_fields"] = [{"name": "account", "label": "游戏账号", "required": True}]
    product = product_create(shop=shop, data=fields)
    if keys:
        tag = next(_seq)
        keys_import(product=product, lines=[(i + 1, f"KEY-{tag}-{i:06d}-SECRET") for i in range(keys)], source="test")
    return product


def buy(product, *, buyer=None, quantity: int = 1, **kwargs):
    """Checkout as a guest (default) or a user. Returns (order, token, pay_url). The buyer
    confirms the 7天无理由 exclusion (required by the default rules) unless told otherwise."""
    from kadun.orders.services import order_create

    kwargs.setdefault("confirm_no_reason_exclusion", True)
    if buyer is None:
        kwargs.setdefault("contact", "guest@example.com")
        kwargs.setdefault("query_password", "chaxun123")
    return order_create(product_id=product.pk, quantity=quantity, buyer=buyer, **kwargs)


def pay(order, *, succeed: bool = True):
    """Pay in the sandbox and deliver its notification, as the gateway would."""
    from kadun.notifications.services import outbox_deliver_all
    from kadun.payments.providers.sandbox import sandbox_trade_finish

    sandbox_trade_finish(out_trade_no=order.payment.out_trade_no, paid=succeed)
    outbox_deliver_all()
    order.refresh_from_db()
    return order


def signed_notification(order, **overrides):
    """A valid sandbox notification for an order's payment (marking the sandbox trade paid)."""
    from kadun.payments.models import SandboxTrade
    from kadun.payments.providers import sandbox

    trade = SandboxTrade.objects.get(out_trade_no=order.payment.out_trade_no)
    SandboxTrade.objects.filter(pk=trade.pk).update(status="paid")
    trade.refresh_from_db()
    params = sandbox.notification_params(trade)
    if overrides:
        params.update({k: str(v) for k, v in overrides.items()})
        if "sign" not in overrides:
            params["sign"] = sandbox.sign(params)
    return params


@pytest.fixture
def shop(db):
    return make_shop()


@pytest.fixture
def product(shop):
    return make_product(shop, keys=5)


# --- real threads, released together (race tests) ---------------------------------------------


def together(*fns):
    """Run each zero-argument callable in its own thread, all released by one barrier; returns
    each one's result, or the exception it raised (the race's outcome is what a test looks at).
    Every thread closes its own database connection."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    barrier = threading.Barrier(len(fns), timeout=60)

    def work(fn):
        try:
            barrier.wait()
            return fn()
        except Exception as exc:  # noqa: BLE001
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(len(fns)) as pool:
        return list(pool.map(work, fns))


def all_at_once(fn, args):
    """``fn(arg)`` for every arg, each in its own thread, released together; the results in
    order. An exception in any thread is raised here."""
    results = together(*[(lambda a=arg: fn(a)) for arg in args])
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results

