"""Signed tree heads: the platform's signature over the integrated tree, one per tree size.

A head is due when entries were integrated since the last one and either
``KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS`` have passed since it, or the oldest entry not yet under a
head has waited half the merge delay (so every entry is under a signed head within
``KADUN_EVIDENCE_MERGE_DELAY_SECONDS`` while the sweeper runs). ``force`` (``kadun
evidence-sign``) signs whatever is integrated now, and the empty tree when nothing is.
The RFC 3161 time stamp, when a TSA is configured, is asked for after the head has committed
(no network call under the log's lock) and added to it.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging

from django.conf import settings
from django.db import transaction

from kadun.core import clock
from kadun.evidence import signing
from kadun.evidence.models import Entry, LogState, TreeHead
from kadun.evidence.sequencer import state_lock
from kadun.evidence.tree import StoredTree

log = logging.getLogger("kadun.evidence")


def head_json(head: TreeHead) -> dict:
    out = {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp.astimezone(dt.timezone.utc).isoformat(),
        "key_id": head.key_id,
        "signature": head.signature,
    }
    if head.tsa_token:
        out["tsa_token"] = head.tsa_token
    return out


def _due(state: LogState, now: dt.datetime, force: bool) -> bool:
    if state.tree_size <= max(state.head_size, 0):
        return force and state.head_size < 0  # forced on an empty log: the empty tree's head
    if force or state.head_at is None:
        return True
    if (now - state.head_at).total_seconds() >= settings.KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS:
        return True
    oldest = Entry.objects.filter(leaf_index=max(state.head_size, 0)).values_list("created_at", flat=True).first()
    half = dt.timedelta(seconds=settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS / 2)
    return oldest is not None and now - oldest >= half


def head_due() -> bool:
    """Cheap test for the sweeper (one row read, no lock)."""
    state = LogState.objects.filter(pk=1).first()
    return state is not None and _due(state, clock.now(), False)


def heads_sign(*, force: bool = False) -> dict | None:
    """Sign a head over the integrated tree if one is due (or ``force``); its JSON form, or None."""
    with transaction.atomic():
        state = state_lock(wait=force)  # forced (the CLI): wait for a sequencer at work
        if state is None:
            return None  # a sequencer is at work; the next round signs
        now = clock.now()
        if not _due(state, now, force):
            return None
        size = state.tree_size
        timestamp = now.astimezone(dt.timezone.utc)
        root = StoredTree().root(size).hex()
        message = signing.head_message(tree_size=size, root_hash=root, timestamp=timestamp.isoformat())
        key_id, signature = signing.sign(message)
        head = TreeHead.objects.create(tree_size=size, root_hash=root, timestamp=timestamp, key_id=key_id, signature=signature)
        LogState.objects.filter(pk=1).update(head_size=size, head_at=timestamp)
    if settings.KADUN_EVIDENCE_TSA_URL:
        _stamp(head, message)
    return head_json(head)


def _stamp(head: TreeHead, message: bytes) -> None:
    from kadun.evidence import tsa

    try:
        token = tsa.timestamp(message)
    except tsa.TsaError:
        log.exception("evidence: RFC 3161 time stamp for head %s failed; the head stands without it", head.tree_size)
        return
    head.tsa_token = base64.b64encode(token).decode("ascii")
    TreeHead.objects.filter(pk=head.pk, tsa_token="").update(tsa_token=head.tsa_token)


def evidence_step() -> int:
    """The sweeper's duty: integrate what is pending, then sign a head when one is due. Two cheap
    reads when idle. Returns the number of entries integrated."""
    from kadun.evidence.sequencer import entries_integrate, pending_exists

    integrated = 0
    if pending_exists():
        integrated = entries_integrate()
    if integrated or head_due():
        heads_sign()
    return integrated
