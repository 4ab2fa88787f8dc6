"""Pictures of 资质审核 (licence, category proofs) and of 官方直营 authorisations: checked by
content like refund evidence, written after commit through ``kadun.core.staged_files``
(staged, recorded in the caller's transaction, published after commit and by the outbox), and
served to risk staff only (``views_onboarding.file``)."""
from __future__ import annotations

import hashlib

from django.core.files.storage import default_storage
from django.db import transaction

from kadun.aftersales import services as aftersales
from kadun.core import clock, staged_files
from kadun.core.errors import InvalidInput
from kadun.merchants.models_onboarding import ApplicationFile, OfficialAuthorisation
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue

STAGING = "onboarding-staging"
TOPIC = "onboarding_file_publish"
_MODELS = {"application": ApplicationFile, "official": OfficialAuthorisation}


class InvalidDocument(InvalidInput):
    code = "invalid_document"
    message = "证照图片需为 PNG、JPEG、GIF 或 WebP 格式，且不超过 5 MB。"


def check(upload) -> tuple[bytes, str]:
    """One upload's bytes and sniffed type, or InvalidDocument; nothing is written."""
    if upload is None:
        raise InvalidDocument()
    try:
        [(data, content_type)] = aftersales.check_images([upload])
    except Exception as exc:  # InvalidEvidence: the same checks, the onboarding's code and message
        raise InvalidDocument() from exc
    return data, content_type


def stage(prefix: str, data: bytes, *, staged: list[str]) -> tuple[str, str]:
    """Stage ``data``; returns (final name, sha256). Call inside the transaction that records it."""
    digest = hashlib.sha256(data).hexdigest()
    final_name = f"onboarding/{clock.now():%Y/%m}/{prefix}-{digest[:16]}"
    name = staged_files.staging_name(final_name, STAGING)
    staged_files.stage(name, data)
    staged.append(name)
    return final_name, digest


def after_commit(model: str, pk: int) -> None:
    """Publish the file after commit, and through the outbox should the process die first."""
    outbox_enqueue(topic=TOPIC, payload={"model": model, "id": pk})
    transaction.on_commit(lambda: _publish_quietly(model, pk))


def discard(staged: list[str]) -> None:
    staged_files.discard(staged)


def publish(model: str, pk: int) -> None:
    row = _MODELS[model].objects.filter(pk=pk).first()
    if row is not None:
        staged_files.publish(row.file.name, row.size, STAGING)


def _publish_quietly(model: str, pk: int) -> None:
    try:
        publish(model, pk)
    except Exception:  # the outbox message publishes it later
        pass


@sender(TOPIC)
def _publish_message(payload: dict) -> None:
    publish(payload["model"], int(payload["id"]))


def open_file(model: str, row):
    if not default_storage.exists(row.file.name):
        publish(model, row.pk)
    return row.file.open("rb")
