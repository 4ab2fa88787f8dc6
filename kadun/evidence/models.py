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


# Public complaints (曝光) live in their own module; imported here so Django sees the models.
from kadun.evidence.models_complaints import Complaint, ComplaintAction, ComplaintReply  # noqa: E402,F401
