from django.db import models


class KeyStatus(models.TextChoices):
    AVAILABLE = "available", "在售"
    SOLD = "sold", "已售"
    WITHDRAWN = "withdrawn", "已撤回"
