"""Writes for inventory: importing, allocating and revealing card keys."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction

from kadun.core import clock
from kadun.core.db import is_postgres
from kadun.core.throttle import throttle
from kadun.inventory import crypto
from kadun.inventory.errors import ImportsPaused, ImportTooLarge, KeyNotFound, NotAKeyProduct
from kadun.inventory.models import CardKey, ImportBatch, QuarantinedKey, Reveal, VerificationReport
from kadun.inventory.states import KeyStatus
from kadun.risk import selectors as risk_reads
from kadun.risk import services as risk_services
from kadun.risk.states import AlertKind

if TYPE_CHECKING:
    from kadun.catalog.models import Product

MAX_KEYS_PER_IMPORT = 100_000
MAX_KEY_LENGTH = 500
CHUNK = 1000
_HEADER_WORDS = {"卡密", "卡号", "账号", "key", "code", "account", "card", "secret"}
REPORT_LINES = 200  # line numbers listed per category in a report


# Imports from the merchant's own page and API are rate-limited and stop while the shop's
# imports are paused; the CLI (run by the platform's operator) is not rate-limited.
MERCHANT_SOURCES = ("paste", "file", "api")


@dataclass
class ImportReport:
    """What the importer is told. Lines whose key another shop holds are held for risk review
    and counted in ``accepted`` with the new keys — never listed, never counted apart — so the
    report cannot tell a guesser which candidate exists (docs/architecture.md, "Key imports")."""

    batch_id: int | None = None
    total_lines: int = 0
    imported: int = 0  # new keys in stock
    duplicate_in_file: list[int] = field(default_factory=list)
    duplicate_existing: list[int] = field(default_factory=list)  # the shop's own keys, by line
    invalid: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # another shop's keys: for risk staff only

    @property
    def accepted(self) -> int:
        return self.imported + len(self.held)

    def as_dict(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "total_lines": self.total_lines,
            "imported": self.accepted,
            "duplicate_in_file": len(self.duplicate_in_file),
            "duplicate_existing": len(self.duplicate_existing),
            "invalid": len(self.invalid),
            "duplicate_in_file_lines": self.duplicate_in_file[:REPORT_LINES],
            "duplicate_existing_lines": self.duplicate_existing[:REPORT_LINES],
            "invalid_lines": self.invalid[:REPORT_LINES],
        }


def parse_text(text: str) -> list[tuple[int, str]]:
    """One key per line; blank lines skipped. ``account----password`` pairs are kept whole."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def parse_csv(text: str) -> list[tuple[int, str]]:
    """First column is the key; with two columns the row is an account and password pair."""
    out = []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row if c.strip()]
        if not cells:
            continue
        if n == 1 and cells[0].lower() in _HEADER_WORDS:
            continue
        out.append((n, cells[0] if len(cells) == 1 else "----".join(cells[:2])))
    return out


def parse_upload(name: str, data: bytes) -> list[tuple[int, str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise NotAKeyProduct("invalid_file", "文件编码无法识别，请使用 UTF-8 或 GBK 编码的 .txt / .csv 文件。")
    return parse_csv(text) if name.lower().endswith(".csv") else parse_text(text)


def keys_import(
    *, product: Product, lines: Iterable[tuple[int, str]], source: str, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import keys for a product. Duplicates inside the input and against the shop's own keys
    (in stock, sold or withdrawn) are refused and reported by line; a key another shop holds
    is not imported either, and goes to the risk quarantine without a word to the importer.
    A burst of those pauses the shop's imports until risk staff lift it."""
    if not product.is_auto:
        raise NotAKeyProduct()
    if source in MERCHANT_SOURCES:
        throttle(
            group="keys_import", key=f"shop:{product.shop_id}", rate=f"{settings.KADUN_IMPORTS_PER_SHOP_PER_HOUR}/h",
            message="导入过于频繁：每个店铺每小时最多导入 {limit} 次，请在 {minutes} 分钟后再试。",
        )
    if risk_reads.imports_paused(product.shop_id):
        raise ImportsPaused()
    lines = list(lines)
    if len(lines) > MAX_KEYS_PER_IMPORT:
        raise ImportTooLarge()
    report = ImportReport(total_lines=len(lines))
    candidates = _candidates(lines, report)
    now = clock.now()
    batch = ImportBatch.objects.create(shop_id=product.shop_id, product=product, source=source, created_at=now)
    report.batch_id = batch.pk
    held: list[QuarantinedKey] = []
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start : start + CHUNK]
        held += _import_chunk(product, batch, chunk, report, now)
        if progress:
            progress(len(chunk))
    ImportBatch.objects.filter(pk=batch.pk).update(
        total_lines=report.total_lines,
        imported=report.imported,
        duplicate_in_file=len(report.duplicate_in_file),
        duplicate_existing=len(report.duplicate_existing),
        invalid=len(report.invalid),
        held_for_review=len(report.held),
    )
    report.duplicate_existing.sort()
    if held:
        _collisions_check(product.shop_id)
    return report


def _candidates(lines: list[tuple[int, str]], report: ImportReport) -> list[tuple[int, str, str]]:
    """(line, key, fingerprint) of the valid lines, first of each key only, in fingerprint
    order: every import inserts in that order, so two imports of overlapping keys wait for
    each other on the unique index but can never deadlock."""
    seen: set[str] = set()
    candidates: list[tuple[int, str, str]] = []
    for lineno, secret in lines:
        secret = crypto.normalize(secret)
        # One key is one line: a line break inside one (possible through the API's list) would
        # make it two lines of the buyer's exported .txt.
        if not secret or len(secret) > MAX_KEY_LENGTH or "\x00" in secret or len(secret.splitlines()) > 1:
            report.invalid.append(lineno)
            continue
        fp = crypto.fingerprint(secret)
        if fp in seen:
            report.duplicate_in_file.append(lineno)
            continue
        seen.add(fp)
        candidates.append((lineno, secret, fp))
    candidates.sort(key=lambda c: c[2])
    return candidates


def _import_chunk(product: Product, batch: ImportBatch, chunk, report: ImportReport, now) -> list[QuarantinedKey]:
    """Insert one chunk's new keys; sort the rest into own duplicates and quarantined lines."""
    owners = dict(CardKey.objects.filter(fingerprint__in=[fp for _, _, fp in chunk]).values_list("fingerprint", "shop_id"))
    held_before = _held_before(product.shop_id, [fp for fp, owner in owners.items() if owner != product.shop_id])
    fresh, held = [], []
    for lineno, secret, fp in chunk:
        if fp not in owners:
            fresh.append((lineno, secret, fp))
        else:
            _sort_existing(product, batch, report, held, lineno, fp, owners[fp], now, held_before)
    rows = [
        CardKey(product=product, shop_id=product.shop_id, batch=batch, secret=crypto.encrypt(s), fingerprint=fp, created_at=now)
        for _, s, fp in fresh
    ]
    try:
        with transaction.atomic():
            CardKey.objects.bulk_create(rows)
        report.imported += len(rows)
    except (IntegrityError, OperationalError):
        # Another import raced us on some of these keys: fall back to one row at a time.
        for (lineno, _, fp), row in zip(fresh, rows, strict=True):
            try:
                with transaction.atomic():
                    row.pk = None
                    row.save(force_insert=True)
                report.imported += 1
            except IntegrityError:
                owner = CardKey.objects.filter(fingerprint=fp).values_list("shop_id", flat=True).first()
                _sort_existing(product, batch, report, held, lineno, fp, owner, now, _held_before(product.shop_id, [fp]))
    if held:
        QuarantinedKey.objects.bulk_create(held)
    return held


def _held_before(shop_id: int, fingerprints: list[str]) -> set[str]:
    """Of these keys (held by other shops), those this shop's imports already had quarantined."""
    if not fingerprints:
        return set()
    return set(QuarantinedKey.objects.filter(shop_id=shop_id, fingerprint__in=fingerprints).values_list("fingerprint", flat=True))


def _sort_existing(product, batch, report: ImportReport, held: list, lineno: int, fp: str, owner_id: int | None, now, held_before: set[str]) -> None:
    """A line whose key exists. The shop's own key is a duplicate, reported by line. So is a key
    another shop holds that this shop's imports already had held: re-importing a file must not
    single out the line that is missing from "本店已有" (docs/architecture.md, "Key imports").
    Only a first collision is held for review."""
    if owner_id == product.shop_id or fp in held_before:
        report.duplicate_existing.append(lineno)
        return
    report.held.append(lineno)
    held.append(QuarantinedKey(shop_id=product.shop_id, product=product, batch=batch, fingerprint=fp, owner_shop_id=owner_id, created_at=now))


def _collisions_check(shop_id: int) -> None:
    """Lines colliding with other shops' keys (KADUN_IMPORT_COLLISION_BURST — by default 1, the
    first — within KADUN_IMPORT_COLLISION_WINDOW_HOURS, counted since risk staff last lifted a
    pause) open a risk alert, which pauses the shop's imports."""
    since = clock.now() - dt.timedelta(hours=settings.KADUN_IMPORT_COLLISION_WINDOW_HOURS)
    lifted = risk_reads.imports_last_lifted(shop_id)
    if lifted is not None and lifted > since:
        since = lifted
    recent = list(QuarantinedKey.objects.filter(shop_id=shop_id, created_at__gte=since).order_by("id").values_list("id", flat=True))
    if len(recent) < settings.KADUN_IMPORT_COLLISION_BURST:
        return
    risk_services.alert_raise(
        kind=AlertKind.IMPORT_COLLISIONS, subject=risk_reads.shop_subject(shop_id), shop_id=shop_id,
        details={"quarantined_ids": recent[-1000:], "count": len(recent), "since": since.isoformat()},
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
    ids = list(qs.values_list("id", flat=True)[:quantity])
    if len(ids) < quantity:
        raise _Short
    sold = CardKey.objects.filter(pk__in=ids, status=KeyStatus.AVAILABLE).update(
        status=KeyStatus.SOLD, order_id=order_id, sold_at=clock.now()
    )
    if sold != quantity:
        raise _Short
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
        Reveal.objects.create(
            key_id=key_id, order=order, user=user if user is not None and user.is_authenticated else None,
            actor=actor, ip=ip or None, user_agent=(user_agent or "")[:300], at=now,
        )
    key = CardKey(pk=key_id, order_id=order.pk, status=KeyStatus.SOLD, first_revealed_at=first_revealed_at)
    key._state.adding = False
    return key, crypto.decrypt(secret)


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
        return VerificationReport.objects.create(
            order=order, key=key, checker=key.product.checker["kind"], result=outcome.result, raw=outcome.raw,
            checked_at=clock.now(), before_first_reveal=first_revealed_at is None,
        )
