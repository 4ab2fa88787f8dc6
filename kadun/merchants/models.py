from django.db import models


class Shop(models.Model):
    """A merchant's shop. A user owns at most one."""

    owner = models.OneToOneField("accounts.User", on_delete=models.PROTECT, related_name="shop")
    name = models.CharField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
