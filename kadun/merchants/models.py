from django.db import models


class Shop(models.Model):
    """A merchant's shop. A user owns at most one."""

    owner = models.OneToOneField("accounts.User", on_delete=models.PROTECT, related_name="shop")
    name = models.CharField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    # Why the shop may not sell now: a bit set of ``onboarding_states.SellBlock`` (0 = may sell).
    # The storefront filters on it in the listing query; each rule sets and clears its own bit.
    selling_blocks = models.PositiveIntegerField(default=1)  # SellBlock.UNVERIFIED until approved
    verified_at = models.DateTimeField(null=True, blank=True, help_text="first approval of the shop's identity")
    # The approved application in force: the identity shown on the shop page, the categories it may sell in.
    identity = models.ForeignKey("merchants.ShopApplication", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    categories_approved = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name


class Breach(models.Model):
    """A promise the merchant broke, on the record for merchant governance (credit score later):
    a replacement not delivered by its deadline, a refund request left unanswered, a service
    not delivered in time."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="breaches")
    kind = models.CharField(max_length=32)
    order_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
from kadun.merchants.models_funds import DepositState, PayoutAccount, Withdrawal, WithdrawalEvent  # noqa: E402,F401
from kadun.merchants.models_penalties import Penalty, PenaltyAppeal, PenaltyEvent  # noqa: E402,F401


from kadun.merchants.models_onboarding import (  # noqa: E402,F401  (registered with the app)
    ApplicationFile,
    BadgeEvent,
    IdentityView,
    OfficialAuthorisation,
    RulesVersion,
    ShopApplication,
    ShopBadge,
)
