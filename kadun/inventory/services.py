"""Writes for inventory: allocating, revealing, withdrawing, replacing and checking card keys
(importing: ``kadun.inventory.imports``, re-exported here)."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.core.db import is_postgres
from kadun.core.throttle import throttle
from kadun.evidence import services as evidence
from kadun.inventory import evidence as _sources  # noqa: F401  (registers inventory's evidence sources)
from kadun.inventory import crypto
from kadun.inventory.errors import KeyNotFound
from kadun.inventory.models import CardKey, Reveal, VerificationReport
from kadun.inventory.states import KeyStatus

# Importing lives in its own module; its public names stay reachable here.
from kadun.inventory.imports import (  # noqa: F401
    CHUNK,
    MAX_KEY_LENGTH,
    MAX_KEYS_PER_IMPORT,
    REPORT_LINES,
    ImportReport,
    keys_import,
    parse_csv,
    parse_text,
    parse_upload,
)


class _Short(Exception):
    pass


def keys_allocate(*, order_id: int, product_id: int, quantity: int) -> list[int] | None:
    """Take ``quantity`` available keys for an order, all or none; must run in the caller's
    transaction. On PostgreSQL rows locked by a concurrent buyer are skipped (SKIP LOCKED), and
    the conditional update guarantees no key is ever sold twice on any database."""
    if quantity == 1:
        # One key: a failure leaves nothing to undo (no key found, so none locked; or the one
        # found was sold meanwhile, so none updated), hence no savepoint.
        with transaction.atomic(savepoint=False):
            try:
                return _keys_take(order_id=order_id, product_id=product_id, quantity=1)
            except _Short:
                return None
    # Several keys: when short, the savepoint's rollback undoes a partial sale and releases the
    # locks on the keys found, which concurrent buyers would otherwise skip until we commit.
    try:
        with transaction.atomic():
            return _keys_take(order_id=order_id, product_id=product_id, quantity=quantity)
    except _Short:
        return None


def _keys_take(*, order_id: int, product_id: int, quantity: int) -> list[int]:
    qs = CardKey.objects.filter(product_id=product_id, status=KeyStatus.AVAILABLE).order_by("id")
    if is_postgres():
        qs = qs.select_for_update(skip_locked=True)
    found = list(qs.values_list("id", "fingerprint")[:quantity])  # the fingerprint for the log: no extra read
    if len(found) < quantity:
        raise _Short
    ids = [pk for pk, _ in found]
    now = clock.now()
    sold = CardKey.objects.filter(pk__in=ids, status=KeyStatus.AVAILABLE).update(status=KeyStatus.SOLD, order_id=order_id, sold_at=now)
    if sold != quantity:
        raise _Short
    evidence.record_many("inventory.delivery", [
        CardKey(pk=pk, fingerprint=fp, order_id=order_id, product_id=product_id, sold_at=now) for pk, fp in found
    ])
    return ids


def key_reveal(*, order, key_id: int, actor: str, user=None, ip: str | None = None, user_agent: str = "") -> tuple[CardKey, str]:
    """Decrypt one key of an order for the party the caller has already authorised, and log it.

    One transaction: a conditional update that only a key still sold to this order and never
    withdrawn passes (``status = sold AND withdrawn_at IS NULL``) stamps the first reveal if
    there was none and hands back the ciphertext; the reveal log row is written beside it. A
    withdrawal (refund 作废, 补发) racing it either commits first — then this update matches
    nothing and the buyer gets KeyNotFound, never the secret — or waits for this transaction and
    then finds the key revealed."""
    with transaction.atomic():
        row = _reveal_stamp(key_id=key_id, order_id=order.pk)
        if row is None:
            raise KeyNotFound()
        secret, first_revealed_at, now = row
        reveal = Reveal.objects.create(
            key_id=key_id, order=order, user=user if user is not None and user.is_authenticated else None,
            actor=actor, ip=ip or None, user_agent=(user_agent or "")[:300], at=now,
        )
        evidence.record("inventory.reveal", reveal)
    key = CardKey(pk=key_id, order_id=order.pk, status=KeyStatus.SOLD, first_revealed_at=first_revealed_at)
    key._state.adding = False
    return key, crypto.decrypt(secret)


def reveals_anonymise(*, user_id: int) -> int:
    """Account closure: the IP address and user agent of the user's reveals are erased; the
    reveal (which key, when, by whom) stays — the evidence log holds them as keyed hashes."""
    return Reveal.objects.filter(user_id=user_id).exclude(ip__isnull=True, user_agent="").update(ip=None, user_agent="")


def _reveal_stamp(*, key_id: int, order_id: int) -> tuple[str, object, object] | None:
    """``UPDATE … SET first_revealed_at = COALESCE(first_revealed_at, now) WHERE <sold to this
    order, not withdrawn> RETURNING secret, first_revealed_at`` (PostgreSQL and SQLite 3.35+);
    (secret, first reveal, now), or None when the key is not the order's to reveal.

    ``now`` is taken once this transaction holds the key — SQLite: the write lock, taken at
    BEGIN IMMEDIATE; PostgreSQL: the row, locked first (``FOR NO KEY UPDATE``, one statement
    more) — so a 验货 answer stored while the reveal waited is always earlier than the first
    reveal that followed it (``_report_store``)."""
    from django.db import connection

    from kadun.core.db import datetime_from_db

    if not 0 < int(key_id) < 2**63:
        return None
    qn = connection.ops.quote_name
    field = CardKey._meta.get_field("first_revealed_at")
    sql = (
        f"UPDATE {qn(CardKey._meta.db_table)} SET {qn('first_revealed_at')} = COALESCE({qn('first_revealed_at')}, %s) "
        f"WHERE {qn('id')} = %s AND {qn('order_id')} = %s AND {qn('status')} = %s AND {qn('withdrawn_at')} IS NULL "
        f"RETURNING {qn('secret')}, {qn('first_revealed_at')}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT 1 FROM {qn(CardKey._meta.db_table)} WHERE {qn('id')} = %s AND {qn('order_id')} = %s FOR NO KEY UPDATE",
                [int(key_id), order_id],
            )
        now = clock.now()
        cursor.execute(sql, [field.get_db_prep_save(now, connection), int(key_id), order_id, KeyStatus.SOLD])
        row = cursor.fetchone()
    return None if row is None else (row[0], datetime_from_db(row[1]), now)


def keys_rotate(*, progress: Callable[[int], None] | None = None) -> int:
    """Re-encrypt every key with the first configured key. Returns the number of keys."""
    done, last_id = 0, 0
    while True:
        batch = list(CardKey.objects.filter(pk__gt=last_id).order_by("id").only("id", "secret")[:CHUNK])
        if not batch:
            return done
        for key in batch:
            key.secret = crypto.rotate(key.secret)
        with transaction.atomic():
            CardKey.objects.bulk_update(batch, ["secret"])
        done += len(batch)
        last_id = batch[-1].pk
        if progress:
            progress(len(batch))


# Why a key left its order. "refund_unrevealed": refunded because it was never revealed (the
# withdrawal itself required it); "refunded": refunded on other grounds; "replaced": 补发.
WITHDRAWN_UNREVEALED = "refund_unrevealed"
WITHDRAWN_REFUNDED = "refunded"
WITHDRAWN_REPLACED = "replaced"
REFUND_REASONS = (WITHDRAWN_UNREVEALED, WITHDRAWN_REFUNDED)


def keys_withdraw(*, order, key_ids: list[int], reason: str, unrevealed: bool = False) -> int:
    """Take sold keys back from their order (refund 作废 or replacement). They are never sold
    again. All or nothing, in the caller's transaction: a key already withdrawn — or, with
    ``unrevealed``, a key revealed since the caller decided (the guard sits in the update's
    WHERE) — makes it fail with ``key_already_withdrawn`` / ``key_revealed_meanwhile``.

    On PostgreSQL the keys are locked (id order) before the time is taken, so a reveal that
    committed first is always earlier than the withdrawal it stopped."""
    with transaction.atomic(savepoint=False):
        return _keys_withdraw(order=order, key_ids=sorted(set(key_ids)), reason=reason, unrevealed=unrevealed)


def _keys_withdraw(*, order, key_ids: list[int], reason: str, unrevealed: bool) -> int:
    from kadun.core.errors import InvalidTransition

    rows = CardKey.objects.filter(pk__in=key_ids, order=order, status=KeyStatus.SOLD, withdrawn_at__isnull=True)
    if unrevealed:
        rows = rows.filter(first_revealed_at__isnull=True)
    if is_postgres():
        list(CardKey.objects.select_for_update(no_key=True).filter(pk__in=key_ids).order_by("pk").values_list("pk", flat=True))
    done = rows.update(status=KeyStatus.WITHDRAWN, withdrawn_at=clock.now(), withdrawn_reason=reason[:20])
    if done != len(key_ids):
        if unrevealed and CardKey.objects.filter(pk__in=key_ids, order=order, first_revealed_at__isnull=False).exists():
            raise InvalidTransition("key_revealed_meanwhile", "卡密刚刚已被查看，不再适用未查看即时退款，请刷新页面后重新申请。")
        raise InvalidTransition("key_already_withdrawn", "卡密已作废或已补发，不能重复处理。")
    return done


def keys_replace(*, order, key_ids: list[int]) -> list[int] | None:
    """补发: give the order fresh keys from the product's stock for ``key_ids`` and withdraw
    those. Returns the new key ids, or None (nothing changed) if stock is short. In the caller's
    transaction, or one of its own; a withdrawal that fails undoes the allocation with it."""
    with transaction.atomic():
        new_ids = keys_allocate(order_id=order.pk, product_id=order.product_id, quantity=len(set(key_ids)))
        if new_ids is None:
            return None
        keys_withdraw(order=order, key_ids=key_ids, reason=WITHDRAWN_REPLACED)
    return new_ids


def key_verify(*, order, key_id: int) -> VerificationReport | None:
    """Run the product's 验货 checker on one key of the order and store the report. The secret
    goes only to the checker, never to the caller. None when the product has no checker."""
    from kadun.inventory import checkers

    key = CardKey.objects.select_related("product").filter(pk=key_id, order=order, status=KeyStatus.SOLD).first()
    if key is None:
        raise KeyNotFound()
    if (key.product.checker or {}).get("kind", "none") != "none":
        per_hour = settings.KADUN_VERIFY_PER_ORDER_PER_HOUR
        throttle(
            group="key_verify", key=f"order:{order.pk}", rate=f"{per_hour}/h",
            message="验货过于频繁：每个订单每小时最多验货 {limit} 次，请在 {minutes} 分钟后再试。",
        )
    outcome = checkers.run(key.product.checker, crypto.decrypt(key.secret), key.product_id)
    if outcome is None:
        return None
    return _report_store(order=order, key=key, outcome=outcome)


def _report_store(*, order, key: CardKey, outcome) -> VerificationReport:
    """Store a checker's answer. "Before the first reveal" means no reveal before the answer — a
    key revealed while its check ran may have been used by the buyer before the issuer answered —
    so it is decided now, after the answer, with the key's row locked (the reveal is an UPDATE of
    that row, and takes its time only once it holds the row), from the key's first reveal as it
    stands. A reveal that committed first makes it false; one that waits for us is later than
    ``checked_at``."""
    with transaction.atomic():
        rows = CardKey.objects.filter(pk=key.pk)
        if is_postgres():
            rows = rows.select_for_update(no_key=True)
        first_revealed_at = rows.values_list("first_revealed_at", flat=True).get()
        report = VerificationReport.objects.create(
            order=order, key=key, checker=key.product.checker["kind"], result=outcome.result, raw=outcome.raw,
            checked_at=clock.now(), before_first_reveal=first_revealed_at is None,
        )
        evidence.record("inventory.verification", report)
        return report
