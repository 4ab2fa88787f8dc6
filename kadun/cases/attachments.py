"""Attachments of case messages: pictures checked by content (never by name), ≤ 5 MB each,
≤ 5 per message, within each party's byte budget per order; stored after commit through
``kadun.core.staged_files`` (staged, recorded in the message's transaction, published after
commit and by the outbox)."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from kadun.aftersales import services as aftersales
from kadun.cases.errors import InvalidCaseInput
from kadun.cases.models import CaseAttachment
from kadun.core import clock, staged_files
from kadun.evidence import services as evidence_log
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue

STAGING = "case-staging"
TOPIC = "case_attachment_publish"


def check(images) -> list[tuple[bytes, str]]:
    """The uploads' bytes and sniffed types, or an error; nothing is written."""
    return aftersales.check_images(images)


def discard(staged: list[str]) -> None:
    staged_files.discard(staged)


def _stored(order_id: int, party: str) -> int:
    return CaseAttachment.objects.filter(message__order_id=order_id, message__party=party).aggregate(n=Sum("size"))["n"] or 0


def store(message, images: list[tuple[bytes, str]], *, staged: list[str]) -> None:
    if not images:
        return
    incoming = sum(len(data) for data, _ in images)
    if _stored(message.order_id, message.party) + incoming > settings.KADUN_EVIDENCE_MAX_BYTES_PER_ORDER:
        raise InvalidCaseInput("evidence_quota", "该订单的附件总量已达上限，请删减图片后再提交。", status=413)
    now = clock.now()
    seen: set[str] = set()
    for data, content_type in images:
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        final_name = f"cases/{now:%Y/%m}/{message.order_id}-{message.pk}-{digest[:16]}"
        name = staged_files.staging_name(final_name, STAGING)
        staged_files.stage(name, data)
        staged.append(name)
        attachment = CaseAttachment.objects.create(
            message=message, file=final_name, content_type=content_type, size=len(data), sha256=digest, created_at=now,
        )
        evidence_log.record("cases.attachment", attachment)
        outbox_enqueue(topic=TOPIC, payload={"attachment_id": attachment.pk})
        transaction.on_commit(lambda pk=attachment.pk: _publish_quietly(pk))


def publish(attachment_id: int) -> None:
    attachment = CaseAttachment.objects.filter(pk=attachment_id).first()
    if attachment is not None:
        staged_files.publish(attachment.file.name, attachment.size, STAGING)


def _publish_quietly(attachment_id: int) -> None:
    try:
        publish(attachment_id)
    except Exception:  # the outbox message publishes it later
        pass


@sender(TOPIC)
def _publish_message(payload: dict) -> None:
    publish(int(payload["attachment_id"]))


def open_file(attachment):
    from django.core.files.storage import default_storage

    if not default_storage.exists(attachment.file.name):
        publish(attachment.pk)
    return attachment.file.open("rb")
