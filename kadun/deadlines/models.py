from django.db import models


class Deadline(models.Model):
    """A timer: at ``due_at`` the sweeper calls the service registered for ``kind`` on ``subject_id``.

    ``fired_at`` is set in the same transaction as the service's own changes, so a deadline
    fires exactly once however many sweepers run.
    """

    kind = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True, help_text="what firing did: done / noop / failed")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "subject_id"], name="deadline_once_per_subject")]
        indexes = [
            models.Index(fields=["due_at"], name="deadline_due_unfired", condition=models.Q(fired_at__isnull=True)),
            # The sweeper takes one kind at a time, oldest first.
            models.Index(fields=["kind", "due_at"], name="deadline_kind_due_unfired", condition=models.Q(fired_at__isnull=True)),
        ]
