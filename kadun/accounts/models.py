from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from kadun.accounts.states import StaffRole


class User(AbstractUser):
    """Every user can buy. A merchant is a user who owns a shop; staff have a staff role."""

    staff_role = models.CharField(max_length=16, choices=StaffRole.choices, default=StaffRole.NONE, blank=True)
    contact = models.CharField(max_length=120, blank=True, help_text="QQ / phone / e-mail for after-sales")

    @property
    def is_platform_staff(self) -> bool:
        return bool(self.staff_role)

    def has_staff_role(self, *roles: str) -> bool:
        return self.staff_role == StaffRole.ADMIN or self.staff_role in roles

    @property
    def shop_or_none(self):
        return getattr(self, "shop", None)


class ApiKey(models.Model):
    """A bearer key for the API. Only a SHA-256 of the secret is stored; the prefix identifies it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    # accounts.states.ApiScope values; checked when the key authenticates (kadun.accounts.api_auth).
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def scope_labels(self) -> list[str]:
        from kadun.accounts.states import SCOPE_SHORT

        return [str(SCOPE_SHORT.get(s, s)) for s in self.scopes]
