"""A flash sale (秒杀) over real HTTP: 200 guests rush a product with 50 keys, five times.

``kadun serve`` (waitress, 16 threads, in-process sweeper) runs on a PostgreSQL database of its
own. Each round 200 client threads, each with its own keep-alive connection, wait behind a
barrier, then every one of them checks out (``POST /api/orders``; 409 ``out_of_stock`` is a
legitimate answer once the keys are gone), pays — the test signs the sandbox gateway's
notification itself and POSTs it to ``/pay/notify/sandbox/`` — reads the order back and reveals
its key when it got one.

Afterwards, per round: exactly 50 orders delivered, 50 distinct keys each on one order, every
buyer without a key either never charged or refunded in full with its escrow at 0; and over the
whole sale no 5xx answer and a clean ``kadun ledger-check``.
"""
from __future__ import annotations

import threading
import time

import pytest

from tests.fault.conftest import Stats

pytestmark = pytest.mark.pg

ROUNDS = 5
BUYERS = 200
KEYS = 50
PRICE = 1000  # 分


def _rush(site, *, product_id: int, shop_id: int, stats: Stats) -> list[dict]:
    """One round: BUYERS threads released at once. Returns what each buyer saw."""
    results: list[dict] = [{} for _ in range(BUYERS)]
    barrier = threading.Barrier(BUYERS)

    def buyer(i: int) -> None:
        out = results[i]
        client = site.client(stats)
        try:
            barrier.wait(timeout=120)
            status, body = client.checkout(product_id)
            out["checkout"] = status
            if status != 201:
                out["code"] = body.get("code")
                return
            order, token = body["order"], body["access_token"]
            out["order_no"] = order["order_no"]
            params = site.notification(out_trade_no=order["payment"]["out_trade_no"], amount=order["amount"], shop_id=shop_id)
            out["notify"] = client.notify(params)
            status, detail = client.order(order["order_no"], token)
            out["status"] = detail.get("status") if status == 200 else f"http {status}"
            if out["status"] == "delivered":
                status, revealed = client.reveal(order["order_no"], token, detail["keys"][0]["id"])
                out["secret"] = revealed.get("secret") if status == 200 else f"http {status}"
        except Exception as exc:  # noqa: BLE001 - every buyer reports; the test asserts below
            out["error"] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            client.close()

    threads = [threading.Thread(target=buyer, args=(i,), daemon=True) for i in range(BUYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a buyer thread hung"
    return results


ORDER_ROWS = """
SELECT o.id, o.order_no, o.status, o.amount, o.refunded_amount, p.status,
       (SELECT count(*) FROM inventory_cardkey k WHERE k.order_id = o.id),
       (SELECT count(*) FROM ledger_journalentry j WHERE j.kind = 'payment' AND j.ref_type = 'order' AND j.ref_id = o.id),
       (SELECT coalesce(sum(r.amount), 0) FROM payments_refund r WHERE r.order_id = o.id),
       (SELECT coalesce(sum(a.balance), 0) FROM ledger_account a WHERE a.code = 'escrow:order:' || o.id)
FROM orders_order o JOIN payments_payment p ON p.order_id = o.id
WHERE o.product_id = %s
"""


def _check_round(site, product: dict, seen: list[dict]) -> dict:
    errors = [s["error"] for s in seen if "error" in s]
    assert not errors, f"{len(errors)} buyer(s) failed, e.g. {errors[:3]}"
    assert {s["checkout"] for s in seen} <= {201, 409}, sorted({s["checkout"] for s in seen})
    refused = [s for s in seen if s["checkout"] == 409]
    assert {s["code"] for s in refused} <= {"out_of_stock"}
    ordered = [s for s in seen if s["checkout"] == 201]
    assert {s["notify"] for s in ordered} == {(200, "success")}, {s["notify"] for s in ordered}

    # What the buyers saw: 50 got a key, each a different one of this product's keys.
    with_key = [s for s in ordered if s["status"] == "delivered"]
    assert len(with_key) == KEYS
    secrets_seen = [s["secret"] for s in with_key]
    assert len(set(secrets_seen)) == KEYS, "a key was handed to two buyers"
    assert all(secret.startswith("FAULT-") and f"-{product['tag']}-" in secret for secret in secrets_seen)
    assert {s["status"] for s in ordered if s["status"] != "delivered"} <= {"refunded"}

    # What the books say.
    rows = site.sql(ORDER_ROWS, (product["id"],))
    assert len(rows) == len(ordered), "orders in the database that no buyer was told about, or the reverse"
    assert {r[1] for r in rows} == {s["order_no"] for s in ordered}
    delivered = [r for r in rows if r[2] == "delivered"]
    assert len(delivered) == KEYS
    for _id, order_no, _st, amount, refunded_amount, pay_status, keys, paid_entries, refunded, escrow in delivered:
        assert (keys, paid_entries, pay_status, refunded_amount, refunded, escrow) == (1, 1, "succeeded", 0, 0, amount), order_no
    for _id, order_no, status, amount, refunded_amount, pay_status, keys, paid_entries, refunded, escrow in rows:
        if status == "delivered":
            continue
        assert keys == 0, f"{order_no} ({status}) holds a key"
        never_charged = paid_entries == 0 and pay_status != "succeeded" and status == "pending_payment"
        refunded_in_full = status == "refunded" and refunded_amount == amount == refunded and escrow == 0 and paid_entries == 1
        assert never_charged or refunded_in_full, (order_no, status, amount, refunded_amount, pay_status, paid_entries, refunded, escrow)

    sold, holders, available = site.sql(
        "SELECT count(*) FILTER (WHERE status = 'sold'), count(DISTINCT order_id) FILTER (WHERE status = 'sold'),"
        " count(*) FILTER (WHERE status = 'available') FROM inventory_cardkey WHERE product_id = %s",
        (product["id"],),
    )[0]
    assert (sold, holders, available) == (KEYS, KEYS, 0)
    return {"orders": len(ordered), "sold_out_at_checkout": len(refused), "delivered": len(with_key), "refunded": len(ordered) - len(with_key)}


def test_flash_sale_sells_each_key_once_and_refunds_everyone_else(kadun_site, capsys):
    site = kadun_site
    t0 = time.monotonic()
    seeded = site.seed(products=[KEYS] * ROUNDS, price=PRICE)
    server = site.server(threads=16).start()
    setup = time.monotonic() - t0
    stats = Stats()
    rounds = []
    for product in seeded["products"]:
        started = time.monotonic()
        seen = _rush(site, product_id=product["id"], shop_id=seeded["shop_id"], stats=stats)
        elapsed = time.monotonic() - started
        rounds.append({**_check_round(site, product, seen), "seconds": round(elapsed, 1)})

    assert stats.fivexx == 0, f"{stats.fivexx} 5xx answers: {stats.server_errors}\n{server.log_tail()}"
    assert not stats.conn_errors, stats.conn_errors

    # The refunds reach the gateway (the outbox, sent by the server's in-process sweeper): every
    # refunded buyer's trade is refunded there in full, once.
    give_up = time.monotonic() + 60
    while site.sql("SELECT count(*) FROM payments_refund WHERE status = 'pending'")[0][0] and time.monotonic() < give_up:
        time.sleep(0.5)
    unsettled = site.sql(
        """SELECT o.order_no, r.status, t.refunded, o.amount FROM orders_order o
           JOIN payments_refund r ON r.order_id = o.id
           JOIN payments_sandboxtrade t ON t.out_trade_no = (SELECT p.out_trade_no FROM payments_payment p WHERE p.order_id = o.id)
           WHERE r.status <> 'succeeded' OR t.refunded <> o.amount
              OR NOT EXISTS (SELECT 1 FROM payments_sandboxrefund s WHERE s.refund_no = r.refund_no AND s.amount = o.amount)"""
    )
    assert not unsettled, f"{len(unsettled)} refund(s) not booked at the gateway, e.g. {unsettled[:3]}"
    check = site.ledger_check()
    assert check.returncode == 0, check.stdout + check.stderr

    with capsys.disabled():
        print(f"\n[flash sale] setup {setup:.1f}s; {stats.requests} requests, 0 5xx; rounds: "
              + "; ".join(f"{r['orders']} orders/{r['sold_out_at_checkout']} sold out at checkout/"
                          f"{r['delivered']} delivered/{r['refunded']} refunded in {r['seconds']}s" for r in rounds))
