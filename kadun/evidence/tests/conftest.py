"""Fixtures for bundle, verifier and dossier tests: the kit's log installed in place of the tree,
and an order whose case carries pictures the log cites."""
from __future__ import annotations

import hashlib
import json

import pytest

from kadun.evidence import tree_calls
from kadun.evidence.tests.bundle_kit import KitLog, record

PNG_A = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"A" * 64
PNG_B = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"B" * 64


@pytest.fixture
def kit():
    log = KitLog()
    previous = tree_calls.use(log)
    yield log
    tree_calls.use(previous)


def evidence_order(kit, *, pending: bool = True):
    """A delivered order with a case whose opening message has a picture, and a staff note with
    another; entries for them (the note's marked internal), integrated and under a signed head —
    and, with ``pending``, one more entry not yet integrated (it gets a promise)."""
    from kadun.cases import thread
    from kadun.cases.tests.helpers import delivered_order, staff
    from kadun.cases.tests.pages import opened, png

    order = delivered_order(price=1500)
    case = opened(order, images=[png(data=PNG_A)])
    note = thread.message_post(order=order, party="staff", author=staff("support"), body="内部备注：查看过卡密日志", images=[png(data=PNG_B)], internal=True)
    sha_a, sha_b = hashlib.sha256(PNG_A).hexdigest(), hashlib.sha256(PNG_B).hexdigest()
    record("order", order.pk, "order.paid", {"order_no": order.order_no, "amount": order.amount})
    record("order", order.pk, "key.revealed", {"key": 1, "first": True}, role="buyer", actor_id=order.buyer_id)
    record("case", case.pk, "case.opened", {"case_no": case.case_no, "statement": case.statement, "images": [sha_a]}, role="buyer")
    record("case", case.pk, "case.message", {"message": note.pk, "internal": True, "images": [sha_b]}, role="staff")
    kit.settle()
    if pending:
        record("case", case.pk, "case.message", {"message": 0, "body": "商家回复：已核实"}, role="merchant")
    return order, case


def internal(entry) -> bool:
    """An entry whose body says it is staff-only (docs/evidence.md: an internal note, a
    staff-only event) — left out of the buyer's and the merchant's bundle."""
    try:
        body = json.loads(entry.body)
    except ValueError:
        return False
    return isinstance(body, dict) and (body.get("internal") is True or body.get("staff_only") is True)


def subject_entries(order, case=None, *, role: str = "buyer") -> list:
    """The entries a bundle of ``order`` (or of ``case``) must hold for a viewer in ``role``,
    read from the log's rows: every entry on the order and on its cases (the case's bundle: that
    case only) — the ones evhooks writes for each fact as well as any a test recorded by hand —
    in id order, without the internal ones unless for staff."""
    from kadun.evidence.models import Entry

    cases = [case.pk] if case is not None else list(order.cases.values_list("pk", flat=True))
    rows = list(Entry.objects.filter(subject_type="order", subject_id=order.pk)) + list(Entry.objects.filter(subject_type="case", subject_id__in=cases))
    return sorted((e for e in rows if role == "staff" or not internal(e)), key=lambda e: e.pk)
