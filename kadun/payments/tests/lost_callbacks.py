"""The lost-callbacks world, reusable: many orders on one offline Alipay (``fakes_alipay``, which
signs as Alipay does), most buyers pay, a share of the notifications is dropped and a share
delivered twice, and time runs through the payment watch's whole back-off with the sweeper and
the outbox worker doing their rounds.

    world = lost_callbacks_world(fake, orders=1000, seed=20261202)
    world_run(world)                     # the clock moved to 24 h and a bit, every check made
    ... assert on world.paid / world.unpaid / world.dropped

``kadun reconcile`` (statement reconciliation) can be asserted on the same world afterwards.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from conftest import buy, make_product, make_shop
from kadun.core import clock
from kadun.deadlines.services import deadlines_sweep_all
from kadun.notifications.services import outbox_deliver_all
from kadun.payments.tests.gateway_fixtures import post_notify
from kadun.payments.watch import AFTER_CREATION

PRICES = (1010, 2599, 9900, 1)  # 分: ¥10.10, ¥25.99, ¥99, ¥0.01


@dataclass
class LostCallbacksWorld:
    fake: object
    seed: int
    paid: list = field(default_factory=list)  # orders whose buyer paid at the gateway
    unpaid: list = field(default_factory=list)  # orders never paid
    dropped: list = field(default_factory=list)  # paid, notification never arrived
    duplicated: list = field(default_factory=list)  # paid, notification delivered twice
    answers: dict = field(default_factory=dict)  # what kadun answered each delivered notification: answer -> count
    started_at: dt.datetime | None = None


def lost_callbacks_world(fake, *, orders: int = 1000, seed: int = 20261202, drop: float = 0.05, dup: float = 0.10,
                         unpaid: float = 0.08, shops: int = 4) -> LostCallbacksWorld:
    """Check out ``orders`` guest orders over ``shops`` shops (one auto-delivery product each, one
    key per order in stock), then the buyers act at the gateway: ``unpaid`` of them never pay;
    the others pay, and of their notifications ``drop`` are lost and ``dup`` arrive twice (the
    rest once), each POSTed with the exact bytes Alipay sends. Deterministic for a seed."""
    rng = random.Random(seed)
    world = LostCallbacksWorld(fake=fake, seed=seed, started_at=clock.now())
    per_shop = -(-orders // shops)
    # 验货期 72 h: no auto-confirm within the watch's 24 h, so every paid order's money is still in escrow.
    products = [make_product(make_shop(), keys=per_shop, price=PRICES[i % len(PRICES)], inspection_hours=72) for i in range(shops)]
    for i in range(orders):
        order, _token, pay_url = buy(products[i % shops], provider="alipay")
        fake.open(pay_url)  # the buyer reaches the cashier: the gateway checks kadun's signature
        if rng.random() < unpaid:
            world.unpaid.append(order)
            continue
        fake.pay(order.payment.out_trade_no)
        world.paid.append(order)
        roll = rng.random()
        if roll < drop:
            world.dropped.append(order)
            continue
        copies = 2 if roll < drop + dup else 1
        if copies == 2:
            world.duplicated.append(order)
        for _ in range(copies):
            answer = post_notify("alipay", fake.notification(order.payment.out_trade_no))
            world.answers[answer] = world.answers.get(answer, 0) + 1
    return world


def world_run(world: LostCallbacksWorld, *, until: dt.timedelta = dt.timedelta(hours=24, minutes=1)) -> list[tuple[dt.timedelta, int, int]]:
    """Move the clock through every step of the watch's back-off (and the orders' expiry), and
    at each the sweeper and the outbox worker run until nothing is due. Returns per step (time
    after the start, deadlines fired, messages sent)."""
    steps = sorted({d + dt.timedelta(seconds=30) for d in AFTER_CREATION} | {dt.timedelta(minutes=16), until})
    rounds = []
    for step in steps:
        if step > until:
            break
        ahead = world.started_at + step - clock.now()
        if ahead > dt.timedelta(0):
            clock.advance(ahead)
        fired = deadlines_sweep_all()
        sent = outbox_deliver_all(max_rounds=1000)
        rounds.append((step, fired, sent))
    return rounds
