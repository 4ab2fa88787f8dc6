from django.db import models


class Entry(models.Model):
    """存证: one fact that can decide a refund, written in the same transaction as the fact.

    Written *unsequenced* (``leaf_index`` null): appending takes no lock, so purchases never wait
    on each other for the log. The sequencer (a sweeper duty, one at a time) later gives committed
    entries their leaf index in id order and integrates them into the Merkle tree. The leaf is the
    canonical JSON of ``leaf_document()``; ``body`` is the canonical JSON text of the fact's
    fields (personal fields only as keyed hashes or redacted), ``content_hash`` its SHA-256.
    """

    created_at = models.DateTimeField()
    kind = models.CharField(max_length=40, help_text="e.g. order.paid, key.revealed, case.decided")
    actor_role = models.CharField(max_length=12, help_text="buyer, guest, merchant, staff, system, gateway")
    actor_id = models.BigIntegerField(null=True, blank=True)
    subject_type = models.CharField(max_length=12, help_text="order, case, shop, payment, complaint")
    subject_id = models.BigIntegerField()
    body = models.TextField(help_text="canonical JSON, exactly the bytes hashed")
    content_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=60, blank=True, help_text="the source row's kind, as registered in evidence.registry")
    source_id = models.BigIntegerField(null=True, blank=True)
    leaf_index = models.BigIntegerField(null=True, blank=True, unique=True)
    leaf_hash = models.CharField(max_length=64, blank=True)
    integrated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "id"], name="evidence_entry_subject"),
            models.Index(fields=["id"], condition=models.Q(leaf_index__isnull=True), name="evidence_entry_pending"),
            models.Index(fields=["source", "source_id"], name="evidence_entry_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(leaf_index__isnull=True) | ~models.Q(leaf_hash=""), name="evidence_integrated_has_leaf_hash"
            ),
        ]

    def leaf_document(self) -> dict:
        """What the leaf commits to. The entry id (not the leaf index, unknown when written) ties
        the leaf to its row; the body goes in by its hash, so the leaf stays small."""
        return {
            "v": 1,
            "id": self.pk,
            "time": self.created_at.isoformat(),
            "kind": self.kind,
            "actor": {"role": self.actor_role, "id": self.actor_id},
            "subject": {"type": self.subject_type, "id": self.subject_id},
            "content_hash": self.content_hash,
        }


class LogState(models.Model):
    """The log's one row (pk 1): the integrated tree's size and the sequencer's place in the ids.

    The sequencer locks it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock) so one
    integrates at a time; appenders never touch it. ``next_id``: every entry id below it is
    integrated or was taken for a rolled-back id (0 = nothing integrated yet). ``gap_*``: the hole
    the sequencer is waiting at (first id, first seen, and on PostgreSQL the transactions that were
    writing in this database then: the hole is passed once all of them have ended)."""

    tree_size = models.BigIntegerField(default=0)
    next_id = models.BigIntegerField(default=0)
    gap_from = models.BigIntegerField(null=True, blank=True)
    gap_seen_at = models.DateTimeField(null=True, blank=True)
    gap_xids = models.TextField(blank=True, help_text="comma-separated top-level transaction ids")
    head_size = models.BigIntegerField(default=-1, help_text="tree_size of the latest signed head (-1: none yet)")
    head_at = models.DateTimeField(null=True, blank=True)


class TreeNode(models.Model):
    """A perfect subtree's hash: ``key = level << 48 | index`` covers leaves
    [index·2^level, (index+1)·2^level). Level 0 are the leaf hashes. Written once when the leaf
    completing it is integrated, so a proof or a root at any size reads O(log n) rows by key."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)


class TreeHead(models.Model):
    """A signed tree head (STH): the platform's signature over the root of the first ``tree_size``
    leaves at ``timestamp``; ``tsa_token`` an optional RFC 3161 time-stamp token over the signed
    message (DER, base64)."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    key_id = models.CharField(max_length=64)
    signature = models.CharField(max_length=100)
    tsa_token = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["-timestamp"], name="evidence_head_time")]


class SigningKey(models.Model):
    """A published signing key: the public half of every key that ever signed for the log. The key
    in ``KADUN_EVIDENCE_SIGNING_KEY`` registers itself when it first signs and retires the one
    before it; a retired key still verifies what it signed before ``retired_at``, nothing after."""

    key_id = models.CharField(max_length=64, primary_key=True)
    public_key = models.CharField(max_length=60, help_text="raw 32-byte Ed25519 public key, standard base64")
    active_from = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
# Public complaints (曝光) live in their own module; imported here so Django sees the models.
from kadun.evidence.models_complaints import Complaint, ComplaintAction, ComplaintReply  # noqa: E402,F401
