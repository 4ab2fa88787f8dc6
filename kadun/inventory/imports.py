"""Importing card keys: parsing pasted text and files, refusing duplicates (inside the input and
against every key on the platform), and holding keys another shop already has for risk review
without telling the importer which line (the key-existence oracle, see docs/architecture.md).
Re-exported by ``kadun.inventory.services``."""
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
from kadun.core.throttle import throttle
from kadun.inventory import crypto
from kadun.inventory.errors import ImportsPaused, ImportTooLarge, NotAKeyProduct
from kadun.inventory.models import CardKey, ImportBatch, QuarantinedKey
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
