"""资质审核 (onboarding), the platform rules merchants accept, and badges (see docs/merchants.md).

Identity numbers and a person's real name are sealed (Fernet under ``KADUN_CARD_KEYS``, like card
keys); only their masked forms are stored in clear. Files (licence, category proofs, brand
authorisations) are written after commit through ``kadun.core.staged_files`` and served to
risk staff only."""
from django.db import models

from kadun.merchants.onboarding_states import ApplicationKind, ApplicationStatus, BadgeKind, EntityType


class RulesVersion(models.Model):
    """One version of the platform rules for merchants (平台规则): its text and SHA-256. A new
    version exists whenever the text (or a number in it) changes; rows are never edited."""

    version = models.PositiveIntegerField(unique=True)
    text = models.TextField()
    sha256 = models.CharField(max_length=64, unique=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]


class ShopApplication(models.Model):
    """One submission of a shop's 资质 (first application or a change of identity)."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="applications")
    kind = models.CharField(max_length=10, choices=ApplicationKind.choices)
    status = models.CharField(max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    entity_type = models.CharField(max_length=10, choices=EntityType.choices)
    contact = models.CharField(max_length=120)
    # Sealed {"legal_name": ..., "number": ...}: a person's real name or a company's name, and the
    # 身份证号 / 统一社会信用代码. Shown in clear only to risk staff (each view recorded).
    identity_sealed = models.TextField()
    display_name = models.CharField(max_length=120, help_text="company name (public) or the person's masked name")
    number_masked = models.CharField(max_length=40)
    number_fingerprint = models.CharField(max_length=64, db_index=True, help_text="keyed hash: the same number on several shops")
    categories = models.JSONField(default=list, help_text="categories the shop asks to sell in")
    rules_version = models.ForeignKey(RulesVersion, on_delete=models.PROTECT, related_name="+")
    rules_accepted_at = models.DateTimeField()
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["shop"], condition=models.Q(status="pending"), name="one_pending_application_per_shop"),
        ]


class ApplicationFile(models.Model):
    """A picture of an application: the licence / ID (``kind=licence``) or a category's proof."""

    application = models.ForeignKey(ShopApplication, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=24)
    category = models.CharField(max_length=20, blank=True)
    file = models.FileField(upload_to="onboarding/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class IdentityView(models.Model):
    """Who saw an application's identity in clear, and when (the audit of the staff console)."""

    application = models.ForeignKey(ShopApplication, on_delete=models.PROTECT, related_name="views")
    viewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]


class ShopBadge(models.Model):
    """A badge a shop holds now. Recomputed from its criteria (``merchants.badges``)."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="badges")
    kind = models.CharField(max_length=12, choices=BadgeKind.choices)
    since = models.DateTimeField()

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["shop", "kind"], name="one_badge_per_kind")]


class BadgeEvent(models.Model):
    """History: a badge gained or lost, and why."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="badge_events")
    kind = models.CharField(max_length=12, choices=BadgeKind.choices)
    gained = models.BooleanField()
    reason = models.CharField(max_length=300)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]


class OfficialAuthorisation(models.Model):
    """官方直营: a brand owner's authorisation, uploaded and assigned by an admin; revocable."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="official_authorisations")
    brand = models.CharField(max_length=80)
    file = models.FileField(upload_to="onboarding/official/%Y/%m/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    granted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    revoked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
