"""The bundle built from the real log — the sequencer's tree, a head signed with the platform key,
its published keys — verifies offline; so does a promise for an entry not yet integrated. (The
other bundle tests use the test kit's in-memory log; this one proves the two halves agree.)"""
from __future__ import annotations

import json

import pytest
from django.db import transaction

from kadun.evidence import selectors, services
from kadun.evidence.bundle import bundle_file
from kadun.evidence.offline.verify import verify_bundle
from kadun.evidence.registry import Fact
from kadun.evidence.tests.bundle_kit import unzip

pytestmark = pytest.mark.django_db(transaction=True)


def _fact(order, kind: str, **body):
    with transaction.atomic():
        return services.record_fact(Fact(kind=kind, subject_type="order", subject_id=order.pk, actor_role="system", actor_id=None, body=body))


def _bundle(order) -> bytes:
    _name, fh = bundle_file(order=order, role="buyer")
    return fh.read()


def test_a_bundle_from_the_real_log_verifies_offline_against_the_published_keys():
    from kadun.cases.tests.helpers import delivered_order

    order = delivered_order(price=1500)
    for i in range(5):
        _fact(order, "order.test_fact", n=i, amount=1500)
    services.entries_integrate()
    head = services.heads_sign(force=True)
    assert head and head["tree_size"] >= 5
    late = _fact(order, "order.test_fact", n=99)  # written after the head: a promise, not a proof

    data = _bundle(order)
    report = verify_bundle(data, trusted_keys=selectors.public_keys())
    assert report.ok, [p.__dict__ for p in report.problems]
    files = unzip(data)
    proofs = json.loads(files["proofs.json"])
    assert json.loads(files["head.json"])["root_hash"] == head["root_hash"]
    assert str(late.pk) in json.dumps(proofs)  # the pending entry travels with its signed promise


def test_a_bundle_whose_head_was_swapped_for_another_valid_head_fails():
    from kadun.cases.tests.helpers import delivered_order

    order = delivered_order(price=1500)
    _fact(order, "order.test_fact", n=1)
    services.entries_integrate()
    services.heads_sign(force=True)
    data = _bundle(order)
    _fact(order, "order.test_fact", n=2)
    services.entries_integrate()
    newer = services.heads_sign(force=True)
    files = unzip(data)
    files["head.json"] = json.dumps(newer).encode()
    from kadun.evidence.tests.bundle_kit import rezip

    assert not verify_bundle(rezip(files), trusted_keys=selectors.public_keys()).ok
