"""Evidence images of refund requests: checked by content, capped per order, and written to
storage after commit (house rule 13), crash-safe.

How a file reaches storage (see docs/architecture.md, "Evidence files"):

1. ``check_images`` reads and checks the uploads before any transaction (type by content,
   ≤ 5 MB each, ≤ 5 per request).
2. Inside the caller's transaction, once it is decided the images go to the merchant (a request
   that becomes ``awaiting_merchant``, or a merchant's answer), ``store`` checks the party's byte
   budget on the order, writes each image under ``evidence-staging/`` — a name nothing serves or links —,
   inserts its ``RefundEvidence`` row naming the final path, and writes an ``evidence_publish``
   outbox row.
3. After commit, the file is moved from staging to its final name: at once through
   ``transaction.on_commit``, and, should the process die first, by the outbox worker
   delivering ``evidence_publish``. Publishing is idempotent (a complete final file is left
   alone), so both paths may run.

A transaction that rolls back leaves no row, so its staged files are orphans: the caller deletes
them (``discard``), and ``kadun evidence-sweep`` removes any a crash left behind.
"""
from __future__ import annotations

import hashlib
import logging
import posixpath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum

from kadun.aftersales.errors import EvidenceQuotaExceeded, InvalidEvidence
from kadun.aftersales.models import RefundEvidence
from kadun.core import clock, staged_files
from kadun.evidence import services as evidence_log
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue

log = logging.getLogger("kadun.evidence")

MAX_IMAGES = 5
STAGING = "evidence-staging"
TOPIC = "evidence_publish"
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def sniff_image(head: bytes) -> str | None:
    """The image type by its first bytes (never by the file name), or None."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_images(images) -> list[tuple[bytes, str]]:
    """The uploads' bytes and types, or InvalidEvidence; nothing is written."""
    images = list(images or [])
    if len(images) > MAX_IMAGES:
        raise InvalidEvidence()
    out = []
    for upload in images:
        if upload.size > settings.KADUN_MAX_UPLOAD_IMAGE_BYTES:
            raise InvalidEvidence()
        data = upload.read()
        content_type = sniff_image(data[:16])
        if content_type is None:
            raise InvalidEvidence()
        out.append((data, content_type))
    return out


def stored_bytes(order_id: int, party: str) -> int:
    """Bytes of evidence ``party`` (buyer / merchant) has stored on the order. Each party has its
    own budget, so neither can use up the other's (a merchant's fillers never block the buyer's
    next request, nor the buyer's the merchant's answer)."""
    return RefundEvidence.objects.filter(request__order_id=order_id, party=party).aggregate(n=Sum("size"))["n"] or 0


def _staging_name(final_name: str) -> str:
    return staged_files.staging_name(final_name, STAGING)


def store(request, party: str, images: list[tuple[bytes, str]], *, staged: list[str] | None = None) -> None:
    """Stage ``images`` for ``request`` and record them, in the caller's transaction (which holds
    the order's lock). Refuses with ``evidence_quota`` past the party's byte budget on the order
    (KADUN_EVIDENCE_MAX_BYTES_PER_ORDER, for the buyer and for the merchant each). Staged
    names are appended to ``staged`` so a caller whose transaction fails can discard them."""
    if not images:
        return
    incoming = sum(len(data) for data, _ in images)
    if stored_bytes(request.order_id, party) + incoming > settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER:
        raise EvidenceQuotaExceeded()
    now = clock.now()
    seen: set[str] = set()
    for data, content_type in images:
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue  # the same picture twice is one piece of evidence
        seen.add(digest)
        final_name = f"evidence/{now:%Y/%m}/{request.request_no}-{party}-{digest[:16]}"
        staging_name = _staging_name(final_name)
        _stage(staging_name, data)
        if staged is not None:
            staged.append(staging_name)
        evidence = RefundEvidence.objects.create(
            request=request, party=party, file=final_name, content_type=content_type, size=len(data), sha256=digest, created_at=now,
        )
        evidence_log.record("aftersales.evidence", evidence)
        outbox_enqueue(topic=TOPIC, payload={"evidence_id": evidence.pk})
        transaction.on_commit(lambda pk=evidence.pk: _publish_now(pk))


def _stage(name: str, data: bytes) -> None:
    staged_files.stage(name, data)


def discard(staged: list[str]) -> None:
    """Delete staged files of a transaction that did not commit."""
    staged_files.discard(staged)


def publish(evidence_id: int) -> None:
    """Move one evidence file from staging to its final name. Idempotent."""
    evidence = RefundEvidence.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return  # rolled back after all: nothing to publish
    staged_files.publish(evidence.file.name, evidence.size, STAGING)


def _publish_now(evidence_id: int) -> None:
    try:
        publish(evidence_id)
    except Exception as exc:  # the outbox message publishes it later
        log.warning("evidence %s not published yet: %s", evidence_id, type(exc).__name__)


@sender(TOPIC)
def _publish_message(payload: dict) -> None:
    publish(int(payload["evidence_id"]))


def open_file(evidence):
    """The evidence file for reading. Its row exists, so its transaction committed: if the file
    is still in staging (the worker has not run yet), it is published first."""
    if not default_storage.exists(evidence.file.name):
        publish(evidence.pk)
    return evidence.file.open("rb")


def staging_sweep(*, older_than_seconds: int = 3600) -> int:
    """Delete staged files no committed evidence row waits for (a crash between staging and
    commit). Returns how many were deleted."""
    import datetime as dt

    try:
        _dirs, files = default_storage.listdir(STAGING)
    except FileNotFoundError:
        return 0
    cutoff = clock.now() - dt.timedelta(seconds=older_than_seconds)
    deleted = 0
    for name in files:
        path = posixpath.join(STAGING, name)
        if default_storage.get_modified_time(path) > cutoff or RefundEvidence.objects.filter(file__endswith="/" + name).exists():
            continue  # too recent to judge, or committed and waiting for its publish
        default_storage.delete(path)
        deleted += 1
    return deleted
