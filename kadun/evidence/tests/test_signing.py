"""Signed tree heads and promises: when a head is signed, what it signs, and key rotation (old
heads still verify with the retired key; a retired key signs nothing more)."""
from __future__ import annotations

import base64
import datetime as dt
import os

import pytest

from kadun.core import clock
from kadun.evidence import canonical, merkle, selectors, services, signing
from kadun.evidence.errors import SigningKeyRetired
from kadun.evidence.models import LogState, SigningKey, TreeHead
from kadun.evidence.tests.helpers import append, integrate_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_registry():
    signing._registered.clear()
    yield
    signing._registered.clear()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_a_head_signs_the_root_of_the_integrated_tree_in_the_contract_format(settings):
    entries = [append(i) for i in range(3)]
    integrate_all()
    head = services.heads_sign()
    assert set(head) == {"tree_size", "root_hash", "timestamp", "key_id", "signature"}
    assert head["tree_size"] == 3
    leaves = [bytes.fromhex(e.leaf_hash) for e in sorted((type(e).objects.get(pk=e.pk) for e in entries), key=lambda e: e.leaf_index)]
    assert head["root_hash"] == merkle.root_of(leaves).hex()
    message = canonical.dumps({"v": 1, "type": "tree_head", "log": settings.KADUN_EVIDENCE_LOG_ID, "tree_size": 3,
                               "root_hash": head["root_hash"], "timestamp": head["timestamp"]})
    public = SigningKey.objects.get(key_id=head["key_id"]).public_key
    assert signing.verify_with(public, message, head["signature"])
    assert head["key_id"] == signing.key_id_of(base64.b64decode(public))
    assert dt.datetime.fromisoformat(head["timestamp"]).utcoffset() == dt.timedelta(0)
    assert selectors.latest_head() == head == selectors.head_of_size(3)


def test_no_new_head_without_new_entries_nor_before_the_interval(settings):
    settings.KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS = 60
    settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS = 600
    assert services.heads_sign() is None  # empty log, not forced
    append()
    integrate_all()
    assert services.heads_sign()["tree_size"] == 1
    assert services.heads_sign() is None  # nothing new
    append()
    integrate_all()
    assert services.heads_sign() is None  # new entry, but the interval has not passed
    clock.advance(dt.timedelta(seconds=61))
    assert services.heads_sign()["tree_size"] == 2
    assert services.heads_sign(force=True) is None  # forced, but there is nothing new to sign
    assert TreeHead.objects.count() == 2


def test_an_entry_waiting_half_the_merge_delay_brings_the_next_head_forward(settings):
    settings.KADUN_EVIDENCE_SIGN_INTERVAL_SECONDS = 600
    settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS = 60
    append()
    integrate_all()
    services.heads_sign()
    append()
    integrate_all()
    clock.advance(dt.timedelta(seconds=20))
    assert services.heads_sign() is None
    clock.advance(dt.timedelta(seconds=11))
    assert services.heads_sign()["tree_size"] == 2


def test_forcing_on_an_empty_log_signs_the_empty_tree():
    head = services.heads_sign(force=True)
    assert head["tree_size"] == 0 and head["root_hash"] == merkle.EMPTY_ROOT.hex()
    assert signing.verify_head(head)


def test_the_sweeper_step_integrates_and_signs():
    append()
    assert services.evidence_step() == 1
    assert selectors.latest_head()["tree_size"] == 1
    assert LogState.objects.get().head_size == 1


def test_after_rotation_old_heads_verify_with_the_retired_key_and_new_heads_with_the_new(settings):
    append()
    integrate_all()
    old = services.heads_sign(force=True)
    old_seed = settings.KADUN_EVIDENCE_SIGNING_KEY
    settings.KADUN_EVIDENCE_SIGNING_KEY = new_key()
    clock.advance(dt.timedelta(seconds=5))
    append()
    integrate_all()
    new = services.heads_sign(force=True)
    assert new["key_id"] != old["key_id"]
    assert signing.verify_head(old) and signing.verify_head(new)
    keys = {k["key_id"]: k for k in selectors.public_keys()["keys"]}
    assert keys[old["key_id"]]["retired_at"] is not None and keys[new["key_id"]]["retired_at"] is None
    # a head made with the old (leaked) key after it was retired: a good signature, refused
    forged_at = (clock.now() + dt.timedelta(seconds=1)).isoformat()
    message = signing.head_message(tree_size=2, root_hash="0" * 64, timestamp=forged_at)
    forged = base64.b64encode(signing._private(old_seed).sign(message)).decode()
    assert signing.verify_with(keys[old["key_id"]]["public_key"], message, forged)
    assert not signing.verify_head({"tree_size": 2, "root_hash": "0" * 64, "timestamp": forged_at, "key_id": old["key_id"], "signature": forged})


def test_a_retired_key_signs_nothing_more(settings):
    first = settings.KADUN_EVIDENCE_SIGNING_KEY
    signing.ensure_registered()
    settings.KADUN_EVIDENCE_SIGNING_KEY = new_key()
    signing.ensure_registered()  # the new key retires the first
    settings.KADUN_EVIDENCE_SIGNING_KEY = first  # a process still running with the old key
    signing._registered.clear()
    append()
    integrate_all()
    with pytest.raises(SigningKeyRetired):
        services.heads_sign(force=True)
    assert TreeHead.objects.count() == 0


def test_a_tampered_head_does_not_verify():
    append()
    integrate_all()
    head = services.heads_sign(force=True)
    assert signing.verify_head(head)
    assert not signing.verify_head({**head, "root_hash": "0" * 64})
    assert not signing.verify_head({**head, "tree_size": 2})
    assert not signing.verify_head({**head, "key_id": "f" * 64})


def test_a_pending_entry_gets_a_signed_promise_of_inclusion_within_the_merge_delay(settings):
    entry = append()
    promise = selectors.promise_of(entry)
    assert set(promise) == {"entry_id", "leaf_hash", "integrate_by", "key_id", "signature"}
    assert promise["integrate_by"] == (entry.created_at + dt.timedelta(seconds=settings.KADUN_EVIDENCE_MERGE_DELAY_SECONDS)).isoformat()
    assert signing.verify_promise(promise)
    integrate_all()
    entry.refresh_from_db()
    assert promise["leaf_hash"] == entry.leaf_hash  # the promised leaf is the leaf integrated
    assert not signing.verify_promise({**promise, "integrate_by": (clock.now() + dt.timedelta(days=1)).isoformat()})
