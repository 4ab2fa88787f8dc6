"""A review's optional picture: checked by content like refund evidence (``aftersales.check_images``:
PNG / JPEG / GIF / WebP by their bytes, ≤ KADUN_MAX_UPLOAD_IMAGE_BYTES), staged in the review's
transaction and published after commit through ``kadun.core.staged_files`` (at once, and by the
outbox should the process die first)."""
from __future__ import annotations

import hashlib

from django.db import transaction

from kadun.aftersales import services as aftersales
from kadun.core import staged_files
from kadun.core.errors import DomainError
from kadun.notifications.registry import sender
from kadun.notifications.services import outbox_enqueue
from kadun.reputation.errors import InvalidReviewImage

STAGING = "review-staging"
TOPIC = "review_image_publish"


def check(image) -> tuple[bytes, str] | None:
    """The upload's bytes and sniffed type (None without a picture), or InvalidReviewImage."""
    if not image:
        return None
    try:
        return aftersales.check_images([image])[0]
    except DomainError as exc:
        raise InvalidReviewImage() from exc


def stage(order_id: int, now, picture: tuple[bytes, str] | None, *, staged: list[str]) -> tuple[str, str]:
    """Write the picture under its staging name; returns (final name, SHA-256) or ("", "")."""
    if picture is None:
        return "", ""
    data, _ = picture
    digest = hashlib.sha256(data).hexdigest()
    final_name = f"reviews/{now:%Y/%m}/{order_id}-{digest[:16]}"
    name = staged_files.staging_name(final_name, STAGING)
    staged_files.stage(name, data)
    staged.append(name)
    return final_name, digest


def after_commit(review_id: int, final_name: str, size: int) -> None:
    if not final_name:
        return
    outbox_enqueue(topic=TOPIC, payload={"review_id": review_id, "name": final_name, "size": size})
    transaction.on_commit(lambda: _publish_quietly(final_name, size))


def read(final_name: str) -> bytes | None:
    return staged_files.read_committed(final_name, STAGING) if final_name else None


def _publish_quietly(final_name: str, size: int) -> None:
    try:
        staged_files.publish(final_name, size, STAGING)
    except Exception:  # noqa: BLE001 — the outbox message publishes it later
        pass


@sender(TOPIC)
def _publish_message(payload: dict) -> None:
    staged_files.publish(str(payload["name"]), int(payload["size"]), STAGING)


discard = staged_files.discard
