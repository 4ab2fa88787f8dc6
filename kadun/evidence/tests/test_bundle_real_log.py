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


def test_a_bundle_made_before_the_buyers_account_was_closed_still_verifies_after_it():
    """Closing an account anonymises the person (name, e-mail, the reveal's IP) but not the log:
    the bundle the buyer downloaded before still verifies against the heads signed after, with a
    consistency proof from its head; a bundle made after verifies too, and evidence-check is clean."""
    from conftest import buy, make_product, make_user, pay
    from kadun.accounts.services import account_anonymise
    from kadun.evidence.check import evidence_check
    from kadun.inventory.models import CardKey
    from kadun.inventory.services import key_reveal

    buyer = make_user(email="buyer@example.com", contact="QQ 123456")
    order = pay(buy(make_product(keys=1, price=1000), buyer=buyer)[0])
    key = CardKey.objects.get(order=order)
    key_reveal(order=order, key_id=key.pk, actor="buyer", user=buyer, ip="203.0.113.9", user_agent="Mozilla/5.0 test")
    services.entries_integrate()
    old_head = services.heads_sign(force=True)
    before = _bundle(order)

    account_anonymise(user=buyer, actor=buyer)
    services.entries_integrate()
    new_head = services.heads_sign(force=True)
    assert new_head["tree_size"] > old_head["tree_size"]  # the closure itself is logged

    keys = selectors.public_keys()
    assert verify_bundle(before, trusted_keys=keys).ok  # the bundle kept from before the closure
    after = _bundle(order)
    consistency = selectors.consistency_proof(old_head["tree_size"], new_head["tree_size"])
    # today's bundle, checked against the head the buyer kept from before: the log only grew
    assert verify_bundle(after, against=old_head, consistency=consistency, trusted_keys=keys).ok
    assert evidence_check().ok
    for name, data in unzip(before).items():  # the person was never in the log: only keyed hashes
        assert b"203.0.113.9" not in data and b"buyer@example.com" not in data, name
