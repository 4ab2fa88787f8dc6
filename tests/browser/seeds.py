"""Code the browser tests' seeds run in ``kadun shell`` against the live server's database.

``pay(order)``: the sandbox trade is finished and its notification reaches the live server through
the outbox. The live server's own worker may claim that outbox row first, so this process's
``outbox_deliver_all()`` can return before the order is paid: wait until it is (a failed try is
retried), never assume it."""
from __future__ import annotations

PAY = '''
def pay(order):
    import time
    from kadun.notifications.services import outbox_deliver_all
    from kadun.payments.providers.sandbox import sandbox_trade_finish
    sandbox_trade_finish(out_trade_no=order.payment.out_trade_no, paid=True)
    for _ in range(150):
        outbox_deliver_all()
        order.refresh_from_db()
        if order.status != "pending_payment":
            return order
        time.sleep(0.2)
    raise AssertionError(f"order {order.order_no} was not paid within 30 s")
'''
